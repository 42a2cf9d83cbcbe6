"""Specific bad frames: huge numbers, deep nesting, lone surrogates, invalid UTF-8,
binary, unmasked and fragmented frames, size limits, unknown types, missing fields.

After every case (the ``live_host`` fixture): the host still serves a newcomer, the
stored contributions equal the acks, and the log holds no traceback and few lines.
"""

from __future__ import annotations

import json

import pytest

from .rawws import BINARY, CONTINUATION, TEXT, RawWS


async def _joined_raw(host) -> RawWS:
    raw = await RawWS.open(host.host.port)
    assert raw.status == 101
    await raw.send_json({"type": "hello", "room": host.host.room, "role": "Manager"})
    assert (await raw.recv_json())["type"] == "welcome"
    return raw


async def _reply(raw: RawWS) -> dict:
    while True:
        frame = await raw.recv_json()
        if frame["type"] != "activity":
            return frame


async def _still_open(raw: RawWS) -> None:
    await raw.send_json({"type": "sync"})
    assert (await _reply(raw))["type"] == "sync"


@pytest.mark.parametrize("payload, code", [
    ('{"type": "submit", "id": "n1", "activity": "ideas", "data": {"answer": 1e400}}', "invalid"),
    ('{"type": "submit", "id": "n2", "activity": "ideas", "data": {"answer": -1e400}}', "invalid"),
    ('{"type": "submit", "id": "n3", "activity": "ideas", "data": {"answer": ' + "9" * 4400 + "}}", "bad_json"),
    ('{"type": "submit", "id": 1e400, "activity": "ideas", "data": {}}', "bad_message"),
    ('{"type": "submit", "id": "n4", "activity": "ideas", "data": {"answer": NaN}}', "invalid"),
    ("[" * 1000 + "]" * 1000, "bad_json"),
    ("[" * 5000 + "]" * 5000, "bad_json"),
    ('{"type": "submit", "id": "n5", "activity": "ideas", "data": {"answer": ' + "[" * 900 + "]" * 900 + "}}",
     "invalid"),
    ('{"type": "profile", "name": ' + '{"a":' * 950 + "1" + "}" * 950 + "}", "bad_json"),  # too deep to parse
    ('{"type": "profile", "name": ' + '{"a":' * 50 + "1" + "}" * 50 + "}", "bad_message"),
    ("[1, 2, 3]", "bad_message"),
    ('"just a string"', "bad_message"),
    ("null", "bad_message"),
    ("{not json", "bad_json"),
    ('{"no_type": true}', "bad_message"),
    ('{"type": 42}', "bad_message"),
    ('{"type": "launch_missiles"}', "unknown_type"),
    ('{"type": "submit"}', "bad_message"),
    ('{"type": "submit", "id": "x", "activity": "ideas"}', "bad_message"),
    ('{"type": "submit", "id": "", "activity": "ideas", "data": {}}', "bad_message"),
    ('{"type": "submit", "id": "' + "i" * 201 + '", "activity": "ideas", "data": {}}', "bad_message"),
    ('{"type": "submit", "id": "x", "activity": "ideas", "data": []}', "bad_message"),
    ('{"type": "submit", "id": "x", "activity": "ideas", "data": {"answer": "a", "extra": 1}}', "invalid"),
    ('{"type": "withdraw", "id": ["x"]}', "bad_message"),
    ('{"type": "withdraw", "id": "never-sent"}', "not_found"),
    ('{"type": "hello", "room": "X"}', "already_joined"),
    ('{"type": "profile", "role": "Astronaut"}', "invalid"),
    ('{"type": "profile", "lang": "en; rm -rf /"}', "invalid"),
], ids=lambda v: v[:40] if isinstance(v, str) else None)
async def test_bad_frame_gets_its_error_and_the_connection_stays(live_host, payload, code):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(TEXT, payload.encode())
    reply = await _reply(raw)
    assert reply["type"] == "error" and reply["code"] == code, reply
    await _still_open(raw)
    raw.abort()


async def test_lone_surrogates_become_replacement_characters(live_host):
    host, ledger = live_host
    raw = await RawWS.open(host.host.port)
    await raw.send_frame(TEXT, b'{"type": "hello", "room": "\\udc00", "name": "x"}')
    assert (await _reply(raw))["code"] == "bad_room"
    await raw.send_frame(TEXT, ('{"type": "hello", "room": "%s", "name": "Ana \\ud800"}' % host.host.room).encode())
    welcome = await _reply(raw)
    assert welcome["participant"]["name"] == "Ana \ufffd"
    await raw.send_frame(TEXT, b'{"type": "submit", "id": "\\ud83d", "activity": "ideas", '
                               b'"data": {"answer": "x"}}')
    reply = await _reply(raw)  # a client id is data, not text: only [A-Za-z0-9._:-]
    assert reply["code"] == "bad_message" and reply["id"] == "\ufffd"
    await raw.send_frame(TEXT, b'{"type": "submit", "id": "half-emoji", "activity": "ideas", '
                               b'"data": {"answer": "half an emoji \\ud83d and a low \\ude00"}}')
    ack = ledger.record(await _reply(raw))
    assert ack["type"] == "ack" and ack["id"] == "half-emoji"
    assert ack["contribution"]["data"]["answer"] == "half an emoji \ufffd and a low \ufffd"
    await raw.send_frame(TEXT, b'{"type": "nope\\udfff", "id": "\\udfff"}')
    reply = await _reply(raw)
    assert reply["code"] == "unknown_type" and reply["id"] == "\ufffd"
    await _still_open(raw)
    raw.abort()


async def test_binary_frame_is_bad_message(live_host):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(BINARY, json.dumps({"type": "sync"}).encode())
    assert (await _reply(raw))["code"] == "bad_message"
    await _still_open(raw)
    raw.abort()


async def test_size_limits(live_host):
    host, ledger = live_host
    limit = host.host.limits.max_frame
    raw = await _joined_raw(host)
    envelope = '{"type": "submit", "id": "big", "activity": "ideas", "data": {"answer": "%s"}}'
    exactly = envelope % ("é" * ((limit - len(envelope % "")) // 2))
    exactly += " " * (limit - len(exactly.encode()))
    assert len(exactly.encode()) == limit
    await raw.send_frame(TEXT, exactly.encode())
    reply = await _reply(raw)
    assert reply["type"] == "error" and reply["code"] == "invalid"  # read (too long for the form)
    await raw.send_frame(TEXT, (exactly + " ").encode())
    assert (await _reply(raw))["code"] == "too_large"
    await _still_open(raw)
    # over the hard limit: closed with 1009, nobody else affected
    other = await _joined_raw(host)
    await raw.send_frame(TEXT, b" " * (host.host.limits.hard_frame + 1))
    assert await raw.close_code() == 1009
    await _still_open(other)
    other.abort()


async def test_invalid_utf8_closes_1007_without_traceback(live_host):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(TEXT, b'{"type": "sync", "x": "\xff\xfe"}')
    assert await raw.close_code() == 1007


async def test_unmasked_frame_closes_1002(live_host):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(TEXT, b'{"type": "sync"}', mask=False)
    assert await raw.close_code() == 1002


async def test_fragment_without_continuation_closes_1002(live_host):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(TEXT, b'{"type": ', fin=False)
    await raw.send_frame(TEXT, b'{"type": "sync"}')  # a new message before the first ended
    assert await raw.close_code() == 1002


async def test_fragmented_message_is_reassembled(live_host):
    host, _ = live_host
    raw = await _joined_raw(host)
    await raw.send_frame(TEXT, b'{"type": ', fin=False)
    await raw.send_frame(CONTINUATION, b'"sync"}')
    assert (await _reply(raw))["type"] == "sync"
    raw.abort()
