"""Pairing the facilitator's phone as a remote from the TUI (key f): the dialog shows a
QR code of the remote link (decoded with zbarimg from what the terminal shows), the
link's token opens the facilitator channel, and N makes a new token that closes the old
remote (4003)."""

from __future__ import annotations

import asyncio
import json
import subprocess

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from facilitation_kit.testing import Facilitator
from facilitation_kit.tui.app import make_app
from facilitation_kit.tui.screens.help import HelpScreen
from facilitation_kit.tui.screens.remote import RemotePairScreen
from facilitation_kit.tui.widgets.qr import QRCode
from tests.conftest import require_tool

from .helpers import screen_text, wait_for, wait_text
from .test_tmux_qr import qr_modules, write_pbm

SIZE = (120, 50)


def decode_widget_qr(app, widget, tmp_path) -> str:
    """The QR code exactly as the terminal shows it, decoded with zbarimg."""
    zbarimg = require_tool("zbarimg", "decoding the pairing QR code (zbar-tools)")
    region = widget.content_region
    lines = screen_text(app).split("\n")
    rows = [line.ljust(region.right)[region.x:region.right] for line in lines[region.y:region.bottom]]
    path = tmp_path / "pair.pbm"
    write_pbm(qr_modules(rows), path)
    out = subprocess.run([zbarimg, "--raw", "-q", str(path)], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


async def closed_with(ws) -> int | None:
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(100):
            await asyncio.wait_for(ws.recv(), 10)
    return info.value.rcvd.code if info.value.rcvd else None


async def test_pairing_dialog_shows_the_remote_qr_and_renews_it(agenda_path, tmp_path):
    app = make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        host = app.workshop_host
        assert host.workshop.remote_token is None  # no token until the facilitator pairs
        await pilot.press("f")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, RemotePairScreen) and app.screen)
        token = host.workshop.remote_token
        assert token and token != host.facilitator_token
        qr = dialog.query_one("#remote-qr", QRCode)
        url = f"{host.base_url}/remote#token={token}"
        assert qr.data == url
        await wait_text(pilot, "Pair your phone as a remote")
        assert decode_widget_qr(app, qr, tmp_path) == url
        assert token not in screen_text(app)  # the QR code only, not the link as text

        ws_url = f"ws://127.0.0.1:{host.port}"
        remote = await Facilitator.connect(ws_url, token)
        assert (await remote.send_command("next"))["type"] == "ok"

        await pilot.press("N")  # a new code: the phone paired before stops working
        await wait_for(pilot, lambda: host.workshop.remote_token != token, what="a new remote token")
        new = host.workshop.remote_token
        await wait_for(pilot, lambda: qr.data == f"{host.base_url}/remote#token={new}", what="the new QR code")
        await wait_text(pilot, "The phone paired before is disconnected")
        assert await closed_with(remote.ws) == 4003
        async with connect(ws_url + "/ws/facilitator") as ws:
            await ws.send(json.dumps({"type": "auth", "token": token}))
            assert await closed_with(ws) == 4003
        again = await Facilitator.connect(ws_url, new)
        assert (await again.send_command("previous"))["type"] == "ok"
        assert decode_widget_qr(app, qr, tmp_path) == f"{host.base_url}/remote#token={new}"

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RemotePairScreen), what="dialog closed")
        await pilot.press("f")  # again: the same code (get does not renew)
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, RemotePairScreen) and app.screen)
        assert dialog.query_one("#remote-qr", QRCode).data == f"{host.base_url}/remote#token={new}"
        await again.close()


async def test_the_help_names_the_pairing_key(agenda_path, tmp_path):
    app = make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await wait_text(pilot, "pair your phone as a remote")


async def test_pairing_with_the_host_in_a_child_process(agenda_path, tmp_path):
    """As `facilitation-kit run` does it: the TUI's copy of the workshop never holds the
    remote token (ops carry the row without it); the dialog gets it from remote_token."""
    app = make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, child_process=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, timeout=30,
                       what="host open")
        host = app.workshop_host
        await pilot.press("f")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, RemotePairScreen) and app.screen)
        url = dialog.query_one("#remote-qr", QRCode).data
        prefix = f"{host.base_url}/remote#token="
        assert url.startswith(prefix)
        token = url[len(prefix):]
        await wait_for(pilot, lambda: "remote" in host.workshop.tables["session"], what="the mirror's remote row")
        assert host.workshop.remote_token is None and token not in json.dumps(host.workshop.tables["session"])
        assert token not in json.dumps(host.info()) and token != host.facilitator_token
        ws_url = f"ws://127.0.0.1:{host.port}"
        remote = await Facilitator.connect(ws_url, token)
        await pilot.press("N")
        await wait_for(pilot, lambda: dialog.query_one("#remote-qr", QRCode).data != url, what="the new QR code")
        assert await closed_with(remote.ws) == 4003
        new = dialog.query_one("#remote-qr", QRCode).data[len(prefix):]
        again = await Facilitator.connect(ws_url, new)
        assert (await again.send_command("next"))["type"] == "ok"
        await again.close()
        log = (tmp_path / "data" / "logs" / "host.log").read_text("utf-8", "replace")
        assert token not in log and new not in log
