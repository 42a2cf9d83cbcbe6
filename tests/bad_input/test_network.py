"""The room on hostile Wi-Fi (issue 11): static files, idle sockets, per-address limits,
room-code guessing, Host and Origin headers, client ids, costly text, caps per session
and per participant. Every test runs a real host on loopback; connections "from other
devices" come from other addresses of 127.0.0.0/8."""

from __future__ import annotations

import asyncio
import json
import logging
import unicodedata

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from facilitation_kit.core.forms import MAX_NON_STARTERS, clean_text
from facilitation_kit.host.server import HELLO_TIMEOUT_CLOSE, WEB_DIR, Limits
from facilitation_kit.testing import Phone

from faults.helpers import wait_for

from .conftest import Ledger, check_host_healthy, check_log, start_host_with
from .rawws import RawWS


async def _get(port: int, target: bytes, *, host: bytes = b"127.0.0.1", extra: bytes = b"") -> RawWS:
    return await RawWS.open(port, raw_request=b"GET " + target + b" HTTP/1.1\r\nHost: " + host + b"\r\n"
                            + extra + b"\r\n", timeout=5)


def _no_install_path(records) -> None:
    install = str(WEB_DIR.parent)
    leaked = [r.getMessage() for r in records if install in r.getMessage() or r.exc_info]
    assert not leaked, leaked[:3]


# -- 1, 13: static files --------------------------------------------------------------
SPELLINGS = [b"./app.js", b"././app.js", b"i18n/../app.js", b".//app.js", b"/app.js", b"app.js/",
             b"i18n/./fi.json", b"../host/server.py", b"%2e%2e/host/server.py", b"app.js%00",
             b"app\x00.js", b"\x00", b"a" * 5000, b"i18n/" + b"../" * 1000 + b"app.js",
             b"APP.JS", b"app.js?x=1/../../etc/passwd"]


async def test_static_serves_a_fixed_set_and_keeps_nothing_per_spelling(live_host, caplog):
    host, _ = live_host
    server = host.host.server
    files = dict(server._files)
    assert "app.js" in files and "i18n/fi.json" in files and "index.html" in files
    ok = await _get(host.host.port, b"/static/app.js")
    assert ok.status == 200
    ok.abort()
    for round_ in range(20):
        for spelling in SPELLINGS:
            raw = await _get(host.host.port, b"/static/" + spelling + b"%d" % round_ * (round_ % 2))
            assert 400 <= raw.status < 500 or spelling.startswith(b"app.js?") and raw.status == 200, (
                spelling, raw.head)
            raw.abort()
    assert server._files == files  # nothing cached per spelling
    _no_install_path(caplog.records)


@pytest.mark.parametrize("origins", [
    [b"http://127.0.0.1:{port}", b"http://127.0.0.1:{port}"],
    [b"http://127.0.0.1:{port}", b"http://evil.example"],
    [b"http://\xc3\xa9vil.example"],
    [b"http://127.0.0.1:{port}\xff"],
], ids=["duplicate-same", "duplicate-other", "utf8", "latin1"])
async def test_duplicate_or_non_ascii_origin_is_a_4xx(live_host, caplog, origins):
    host, _ = live_host
    port = host.host.port
    for path in (b"/ws", b"/ws/facilitator"):
        extra = b"".join(b"Origin: " + o.replace(b"{port}", str(port).encode()) + b"\r\n" for o in origins)
        raw = await RawWS.open(port, raw_request=b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                               b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                               % port + extra + b"\r\n", timeout=5)
        assert 400 <= raw.status < 500, raw.head
        raw.abort()
    _no_install_path(caplog.records)


# -- 14: DNS rebinding ----------------------------------------------------------------
@pytest.mark.parametrize("name, served", [
    (b"127.0.0.1:{port}", True), (b"localhost:{port}", True), (b"[::1]:{port}", True),
    (b"127.0.0.1", True), (b"LOCALHOST.", True),
    (b"evil.example:{port}", False), (b"evil.example", False), (b"127.0.0.1.evil.example:{port}", False),
    (b"localhost.evil.example", False), (b"", False),
])
async def test_host_header_must_name_this_host(live_host, name, served):
    host, _ = live_host
    port = host.host.port
    name = name.replace(b"{port}", str(port).encode())
    for target in (b"/", b"/api/session", b"/healthz", b"/static/app.js"):
        raw = await _get(port, target, host=name)
        assert (raw.status == 200) if served else raw.status in (400, 421), (target, name, raw.head)
        raw.abort()
    raw = await RawWS.open(port, raw_request=b"GET /ws HTTP/1.1\r\nHost: " + name + b"\r\nUpgrade: websocket\r\n"
                           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                           b"Sec-WebSocket-Version: 13\r\n\r\n", timeout=5)
    assert raw.status == (101 if served else 421) or not served and raw.status == 400, raw.head
    raw.abort()


async def test_two_host_headers_are_refused(live_host):
    host, _ = live_host
    raw = await _get(host.host.port, b"/", extra=b"Host: evil.example\r\n")
    assert raw.status == 400
    raw.abort()


# -- 2: idle sockets ------------------------------------------------------------------
async def test_idle_sockets_are_closed_and_capped_per_address_while_phones_join(tmp_path, agenda_path, caplog):
    caplog.set_level(logging.INFO)
    ledger = Ledger()
    limits = Limits(hello_timeout=1.5, per_address=50)
    async with start_host_with(tmp_path, agenda_path, limits=limits) as host:
        port = host.host.port

        async def idle_from(source: str) -> list[RawWS]:
            return [await RawWS.open(port, source=source, timeout=10) for _ in range(55)]

        async def phones():
            acks = []
            for i in range(20):
                phone = await host.phone(role="Manager")
                acks.append(ledger.record(await phone.submit({"answer": f"real phone {i}"})))
            return acks

        sources = [f"127.0.0.{n}" for n in range(2, 12)]  # ten other "devices"
        *idle, acks = await asyncio.gather(*(idle_from(s) for s in sources), phones())
        assert [a["type"] for a in acks] == ["ack"] * 20
        for per_source in idle:
            statuses = [raw.status for raw in per_source]
            assert statuses.count(101) == 50 and statuses.count(429) == 5, statuses
        # every idle socket that got in is closed for not saying hello in time
        opened = [raw for per_source in idle for raw in per_source if raw.status == 101]
        codes = await asyncio.gather(*(raw.close_code(timeout=15) for raw in opened))
        assert set(codes) == {HELLO_TIMEOUT_CLOSE}
        for per_source in idle:
            for raw in per_source:
                raw.abort()
        await wait_for(lambda: host.host.server.unjoined == 0)
        assert set(host.host.server.addresses.open) == {"127.0.0.1"}
        # a slow but honest phone: hello within the timeout keeps the connection
        slow = await Phone.connect(host.ws_url + "/ws", host.host.room)
        await asyncio.sleep(0.5)
        assert (await slow.hello(role="Manager"))["type"] == "welcome"
        await asyncio.sleep(2)
        assert (await slow.sync())["type"] == "sync"
        await slow.close()
        await check_host_healthy(host, ledger)
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


# -- 12: room-code guessing -------------------------------------------------------------
@pytest.mark.parametrize("wrong", ["room", "token", "both"])
async def test_ten_failed_hellos_block_the_address_for_a_while(tmp_path, agenda_path, wrong):
    limits = Limits(hello_block=1.5)
    async with start_host_with(tmp_path, agenda_path, limits=limits, trusted_addresses=()) as host:
        room = host.host.room
        guesser = await Phone.connect(host.ws_url + "/ws", room, local_addr=("127.0.0.2", 0))
        for i in range(10):
            kind = wrong if wrong != "both" else ("room", "token")[i % 2]
            if kind == "room":
                reply = await guesser.hello(room="ZZZZZ" + str(i % 10), role="Manager")
                assert reply["code"] == "bad_room", reply
            else:
                reply = await guesser.hello(token=f"guess-{i}-" + "x" * 30, role="Manager")
                assert reply["code"] == "bad_token", reply
        # the 11th, even with the right room code, is refused; another address is not
        reply = await guesser.hello(role="Manager")
        assert reply["type"] == "error" and reply["code"] == "rate_limited", reply
        other = await Phone.connect(host.ws_url + "/ws", room, local_addr=("127.0.0.3", 0))
        assert (await other.hello(role="Manager"))["type"] == "welcome"
        await asyncio.sleep(1.6)
        assert (await guesser.hello(role="Manager"))["type"] == "welcome"
        await guesser.close()
        await other.close()


# -- 7: one device, one voice -----------------------------------------------------------
async def test_new_participants_per_address_are_rate_limited(tmp_path, agenda_path):
    async with start_host_with(tmp_path, agenda_path, trusted_addresses=()) as host:
        room = host.host.room
        welcomed, tokens = 0, []
        for i in range(25):
            phone = await Phone.connect(host.ws_url + "/ws", room, local_addr=("127.0.0.2", 0))
            reply = await phone.hello(role="Manager")
            if reply["type"] == "welcome":
                welcomed += 1
                tokens.append(phone.token)
            else:
                assert reply["code"] == "rate_limited", reply
            await phone.close()
        assert welcomed == 20  # the burst; then about 10 a minute
        assert len(host.workshop.tables["participants"]) == 20
        back = await Phone.connect(host.ws_url + "/ws", room, local_addr=("127.0.0.2", 0))
        assert (await back.hello(token=tokens[0]))["type"] == "welcome"  # resuming is not new
        other = await Phone.connect(host.ws_url + "/ws", room, local_addr=("127.0.0.3", 0))
        assert (await other.hello(role="Manager"))["type"] == "welcome"
        await back.close()
        await other.close()


async def test_participants_per_session_are_capped_connected_or_not(tmp_path, agenda_path):
    async with start_host_with(tmp_path, agenda_path, max_participants=12) as host:
        first = None
        for i in range(12):
            phone = await Phone.connect(host.ws_url + "/ws", host.host.room)
            assert (await phone.hello(role="Manager"))["type"] == "welcome"
            first = first or phone.token
            await phone.close()
        late = await Phone.connect(host.ws_url + "/ws", host.host.room)
        reply = await late.hello(role="Manager")
        assert reply["type"] == "error" and reply["code"] == "room_full", reply
        assert (await late.hello(token=first))["type"] == "welcome"
        await late.close()
        assert len(host.workshop.tables["participants"]) == 12


CAPPED_AGENDA = """\
title = "Caps"
[[activity]]
id = "ideas"
plugin = "open_question"
auto_open = true

[[activity]]
id = "many"
plugin = "open_question"
auto_open = true
max_contributions = 8
"""


async def test_contributions_per_participant_per_activity_are_capped(tmp_path):
    agenda = tmp_path / "caps.toml"
    agenda.write_text(CAPPED_AGENDA, encoding="utf-8")
    async with start_host_with(tmp_path, agenda, max_contributions=5) as host:
        ana = await host.phone()
        acks = [await ana.submit({"answer": f"idea {i}"}, id=f"i{i}") for i in range(5)]
        assert [a["type"] for a in acks] == ["ack"] * 5
        assert (await ana.withdraw("i0"))["type"] == "ack"
        store = host.host.store
        writes = store.writes  # (the withdrawal compacts the journal meanwhile: count writes, not bytes)
        for i in range(5, 40):
            reply = await ana.submit({"answer": f"idea {i}"}, id=f"i{i}")
            assert reply["type"] == "error" and reply["code"] == "too_many", reply
        assert store.writes == writes  # refused: nothing written
        assert (await ana.submit({"answer": "idea 1"}, id="i1"))["type"] == "ack"  # a resend is fine
        bo = await host.phone()
        assert (await bo.submit({"answer": "mine"}))["type"] == "ack"  # per participant
        await host.next()
        got = [await ana.submit({"answer": f"more {i}"}) for i in range(10)]
        assert [g["type"] for g in got] == ["ack"] * 8 + ["error"] * 2  # the agenda raised it to 8
        assert got[-1]["code"] == "too_many"


# -- 8: client ids ----------------------------------------------------------------------
@pytest.mark.parametrize("cid, ok", [
    ("a" * 64, True), ("0f8c2a3e-1b2c-4d5e-8f90-123456789abc", True), ("x.y_z:1-2", True),
    ("a" * 65, False), ("with space", False), ("ctl\x1b]2;x\x07", False), ("nul\x00", False),
    ("tab\t", False), ("é", False), ("=cmd", False), ("a/b", False), ("\u202e", False),
])
async def test_client_ids_are_data_not_control(live_host, cid, ok):
    host, ledger = live_host
    phone = await host.phone(role="Manager")
    reply = ledger.record(await phone.submit({"answer": "an idea"}, id=cid))
    assert reply["type"] == ("ack" if ok else "error"), reply
    if not ok:
        assert reply["code"] == "bad_message"


# -- 3: costly text -----------------------------------------------------------------------
def _longest_mark_run(text: str) -> int:
    run = best = 0
    for ch in text:
        run = run + 1 if unicodedata.combining(ch) else 0
        best = max(best, run)
    return best


async def test_runs_of_combining_marks_are_made_stream_safe(live_host):
    host, ledger = live_host
    phone = await host.phone(role="Manager")
    worst = "a" + "\u0301" * 60 + "\u0316" * 60  # reordering is quadratic in the run
    ack = ledger.record(await phone.submit({"answer": worst}, activity="ideas"))
    assert ack["type"] == "ack", ack
    stored = ack["contribution"]["data"]["answer"]
    assert _longest_mark_run(stored) <= MAX_NON_STARTERS
    assert stored == clean_text(worst, multiline=True)
    assert unicodedata.normalize("NFD", stored).count("\u0301") == 60
    # a 16 KiB frame of nothing but marks (as a phone sends it: UTF-8, 2 bytes a mark)
    flood = "a" + "\u0301" * 4000 + "\u0316" * 4000
    await phone.send(json.dumps({"type": "submit", "id": "flood", "activity": "ideas",
                                 "data": {"answer": flood}}, ensure_ascii=False))
    reply = await phone._reply("flood")
    assert reply["type"] == "error" and reply["code"] == "invalid"  # 8,001 marks > max_length 5000
    await phone.send(json.dumps({"type": "profile", "name": "N" + "\u0316\u0301" * 4000}, ensure_ascii=False))
    profile = await phone.expect("profile")
    assert _longest_mark_run(profile["participant"]["name"]) <= MAX_NON_STARTERS
