"""Property-based fuzzing of the frames on both channels (hypothesis).

Whatever a client sends as a text frame, the host answers with a protocol frame (most
often an ``error`` with a documented code), keeps the connection open, and goes on
serving: a ``sync`` round trip works after every example. At the end, what the host
stored is exactly what it acked.
"""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from .conftest import stored

CODES = {"bad_json", "bad_message", "unknown_type", "bad_room", "bad_token", "not_joined",
         "already_joined", "activity_closed", "wrong_activity", "room_full", "invalid",
         "not_found", "too_large", "rate_limited", "room_locked", "unavailable", "plugin_error",
         "no_activity", "unknown_activity", "unknown_contribution", "no_timer"}
PARTICIPANT_TYPES = ["hello", "submit", "withdraw", "profile", "sync"]
# facilitator commands that cannot lock the room, move the activity or erase someone
FACILITATOR_TYPES = ["goto", "timer", "hide", "unhide", "add_time", "results", "erase",
                     "pause_timer", "resume_timer", "agenda", "participants"]

text = st.text(st.characters(codec="utf-8") | st.sampled_from(["\ud800", "\udfff", "\u202e", "\x1b"]),
               max_size=40)
scalars = (st.none() | st.booleans() | st.integers(min_value=-10**30, max_value=10**30)
           | st.floats(allow_nan=True, allow_infinity=True) | text)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(text, inner, max_size=4), max_leaves=12)


def _frame_text(value) -> str:
    # allow_nan: NaN/Infinity literals are not JSON, the host must refuse them cleanly too
    return json.dumps(value, allow_nan=True)


class Conn:
    def __init__(self, url: str):
        self.stack = contextlib.ExitStack()
        self.ws = self.stack.enter_context(connect(url, max_size=None, open_timeout=10))

    def close(self) -> None:
        # read what is still queued first: with 16 frames unread the client stops reading
        # and could not see the host's close frame (the close would wait 10 s)
        try:
            while True:
                self.ws.recv(timeout=0.05)
        except (TimeoutError, ConnectionClosed):
            pass
        self.stack.close()

    def send(self, payload) -> None:
        self.ws.send(payload)

    def recv(self, timeout: float = 10) -> dict:
        return json.loads(self.ws.recv(timeout))

    def until(self, predicate, timeout: float = 10) -> dict:
        while True:
            frame = self.recv(timeout)
            if predicate(frame):
                return frame


@pytest.fixture(scope="module")
def participant(threaded_host):
    host = threaded_host.host
    conn = Conn(f"ws://127.0.0.1:{host.host.port}/ws")
    conn.send(json.dumps({"type": "hello", "room": host.host.room, "role": "Manager"}))
    welcome = conn.until(lambda f: f["type"] == "welcome")
    conn.pid = welcome["participant"]["id"]
    conn.acks = {}
    yield conn
    conn.close()
    # everything the fuzzed participant got acked is stored, and nothing else of theirs
    mine = {k: v for k, v in threaded_host.call(_stored, host).items() if k[0] == conn.pid}
    assert {k[1] for k in mine} == set(conn.acks)


async def _stored(host):
    return stored(host.workshop)


def _roundtrip(conn: Conn, payload: str) -> list[dict]:
    """Send the payload, then a sync: collect the replies up to the sync answer."""
    conn.send(payload)
    conn.send(json.dumps({"type": "sync"}))
    replies = []
    while True:
        frame = conn.recv()
        if frame["type"] == "sync":
            return replies
        if frame["type"] != "activity":
            replies.append(frame)


def _check(replies: list[dict], conn: Conn) -> None:
    for frame in replies:
        if frame["type"] == "error":
            assert frame["code"] in CODES, frame
            assert isinstance(frame["message"], str) and frame["message"]
        elif frame["type"] == "ack":
            if "contribution" in frame:
                conn.acks.setdefault(frame["id"], frame["contribution"])
        else:
            assert frame["type"] in ("profile", "welcome"), frame


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=json_values)
def test_any_json_value_as_a_frame(participant, value):
    _check(_roundtrip(participant, _frame_text(value)), participant)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(PARTICIPANT_TYPES) | text,
       fields=st.dictionaries(st.sampled_from(["id", "activity", "data", "room", "token", "name",
                                               "role", "lang"]) | text, json_values, max_size=5))
def test_known_and_unknown_types_with_any_fields(participant, kind, fields):
    frame = {**fields, "type": kind}
    if kind == "hello":
        frame.setdefault("room", "WRONG1")  # never a second join: it would only say already_joined
    _check(_roundtrip(participant, _frame_text(frame)), participant)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(answer=json_values, activity=st.sampled_from(["ideas", "more", "nope"]) | text,
       cid=text | json_values)
def test_submissions_with_any_data(participant, answer, activity, cid):
    frame = {"type": "submit", "id": cid, "activity": activity, "data": {"answer": answer}}
    _check(_roundtrip(participant, _frame_text(frame)), participant)


@pytest.fixture(scope="module")
def facilitator(threaded_host):
    host = threaded_host.host
    conn = Conn(f"ws://127.0.0.1:{host.host.port}/ws/facilitator")
    conn.send(json.dumps({"type": "auth", "token": host.host.facilitator_token}))
    assert conn.recv()["type"] == "authed"
    yield conn
    conn.close()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(FACILITATOR_TYPES) | text,
       fields=st.dictionaries(st.sampled_from(["activity", "seconds", "close_at_end", "contribution",
                                               "participant"]) | text, json_values, max_size=4),
       ref=st.integers(0, 10**6) | text)
def test_facilitator_commands_with_any_fields(facilitator, kind, fields, ref):
    if kind == "erase":
        fields["participant"] = "p-nobody"  # never erase a real participant of the other tests
    facilitator.send(_frame_text({**fields, "type": kind, "ref": ref}))
    facilitator.send(json.dumps({"type": "agenda", "ref": "probe"}))
    while True:
        frame = facilitator.recv()
        if frame.get("ref") == "probe":
            assert frame["type"] == "ok" and frame["agenda"]
            break
        if frame["type"] == "error":
            assert frame["code"] in CODES, frame
