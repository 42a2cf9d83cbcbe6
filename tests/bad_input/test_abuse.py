"""Abuse at the door: header floods, a flooding client, thousands of connection attempts,
wrong room codes and guessed tokens, the facilitator channel without the facilitator
token, cross-origin handshakes. Others keep being served throughout."""

from __future__ import annotations

import asyncio
import logging
import secrets

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from facilitation_kit.host.server import Limits
from facilitation_kit.testing import Phone

from faults.helpers import wait_for

from .conftest import Ledger, check_host_healthy, check_log, start_host_with
from .rawws import TEXT, RawWS


async def _health(host) -> None:
    raw = await RawWS.open(host.host.port, raw_request=b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert raw.status == 200
    raw.abort()


@pytest.mark.parametrize("request_bytes", [
    b"GET /ws HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 8193 + b"\r\n\r\n",
    b"GET /ws HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(129)) + b"\r\n",
    b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 200,  # TLS on plain HTTP: never ends
    b"GARBAGE\r\n\r\n",
], ids=["long-header", "129-headers", "long-request-line", "tls-hello", "garbage"])
async def test_handshake_floods_are_refused(live_host, request_bytes):
    host, _ = live_host
    raw = await RawWS.open(host.host.port, raw_request=request_bytes, timeout=1)
    await _health(host)  # served while the bad request is pending or refused
    assert raw.status in (0, 400, 414, 431)  # refused, or no answer (open_timeout closes it)
    assert raw.status != 101
    raw.abort()
    await _health(host)


async def test_flooding_client_is_refused_then_closed_others_unaffected(tmp_path, agenda_path, caplog):
    caplog.set_level(logging.INFO)
    ledger = Ledger()
    async with start_host_with(tmp_path, agenda_path) as host:
        flooder = await RawWS.open(host.host.port)
        await flooder.send_json({"type": "hello", "room": host.host.room, "role": "Manager"})
        assert (await flooder.recv_json())["type"] == "welcome"
        ana = await host.phone(role="Manager")

        async def flood():
            for i in range(2000):
                await flooder.send_frame(TEXT, b'{"type": "sync"}')
        async def calm():
            acks = []
            for i in range(20):
                acks.append(ledger.record(await ana.submit({"answer": f"calm idea {i}"})))
                await asyncio.sleep(0.05)
            return acks
        flood_task = asyncio.ensure_future(flood())
        acks = await calm()
        assert [a["type"] for a in acks] == ["ack"] * 20
        codes, close = [], None
        try:
            while True:
                frame = await flooder.recv_json()
                if frame["type"] == "error":
                    codes.append(frame["code"])
        except Exception as exc:  # the close frame, or EOF after it
            close = getattr(exc, "code", None)
        flood_task.cancel()
        assert "rate_limited" in codes and set(codes) == {"rate_limited"}
        assert close in (1008, None)
        flooder.abort()
        await wait_for(lambda: len(host.host.server.participant_conns) == 1)
        await check_host_healthy(host, ledger)
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


async def test_participant_cap_under_a_crowd(tmp_path, agenda_path, caplog):
    caplog.set_level(logging.INFO)
    async with start_host_with(tmp_path, agenda_path, participant_cap=25) as host:
        async def attempt(i):
            phone = await Phone.connect(host.ws_url + "/ws", host.host.room)
            try:
                return await phone.hello(role="Manager"), phone
            except ConnectionClosed:
                return {"type": "closed"}, phone
        results = []
        for batch in range(4):  # 800 attempts in waves of 200
            results += await asyncio.gather(*(attempt(i) for i in range(200)))
            outcomes = [r["type"] if r["type"] != "error" else r["code"] for r, _ in results]
            assert host.workshop.connected_count() <= 25
        assert outcomes.count("welcome") == 25
        assert outcomes.count("room_full") == len(results) - 25
        # a participant who was in comes back with their token although the room is full
        first = next(p for r, p in results if r["type"] == "welcome")
        await first.close()
        back = await Phone.connect(host.ws_url + "/ws", host.host.room)
        assert (await back.hello(token=first.token))["type"] == "welcome"
        for _, phone in results:
            await phone.close()
        await back.close()
        await asyncio.sleep(0.2)
        newcomer = await Phone.connect(host.ws_url + "/ws", host.host.room)
        assert (await newcomer.hello(role="Manager"))["type"] == "welcome"
        await newcomer.close()
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


async def test_connection_cap_answers_503(tmp_path, agenda_path, caplog):
    """Connections that never join fill only their own budget (max_unjoined)."""
    caplog.set_level(logging.INFO)
    async with start_host_with(tmp_path, agenda_path, limits=Limits(max_unjoined=50, hello_timeout=60)) as host:
        ana = await host.phone(role="Manager")  # joined: outside the unjoined budget
        held, refused = [], 0
        for wave in range(4):  # 1,000 attempts in waves of 250
            async def attempt():
                try:
                    return await connect(host.ws_url + "/ws", open_timeout=20)
                except InvalidStatus as exc:
                    assert exc.response.status_code == 503
                    return None
            got = await asyncio.gather(*(attempt() for _ in range(250)))
            held += [ws for ws in got if ws is not None]
            refused += sum(1 for ws in got if ws is None)
            assert host.host.server.open_connections <= 50 + 250  # never unbounded
        assert refused >= 1000 - 50
        assert (await ana.submit({"answer": "still served"}))["type"] == "ack"
        for ws in held:
            await ws.close()
        await asyncio.sleep(0.2)
        again = await host.phone(role="Manager")
        assert (await again.submit({"answer": "room again"}))["type"] == "ack"
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


async def test_joined_connection_cap_answers_503_and_idle_sockets_do_not_count(tmp_path, agenda_path, caplog):
    caplog.set_level(logging.INFO)
    async with start_host_with(tmp_path, agenda_path, limits=Limits(max_connections=6, hello_timeout=60)) as host:
        idle = [await RawWS.open(host.host.port) for _ in range(20)]  # never say hello
        assert all(raw.status == 101 for raw in idle)
        phones = [await host.phone(role="Manager") for _ in range(5)]  # + the facilitator: 6 joined
        assert host.host.server.unjoined == 20
        with pytest.raises(InvalidStatus) as refused:
            await connect(host.ws_url + "/ws", open_timeout=20)
        assert refused.value.response.status_code == 503
        await phones[0].close()
        await wait_for(lambda: len(host.host.server.participant_conns) == 4)
        late = await host.phone(role="Manager")
        assert (await late.submit({"answer": "in after all"}))["type"] == "ack"
        for raw in idle:
            raw.abort()
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


async def test_wrong_room_codes_and_guessed_tokens(live_host):
    host, _ = live_host
    before = len(host.workshop.participants())
    for connection in range(4):  # 30 guesses of each kind per connection: under the rate limit
        phone = await Phone.connect(host.ws_url + "/ws", host.host.room)
        for i in range(30):
            reply = await phone.hello(room=secrets.choice(["ZZZZZZ", "AAAAAA", host.host.room.lower() + "X",
                                                           "ROOM" * 50]))
            assert reply["type"] == "error" and reply["code"] == "bad_room"
            reply = await phone.hello(token=secrets.token_urlsafe(32))
            assert reply["type"] == "error" and reply["code"] == "bad_token"
        await phone.close()
    assert len(host.workshop.participants()) == before
    joined = [e for e in host.facilitator.events if e.get("type") == "joined"]
    assert not joined


@pytest.mark.parametrize("first", ["participant-token", "none", "wrong", "not-json", "binary", "silence"])
async def test_facilitator_channel_needs_the_facilitator_token(tmp_path, agenda_path, first):
    async with start_host_with(tmp_path, agenda_path, limits=Limits(auth_timeout=0.5)) as host:
        ana = await host.phone(role="Manager")
        raw = await RawWS.open(host.host.port, "/ws/facilitator")
        assert raw.status == 101
        if first == "participant-token":
            await raw.send_json({"type": "auth", "token": ana.token})
        elif first == "none":
            await raw.send_json({"type": "auth"})
        elif first == "wrong":
            right = host.host.facilitator_token  # change its last character: never the right one
            await raw.send_json({"type": "auth", "token": right[:-1] + ("y" if right.endswith("x") else "x")})
        elif first == "not-json":
            await raw.send_frame(TEXT, b"let me in")
        elif first == "binary":
            await raw.send_frame(0x2, host.host.facilitator_token.encode())
        # nothing but the close: no frame of data before it
        opcode, payload = await raw.recv_frame()
        assert opcode == 0x8 and int.from_bytes(payload[:2], "big") == 4003
        await raw.send_json({"type": "export", "ref": 1})  # too late: nothing comes back
        try:
            after = await raw.recv_frame(1)
        except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            after = None
        assert after is None
        raw.abort()


@pytest.mark.parametrize("origin, allowed", [
    ("http://evil.example", False),
    ("http://127.0.0.1:{port}.evil.example", False),
    ("http://127.0.0.1:{port}@evil.example", False),
    ("null", False),
    ("https://evil.example", False),
    ("http://127.0.0.1:{port}", True),
])
async def test_cross_origin_handshakes(live_host, origin, allowed):
    host, _ = live_host
    port = host.host.port
    for path in ("/ws", "/ws/facilitator"):
        raw = await RawWS.open(port, path, headers=[("Origin", origin.format(port=port))])
        assert raw.status == (101 if allowed else 403), (origin, raw.head)
        raw.abort()
