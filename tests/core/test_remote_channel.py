"""The facilitator's remote token (docs/facilitators.md, "A remote on your phone"), over
real websockets: it opens the facilitator channel and nothing else, the screen token and
a wrong token do not open it as a remote, a new token closes the old remote (4003), the
token is kept through ``--resume`` and appears in no log, info file, ``state`` answer or
``ops`` event."""

from __future__ import annotations

import asyncio
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import Facilitator, agenda_toml

AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "Ideas", "prompt": "What would help?"},
    {"id": "vote", "plugin": "dot_vote", "title": "Vote", "items": ["Time", "Trust"], "dots": 2},
], roles=["Service user", "Manager"])


async def closed_with(ws) -> int | None:
    with pytest.raises(ConnectionClosed) as info:
        for _ in range(50):
            await asyncio.wait_for(ws.recv(), 10)
    return info.value.rcvd.code if info.value.rcvd else None


async def refused(url: str, token: str) -> int | None:
    async with connect(url) as ws:
        await ws.send(json.dumps({"type": "auth", "token": token}))
        return await closed_with(ws)


async def test_remote_token_opens_the_facilitator_channel_and_nothing_else(workshop_host):
    host = await workshop_host(AGENDA)
    ok = await host.command("remote_token")
    token = ok["token"]
    assert ok["path"] == f"/remote#token={token}"
    assert len(token) >= 43 and token not in (host.host.facilitator_token, host.host.screen_url.split("#token=")[1])
    assert (await host.command("remote_token", action="get"))["token"] == token  # get: the same

    remote = await Facilitator.connect(host.ws_url, token)
    assert remote.authed["session"]["title"] == "Test workshop"
    assert (await remote.send_command("next"))["type"] == "ok"
    assert host.workshop.current_id == "vote"
    assert (await remote.send_command("previous"))["type"] == "ok"
    assert (await remote.send_command("open"))["type"] == "ok"
    await remote.close()

    # the remote token is no participant token and does not open the screen
    phone = await host.phone(join=False)
    answer = await phone.hello(token=token)
    assert answer["type"] == "error" and answer["code"] == "bad_token"
    assert await refused(f"{host.ws_url}/ws/screen", token) == 4003
    # the screen token, a wrong token, an empty one do not open the facilitator channel
    screen = host.host.screen_url.split("#token=")[1]
    for wrong in (screen, token[:-1] + ("A" if token[-1] != "A" else "B"), token + "x", ""):
        assert await refused(f"{host.ws_url}/ws/facilitator", wrong) == 4003
    bad = await host.facilitator.send_command("remote_token", action="burn")
    assert bad["type"] == "error" and bad["code"] == "bad_message"


async def test_no_remote_token_until_one_is_asked_for(workshop_host):
    host = await workshop_host(AGENDA)
    assert host.workshop.remote_token is None
    assert "remote" not in host.workshop.tables["session"]


async def test_a_new_remote_token_closes_the_old_remote(workshop_host):
    host = await workshop_host(AGENDA)
    old = (await host.command("remote_token"))["token"]
    remote = await Facilitator.connect(host.ws_url, old)
    second = await Facilitator.connect(host.ws_url, old)  # two phones paired with one token
    ok = await host.command("remote_token", action="revoke")
    new = ok["token"]
    assert new != old and ok["path"] == f"/remote#token={new}"
    assert await closed_with(remote.ws) == 4003
    assert await closed_with(second.ws) == 4003
    assert await refused(f"{host.ws_url}/ws/facilitator", old) == 4003
    # the facilitator's own connection stays, and the new token works
    assert (await host.facilitator.send_command("agenda"))["type"] == "ok"
    again = await Facilitator.connect(host.ws_url, new)
    assert (await again.send_command("next"))["type"] == "ok"
    newer = (await again.send_command("remote_token", action="new"))["token"]  # a remote can renew it too
    assert newer != new
    assert await closed_with(again.ws) == 4003


async def test_the_remote_token_is_in_no_state_answer_ops_event_log_or_info_file(workshop_host, tmp_path):
    info = tmp_path / "info.json"
    host = await workshop_host(AGENDA, info_file=info)
    token = (await host.command("remote_token"))["token"]
    await host.command("remote_token", action="new")
    token2 = (await host.command("remote_token"))["token"]
    state = await host.command("state")
    remote = await Facilitator.connect(host.ws_url, token2)
    await remote.send_command("next")
    await remote.send_command("open")
    await host.command("screen_token", action="new")
    await asyncio.sleep(0.2)
    await host.command("agenda")  # the events before this answer are all in
    answers = [f for f in host.facilitator.events if str(f.get("path", "")).startswith("/remote#")]
    assert len(answers) == 3  # the remote_token answers carry it; nothing else does
    frames = json.dumps([f for f in host.facilitator.events + remote.events if f not in answers] + [state])
    assert token not in frames and token2 not in frames
    ops = [op for f in host.facilitator.events if f.get("type") == "ops" for op in f["ops"]]
    assert ["put", "session", "remote"] in [op[:3] for op in ops]
    assert all("token" not in op[3] for op in ops if op[:3] == ["put", "session", "remote"])
    assert token2 not in info.read_text("utf-8")
    assert json.loads(info.read_text("utf-8"))["facilitator_token"] == host.host.facilitator_token
    logs = [p for p in (tmp_path / "data").rglob("*.log")]
    for path in logs:
        text = path.read_text("utf-8", "replace")
        assert token not in text and token2 not in text, path
    await remote.close()


async def test_the_paired_remote_keeps_working_after_resume(tmp_path):
    agenda = tmp_path / "a.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    async with Host.start(agenda, data_dir=tmp_path / "d", host="127.0.0.1", port=0) as first:
        token = await first.workshop.ensure_remote_token()
        session, facilitator_token = first.session_id, first.facilitator_token
    async with Host.start(None, data_dir=tmp_path / "d", host="127.0.0.1", port=0, resume=session) as again:
        assert again.facilitator_token != facilitator_token  # the facilitator token is new …
        assert await again.workshop.ensure_remote_token() == token  # … the remote token is not
        remote = await Facilitator.connect(f"ws://127.0.0.1:{again.port}", token)
        assert (await remote.send_command("next"))["type"] == "ok"
        assert again.workshop.current_id == "vote"
        await remote.close()
