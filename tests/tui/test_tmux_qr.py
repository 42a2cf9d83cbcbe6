"""What the audience sees: run the real command in a tmux pane, read the QR code off the
captured text and decode it with zbarimg."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parents[2]
PIXELS = {" ": (0, 0), "\u2580": (1, 0), "\u2584": (0, 1), "\u2588": (1, 1)}


def qr_modules(lines: list[str]) -> list[list[int]]:
    """Half-block characters back to rows of modules (1 = dark)."""
    rows: list[list[int]] = []
    for line in lines:
        top, bottom = [], []
        for ch in line:
            t, b = PIXELS.get(ch, (0, 0))
            top.append(t)
            bottom.append(b)
        rows += [top, bottom]
    width = max(len(r) for r in rows)
    return [r + [0] * (width - len(r)) for r in rows]


def write_pbm(modules: list[list[int]], path: Path, scale: int = 6, margin: int = 6) -> None:
    width = len(modules[0]) + 2 * margin
    blank = [0] * width
    padded = [blank] * margin + [[0] * margin + r + [0] * margin for r in modules] + [blank] * margin
    out = [f"P1\n{width * scale} {len(padded) * scale}\n"]
    for row in padded:
        line = " ".join(str(v) for v in row for _ in range(scale))
        out += [line + "\n"] * scale
    path.write_text("".join(out))


@pytest.mark.slow
def test_the_qr_code_on_a_real_terminal_decodes_to_the_join_link(tmp_path):
    tmux = require_tool("tmux", "running the TUI in a real terminal")
    zbarimg = require_tool("zbarimg", "decoding the QR code captured from the terminal (zbar-tools)")
    data, info = tmp_path / "data", tmp_path / "info.json"
    socket = f"fk-test-{uuid.uuid4().hex[:8]}"
    command = (f"{sys.executable} -m facilitation_kit run --host 127.0.0.1 --port 0 "
               f"--data-dir {data} --info-file {info}")
    env = {**os.environ, "TERM": "xterm-256color"}
    subprocess.run([tmux, "-L", socket, "new-session", "-d", "-s", "kit", "-x", "120", "-y", "50", command],
                   check=True, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        screen = ""
        while time.monotonic() < deadline:
            if info.exists():
                room = json.loads(info.read_text())["room"]
                screen = subprocess.run([tmux, "-L", socket, "capture-pane", "-p", "-t", "kit"],
                                        capture_output=True, text=True, check=True).stdout
                if f"Room {room}" in screen and "\u2588" in screen:
                    break
            time.sleep(0.3)
        else:
            pytest.fail(f"the TUI did not show the room code in 30 s; screen:\n{screen}")
        url = json.loads(info.read_text())["url"]
        assert url in screen and room in screen
        lines = screen.splitlines()
        # The QR code sits left of the room-code column; take the block rows there.
        label = next(i for i, line in enumerate(lines) if "Room code" in line)
        right_edge = lines[label].index("Room code")
        qr_rows = [i for i, line in enumerate(lines) if any(c in "\u2580\u2584\u2588" for c in line[:right_edge])]
        first, last = qr_rows[0], qr_rows[-1]
        assert last - first + 1 == len(qr_rows), "the QR rows must be contiguous"
        block = [line[:right_edge] for line in lines[first:last + 1]]
        left = min(len(line) - len(line.lstrip(" ")) for line in block if line.strip())
        pbm = tmp_path / "qr.pbm"
        write_pbm(qr_modules([line[left:].rstrip() for line in block]), pbm)
        decoded = subprocess.run([zbarimg, "-q", "--raw", str(pbm)], capture_output=True, text=True)
        assert decoded.stdout.strip() == url, (decoded.stdout, decoded.stderr, "\n".join(block))
    finally:
        subprocess.run([tmux, "-L", socket, "send-keys", "-t", "kit", "q"], capture_output=True)
        time.sleep(0.5)
        subprocess.run([tmux, "-L", socket, "kill-server"], capture_output=True)
