"""Helpers for the fault tests: the host as a real ``facilitation-kit serve --headless``
subprocess on 127.0.0.1, and phones that keep an outbox of what they sent."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from facilitation_kit.host.store import read_session

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "facilitation_kit"]

AGENDA = """\
title = "Fault drill"
roles = ["Service user", "Front-line professional", "Manager"]

[[activity]]
id = "ideas"
plugin = "open_question"
title = "Ideas"
prompt = "What would make the service better?"
auto_open = true

[[activity]]
id = "more"
plugin = "open_question"
title = "More ideas"
prompt = "And what else?"
auto_open = true
"""


class Served:
    """``facilitation-kit serve --headless`` in a subprocess, found through --info-file."""

    def __init__(self, data_dir: Path, *extra: str, agenda: Path | None = None,
                 info_dir: Path | None = None, timeout: float = 60.0):
        info_dir = info_dir or data_dir
        info_dir.mkdir(parents=True, exist_ok=True)
        self.info_file = info_dir / f"info-{uuid.uuid4().hex[:8]}.json"
        args = [*CLI, "serve"]
        if agenda is not None:
            args.append(str(agenda))
        args += ["--headless", "--host", "127.0.0.1", "--port", "0", "--data-dir", str(data_dir),
                 "--info-file", str(self.info_file), "--trust-address", "127.0.0.1", *extra]
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.monotonic() + timeout
        while not self.info_file.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                out, err = self.proc.communicate(timeout=10)
                raise StartFailed(self.proc.returncode, out, err)
            time.sleep(0.02)
        self.info = json.loads(self.info_file.read_text())

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.info['port']}"

    @property
    def session_id(self) -> str:
        return self.info["session_id"]

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM: a clean stop (final checkpoint)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=30)
        return self.proc.returncode, out, err

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.communicate(timeout=30)


class StartFailed(AssertionError):
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err
        super().__init__(f"serve exited with {code}:\n{out}\n{err}")


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def stored_contributions(data_dir: Path, session_id: str) -> dict[tuple[str, str], dict]:
    """(participant, client id) → contribution as acked (the CONTRIBUTION object, without
    the ``role`` stored beside it), as read back from the session files."""
    tables, _ = read_session(data_dir, session_id)
    return {(c["participant"], c["id"]): {k: v for k, v in c.items() if k != "role"}
            for c in tables["contributions"].values() if not c.get("withdrawn")}


async def wait_for(predicate, timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll until ``predicate()`` is true; fail after ``timeout`` s (a liveness bound)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout:g} s")
        await asyncio.sleep(interval)
