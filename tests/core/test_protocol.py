"""Protocol v1 conformance over real loopback websockets against a real host."""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from facilitation_kit.testing import Facilitator, Phone

AGENDA = """
title = "Test workshop"
roles = ["Service user", "Front-line professional", "Manager"]

[[activity]]
id = "q1"
plugin = "open_question"
prompt = "What matters?"
max_length = 50

[[activity]]
id = "q2"
plugin = "open_question"
prompt = "What next?"
auto_open = true
"""


@pytest.fixture
async def host(workshop_host):
    return await workshop_host(AGENDA)


def http_get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


async def test_http_surface(host):
    status, _, body = await asyncio.to_thread(http_get, host.http_url + "/healthz")
    assert status == 200
    assert json.loads(body) == {"status": "ok", "participants": 0, "activity": "q1"}
    ana = await host.phone(role="Service user")
    status, _, body = await asyncio.to_thread(http_get, host.http_url + "/healthz")
    assert json.loads(body)["participants"] == 1
    status, headers, body = await asyncio.to_thread(http_get, host.http_url + "/?room=" + host.host.room)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert (await asyncio.to_thread(http_get, host.http_url + "/nope"))[0] == 404
    assert (await asyncio.to_thread(http_get, host.http_url + "/static/../engine.py"))[0] == 404
    status, _, body = await asyncio.to_thread(http_get, host.http_url + "/api/session")
    assert json.loads(body)["roles"] == ["Service user", "Front-line professional", "Manager"]
    with pytest.raises(InvalidStatus) as info:
        async with connect(host.ws_url + "/elsewhere"):
            pass
    assert info.value.response.status_code == 404
    await ana.close()


async def test_join_welcome_and_session(host):
    phone = await host.phone(name="Ana", role="Service user", lang="fi")
    w = phone.welcome
    assert w["protocol"] == 1
    assert w["participant"] == {"id": phone.id, "name": "Ana", "role": "Service user"}
    assert len(w["token"]) >= 22  # >= 128 bits, url-safe base64
    assert w["session"]["roles"] == ["Service user", "Front-line professional", "Manager"]
    # extension: the roles as this Finnish phone shows them
    assert w["session"]["role_labels"] == ["Käytän tätä palvelua", "Työskentelen ihmisten kanssa tässä palvelussa",
                                           "Johdan tai suunnittelen palvelua"]
    assert w["session"]["title"] == "Test workshop"
    assert w["activity"]["id"] == "q1" and w["activity"]["state"] == "pending"
    assert w["activity"]["form"]["fields"][0] == {
        "name": "answer", "kind": "text", "label": "Vastauksesi", "required": True,   # in the phone's language
        "max_length": 50, "multiline": True}
    assert w["mine"] == []
    joined = await host.facilitator.expect("joined")
    assert joined == {"type": "joined", "participant": w["participant"], "resumed": False}
    # the token is stored only as a hash
    stored = host.workshop.tables["participants"][phone.id]
    assert phone.token not in json.dumps(stored)


async def test_hello_errors(host):
    phone = await host.phone(join=False)
    assert (await phone.hello(room="WRONG1"))["code"] == "bad_room"
    assert (await phone.hello(token="guessed-token-xyz"))["code"] == "bad_token"
    frame = await phone.hello(role="Astronaut")
    assert frame["code"] == "invalid" and "role" in frame["fields"]
    await phone.send({"type": "submit", "id": "x", "activity": "q1", "data": {}})
    assert (await phone.recv())["code"] == "not_joined"
    assert (await phone.hello())["type"] == "welcome"
    assert (await phone.hello())["code"] == "already_joined"


async def test_submit_ack_idempotent_and_withdraw(host):
    f = host.facilitator
    phone = await host.phone(role="Manager")
    assert (await phone.submit({"answer": "too early"}))["code"] == "activity_closed"
    assert (await f.send_command("open"))["type"] == "ok"
    await phone.expect("activity")
    assert phone.activity["state"] == "open"

    ack = await phone.submit({"answer": "Time to listen"}, id="c-1")
    c = ack["contribution"]
    assert ack == {"type": "ack", "id": "c-1", "contribution": c}
    assert c["id"] == "c-1" and c["participant"] == phone.id and c["activity"] == "q1"
    assert c["data"] == {"answer": "Time to listen"} and c["created_at"].endswith("Z")
    event = await f.expect("contribution")
    assert event == {"type": "contribution", "contribution": c, "role": "Manager"}

    again = await phone.submit({"answer": "something else"}, id="c-1")
    assert again == ack  # first write wins, nothing new stored
    assert len(host.workshop.contributions("q1")) == 1

    assert (await phone.withdraw("c-1")) == {"type": "ack", "id": "c-1", "withdrawn": True}
    assert (await phone.withdraw("c-1")) == {"type": "ack", "id": "c-1", "withdrawn": True}
    assert (await f.expect("withdrawn")) == {"type": "withdrawn", "id": "c-1", "participant": phone.id}
    # a replayed outbox never brings back what its owner took back
    assert (await phone.submit({"answer": "Time to listen"}, id="c-1")) == {
        "type": "ack", "id": "c-1", "withdrawn": True}
    assert host.workshop.contributions("q1") == []
    assert (await phone.withdraw("never-sent"))["code"] == "not_found"


async def test_withdraw_someone_elses_is_not_found(host):
    await host.facilitator.send_command("open")
    ana, ben = await host.phone(), await host.phone()
    await ana.submit({"answer": "mine"}, id="same-id")
    assert (await ben.withdraw("same-id")) == {
        "type": "error", "code": "not_found", "id": "same-id",
        "message": (await ben.withdraw("unknown"))["message"]}
    assert len(host.workshop.contributions("q1")) == 1


async def test_invalid_data_and_wrong_activity(host):
    await host.facilitator.send_command("open")
    phone = await host.phone()
    bad = await phone.submit({"answer": "x" * 51})
    assert bad["code"] == "invalid" and "answer" in bad["fields"]
    bad = await phone.submit({"answer": "ok", "extra": 1})
    assert bad["code"] == "invalid" and "extra" in bad["fields"]
    bad = await phone.submit({})
    assert bad["code"] == "invalid" and bad["fields"] == {"answer": "required"}
    assert (await phone.submit({"answer": "ok"}, activity="q2"))["code"] == "wrong_activity"
    assert (await phone.submit({"answer": "ok"}, activity="nope"))["code"] == "wrong_activity"
    await phone.send({"type": "submit", "id": "z", "activity": "q1", "data": "not an object"})
    frame = await phone.recv()
    assert frame["code"] == "bad_message" and frame["id"] == "z"
    assert host.workshop.contributions("q1") == []


async def test_general_bad_frames_keep_connection_open(host):
    phone = await host.phone()
    cases = [
        ("not json", "bad_json"),
        ("[1, 2]", "bad_message"),
        ('{"no": "type"}', "bad_message"),
        ('{"type": 5}', "bad_message"),
        ('{"type": "dance", "id": "d1"}', "unknown_type"),
        ("[" * 2000, "bad_json"),
    ]
    for raw, code in cases:
        await phone.send(raw)
        frame = await phone.recv()
        assert frame["type"] == "error" and frame["code"] == code, raw[:20]
    await phone.send(b"\x00binary")
    assert (await phone.recv())["code"] == "bad_message"
    unknown = await phone.recv() if False else None  # noqa: F841 (nothing else queued)
    await phone.send('{"type": "dance", "id": "d1"}')
    assert (await phone.recv())["id"] == "d1"
    # too large (over 16 KiB, under the 1 MiB hard limit): error, connection stays
    await phone.send(json.dumps({"type": "sync", "pad": "x" * 17_000}))
    assert (await phone.recv())["code"] == "too_large"
    assert (await phone.sync())["type"] == "sync"
    # beyond the hard limit: closed with 1009
    await phone.send("x" * (1024 * 1024 + 1))
    with pytest.raises(ConnectionClosed) as info:
        await phone.recv()
    assert info.value.rcvd.code == 1009


async def test_activity_broadcast_navigation_and_sync(host):
    f = host.facilitator
    ana, ben = await host.phone(), await host.phone()
    assert (await f.send_command("previous"))["code"] == "no_activity"
    assert (await f.send_command("next"))["type"] == "ok"
    for phone in (ana, ben):
        frame = await phone.expect("activity")
        # q2 opens by itself (auto_open)
        assert frame["activity"]["id"] == "q2" and frame["activity"]["state"] == "open"
    assert (await f.send_command("next"))["code"] == "no_activity"
    ack = await ana.submit({"answer": "later"})
    assert ack["type"] == "ack"
    assert (await f.send_command("goto", activity="q1"))["type"] == "ok"
    await ana.expect("activity")
    sync = await ana.sync()
    assert sync["activity"]["id"] == "q1" and sync["mine"] == []
    assert (await f.send_command("goto", activity="q2"))["type"] == "ok"
    sync = await ana.sync()
    assert sync["activity"]["state"] == "open"  # keeps its state when moving back
    assert [c["id"] for c in sync["mine"]] == [ack["id"]]
    assert (await f.send_command("goto", activity="zzz"))["code"] == "unknown_activity"
    assert (await f.send_command("close"))["type"] == "ok"
    assert (await ana.expect("activity"))["activity"]["state"] == "closed"
    assert (await ana.submit({"answer": "too late"}))["code"] == "activity_closed"
    assert (await f.send_command("open"))["type"] == "ok"  # open a closed one again
    assert (await ana.expect("activity"))["activity"]["state"] == "open"


async def test_timer_closes_activity(host):
    f = host.facilitator
    phone = await host.phone()
    await f.send_command("open")
    await phone.expect("activity")
    assert (await f.send_command("timer", seconds=0.3, close_at_end=True))["type"] == "ok"
    frame = await phone.expect("activity")
    assert frame["activity"]["ends_at"] is not None
    frame = await phone.expect("activity", timeout=5)
    assert frame["activity"]["state"] == "closed"
    assert (await f.send_command("timer", seconds=None))["type"] == "ok"
    assert (await phone.expect("activity"))["activity"]["ends_at"] is None
    assert (await f.send_command("timer", seconds="soon"))["code"] == "bad_message"


async def test_resume_with_token_replaces_old_connection(host):
    f = host.facilitator
    await f.send_command("open")
    ana = await host.phone(name="Ana", role="Service user")
    ack = await ana.submit({"answer": "keep me"})
    await f.expect("joined")
    again = await host.phone(join=False)
    frame = await again.hello(token=ana.token)
    assert frame["type"] == "welcome"
    assert frame["participant"] == ana.welcome["participant"] and frame["token"] == ana.token
    assert [c["id"] for c in frame["mine"]] == [ack["id"]]
    with pytest.raises(ConnectionClosed) as info:
        while True:
            await ana.recv()
    assert info.value.rcvd.code == 4001
    await again.close()
    left = await f.expect("left")
    assert left == {"type": "left", "participant": {"id": ana.id}}
    third = await host.phone(join=False)
    assert (await third.hello(token=ana.token))["type"] == "welcome"
    joined = await f.expect("joined")
    assert joined["resumed"] is True
    # no "joined" was sent for the 4001 replacement, only for the return after leaving
    assert not [e for e in f.events if e.get("type") == "joined"]


async def test_profile(host):
    phone = await host.phone(name="Ana")
    await phone.send({"type": "profile", "name": None, "role": "Manager", "lang": "sv"})
    frame = await phone.expect("profile")
    assert frame["participant"] == {"id": phone.id, "name": "Ana", "role": "Manager"}
    await phone.send({"type": "profile", "name": "", "role": None, "lang": None})
    assert (await phone.expect("profile"))["participant"]["name"] is None
    await phone.send({"type": "profile", "name": None, "role": "Pilot", "lang": None})
    frame = await phone.recv()
    assert frame["code"] == "invalid" and "role" in frame["fields"]


async def test_hide_unhide_lock_and_room_full(workshop_host):
    host = await workshop_host(AGENDA, participant_cap=2)
    f = host.facilitator
    await f.send_command("open")
    ana = await host.phone()
    ack = await ana.submit({"answer": "hide me"})
    assert (await f.send_command("hide", contribution=ack["id"], participant=ana.id))["type"] == "ok"
    assert (await ana.sync())["mine"][0]["hidden"] is True
    assert host.workshop.contributions("q1") == []
    export = host.export()
    assert export["contributions"][0]["hidden"] is True
    assert (await f.send_command("unhide", contribution=ack["id"], participant=ana.id))["type"] == "ok"
    assert "hidden" not in (await ana.sync())["mine"][0]
    assert (await f.send_command("hide", contribution="nope", participant=ana.id))["code"] == "unknown_contribution"

    assert (await f.send_command("lock"))["type"] == "ok"
    newcomer = await host.phone(join=False)
    assert (await newcomer.hello())["code"] == "room_locked"
    returning = await host.phone(join=False)
    assert (await returning.hello(token=ana.token))["type"] == "welcome"  # resuming still gets in
    assert (await f.send_command("unlock"))["type"] == "ok"
    await host.phone()  # second participant: cap reached
    third = await host.phone(join=False)
    assert (await third.hello())["code"] == "room_full"


async def test_facilitator_auth(host):
    phone = await host.phone()
    for first in [json.dumps({"type": "auth", "token": phone.token}),
                  json.dumps({"type": "auth", "token": "wrong"}),
                  json.dumps({"type": "next"}), "garbage"]:
        async with connect(host.ws_url + "/ws/facilitator") as ws:
            await ws.send(first)
            with pytest.raises(ConnectionClosed) as info:
                await ws.recv()
            assert info.value.rcvd.code == 4003
    # a participant connection can never act as facilitator
    await phone.send({"type": "next", "ref": 1})
    assert (await phone.recv())["code"] == "unknown_type"


async def test_facilitator_silence_is_closed(workshop_host):
    from facilitation_kit.host.server import Limits

    host = await workshop_host(AGENDA, limits=Limits(auth_timeout=0.3))
    async with connect(host.ws_url + "/ws/facilitator") as ws:
        with pytest.raises(ConnectionClosed) as info:
            await asyncio.wait_for(ws.recv(), 5)
        assert info.value.rcvd.code == 4003


async def test_origin_check(workshop_host):
    host = await workshop_host(AGENDA, allowed_origins=["http://projector.local:9000"])
    with pytest.raises(InvalidStatus) as info:
        async with connect(host.ws_url + "/ws", origin="http://evil.example"):
            pass
    assert info.value.response.status_code == 403
    for origin in (host.http_url, "http://projector.local:9000"):
        async with connect(host.ws_url + "/ws", origin=origin) as ws:
            await ws.send(json.dumps({"type": "sync"}))
            assert json.loads(await ws.recv())["code"] == "not_joined"


async def test_rate_limit_flood_then_close(host):
    phone = await host.phone()
    other = await host.phone()
    for _ in range(400):
        await phone.send({"type": "sync"})
    codes = []
    with pytest.raises(ConnectionClosed) as info:
        while True:
            codes.append((await phone.recv()).get("code"))
    assert info.value.rcvd.code == 1008
    assert "rate_limited" in codes
    assert (await other.sync())["type"] == "sync"  # the others are unaffected


async def test_normal_pace_is_never_rate_limited(host):
    phone = await host.phone()
    for _ in range(60):  # a burst of 60 passes
        await phone.send({"type": "sync"})
    frames = [await phone.recv() for _ in range(60)]
    assert all(f["type"] == "sync" for f in frames)


async def test_erase_participant(host):
    f = host.facilitator
    await f.send_command("open")
    ana = await host.phone(name="Ana", role="Manager")
    await ana.submit({"answer": "erase me"})
    reply = await f.send_command("erase", participant=ana.id)
    assert reply["type"] == "ok" and reply["erased"] == 1
    export = host.export()
    assert export["contributions"] == [] and export["participants"] == []
    again = await host.phone(join=False)
    assert (await again.hello(token=ana.token))["code"] == "bad_token"


async def test_a_blocking_startup_hook_cannot_stop_the_workshop(workshop_host):
    import threading
    import types

    from facilitation_kit import hookimpl
    from facilitation_kit.core.plugins import load_plugins

    release = threading.Event()
    plugin = types.SimpleNamespace(startup=hookimpl(lambda workshop: release.wait(30)))
    plugins = load_plugins(extra=[("sleepy", plugin)])
    assert [i.plugin_name for i in plugins.pm.hook.startup.get_hookimpls()] == ["sleepy"]
    try:
        host = await workshop_host(AGENDA, plugins=plugins, plugin_timeout=0.2)
        phone = await host.phone()
        assert phone.welcome["activity"]["id"] == "q1"
    finally:
        release.set()
