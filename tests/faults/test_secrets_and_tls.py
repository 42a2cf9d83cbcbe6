"""Files and secrets on disk, and TLS (issue 11, items 8-10): the host as the real
``serve --headless`` subprocess and the TUI's child host (RemoteHost)."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import shutil
import ssl
import stat
import subprocess
import urllib.request
from pathlib import Path

import pytest
from websockets.asyncio.client import connect

from facilitation_kit.host.store import Store
from facilitation_kit.core.ops import put

from .helpers import CLI, ROOT, Served, run_cli


def _modes(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): stat.S_IMODE(p.lstat().st_mode) for p in [root, *root.rglob("*")]}


def _check_private(data_dir: Path) -> None:
    for name, mode in _modes(data_dir).items():
        path = data_dir / name if name != "." else data_dir
        want = 0o700 if path.is_dir() else 0o600
        assert mode == want, (name, oct(mode))


def test_data_dir_is_private_and_the_token_is_only_in_the_info_file(tmp_path, agenda_file):
    data_dir = tmp_path / "data"
    victim = tmp_path / "victim.txt"
    victim.write_text("do not touch\n")
    info_dir = tmp_path / "info"
    info_dir.mkdir()
    served = Served(data_dir, agenda=agenda_file, info_dir=info_dir)
    try:
        token = served.info["facilitator_token"]
        _check_private(data_dir)
        assert stat.S_IMODE(served.info_file.stat().st_mode) == 0o600
        # a planted symlink where the info file goes is replaced, never written through
        served2_info = info_dir / "planted.json"
        os.symlink(victim, served2_info)
        os.symlink(victim, info_dir / "planted.json.tmp")  # the old fixed temporary name
    finally:
        code, out, err = served.stop()
    assert code == 0, err
    assert token not in out and token not in err
    _check_private(data_dir)

    resumed = subprocess.Popen([*CLI, "serve", "--headless", "--resume", served.session_id, "--host", "127.0.0.1",
                                "--port", "0", "--data-dir", str(data_dir), "--info-file", str(served2_info),
                                "--show-token"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            if not served2_info.is_symlink() and served2_info.exists():
                break
            assert resumed.poll() is None, resumed.communicate()
            asyncio.run(asyncio.sleep(0.05))
        info = json.loads(served2_info.read_text())
        assert stat.S_IMODE(served2_info.lstat().st_mode) == 0o600 and not served2_info.is_symlink()
        assert victim.read_text() == "do not touch\n"
    finally:
        resumed.terminate()
        out, err = resumed.communicate(timeout=30)
    assert info["facilitator_token"] in out  # --show-token prints it
    _check_private(data_dir)


def test_the_tui_child_host_log_is_private_and_holds_no_token(tmp_path, agenda_file):
    from facilitation_kit.tui.client import RemoteHost

    data_dir = tmp_path / "data"

    async def run():
        host = RemoteHost(agenda_file, data_dir=data_dir, port=0)
        await host.open()
        try:
            return host.facilitator_token, host.log_path
        finally:
            await host.close()
    token, log_path = asyncio.run(run())
    assert token and token not in log_path.read_text()
    _check_private(data_dir)


def _pty_run(*args: str) -> bytes:
    """Run the CLI with its stdout on a terminal (a pty); return what the terminal got."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([*CLI, *args], cwd=ROOT, stdout=slave, stderr=subprocess.PIPE)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(master)
    assert proc.returncode == 0, proc.stderr.read()
    return out


@pytest.mark.parametrize("fmt", ["json", "csv", "md"])
def test_nothing_printed_to_a_terminal_carries_control_characters(tmp_path, fmt):
    """A session recorded before client ids were checked (or edited by hand) holds raw
    control bytes; exporting it to the terminal must not pass them on."""
    data_dir = tmp_path / "data"
    evil = "x\x1b]2;PWNED\x07\x9b31m\x1bc"
    store = Store.create(data_dir, "20260101-1000-old-0000")
    try:
        loop = asyncio.new_event_loop()
        loop.run_until_complete(store.write([
            put("session", "session", {"id": "20260101-1000-old-0000", "room": "ABCDEF", "title": "Old",
                                       "created_at": "2026-01-01T10:00:00.000Z", "agenda": {}, "current": None}),
            put("participants", "p-1", {"id": "p-1", "name": None, "role": None}),
            put("contributions", "p-1/" + evil, {"id": evil, "participant": "p-1", "activity": "a1",
                                                 "data": {"answer": "=1+1 " + evil},
                                                 "created_at": "2026-01-01T10:01:00.000Z"})]))
        loop.close()
    finally:
        store.close()
    out = _pty_run("export", "20260101-1000-old-0000", "--format", fmt, "--data-dir", str(data_dir))
    assert b"PWNED" in out or fmt == "md"
    for byte in (b"\x1b", b"\x07", b"\xc2\x9b"):
        assert byte not in out, (fmt, out[:300])


# -- TLS --------------------------------------------------------------------------------
@pytest.fixture
def certificate(tmp_path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None and not os.environ.get("CI"):
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_serves_https_and_wss_and_the_link_follows(tmp_path, agenda_file, certificate):
    cert, key = certificate
    client = ssl.create_default_context(cafile=str(cert))
    served = Served(tmp_path / "data", "--certfile", str(cert), "--keyfile", str(key), agenda=agenda_file)
    try:
        port = served.info["port"]
        assert served.info["url"].startswith(f"https://127.0.0.1:{port}/?room=")
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/", context=client, timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read().lower()

        async def phone_and_facilitator():
            async with connect(f"wss://127.0.0.1:{port}/ws/facilitator", ssl=client) as fac:
                await fac.send(json.dumps({"type": "auth", "token": served.info["facilitator_token"]}))
                assert json.loads(await fac.recv())["type"] == "authed"
                async with connect(f"wss://localhost:{port}/ws", ssl=client,
                                   origin=f"https://localhost:{port}") as ws:
                    await ws.send(json.dumps({"type": "hello", "room": served.info["room"], "role": "Manager"}))
                    welcome = json.loads(await ws.recv())
                    assert welcome["type"] == "welcome"
                    await ws.send(json.dumps({"type": "submit", "id": "tls-1", "activity": welcome["activity"]["id"],
                                              "data": {"answer": "over TLS"}}))
                    while True:
                        frame = json.loads(await ws.recv())
                        if frame["type"] == "ack":
                            assert frame["contribution"]["data"]["answer"] == "over TLS"
                            return
            # plain ws:// to the TLS port gets no websocket
        asyncio.run(phone_and_facilitator())

        async def plain():
            with pytest.raises(Exception):
                async with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=5):
                    pass
        asyncio.run(plain())
    finally:
        code, out, err = served.stop()
    assert code == 0, err
    assert "https://" in out


def test_tls_for_the_tui_child_host(tmp_path, agenda_file, certificate):
    from facilitation_kit.tui.client import RemoteHost

    cert, key = certificate

    async def run():
        host = RemoteHost(agenda_file, data_dir=tmp_path / "data", port=0, certfile=cert, keyfile=key)
        await host.open()
        try:
            assert host.url.startswith("https://")
            assert host.workshop is not None and host.room
        finally:
            await host.close()
    asyncio.run(run())


def test_a_bad_certificate_is_one_clear_line(tmp_path, agenda_file):
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate\n")
    result = run_cli("serve", "--headless", str(agenda_file), "--port", "0", "--host", "127.0.0.1",
                     "--data-dir", tmp_path / "data", "--certfile", bad)
    assert result.returncode == 2
    assert result.stderr.startswith("facilitation-kit: cannot use the certificate") and "Traceback" not in result.stderr
