"""Fixtures for the bad-input tests.

``live_host``: a real host in-process (same loop as the async test), on 127.0.0.1 with a
connected facilitator, plus a ``Ledger`` of every ack that the test's phones received:
after the test, a fresh phone must still be able to join and be acked, the stored
contributions must equal the acks, and the log must hold no traceback and few lines.

``threaded_host``: the same host on its own event loop in a thread, for synchronous
hypothesis tests that drive it with the websockets sync client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from facilitation_kit.host.server import Limits
from facilitation_kit.testing import Phone, start_test_host

AGENDA = """\
title = "Bad input"
roles = ["Service user", "Front-line professional", "Manager"]

[[activity]]
id = "ideas"
plugin = "open_question"
title = "Ideas"
prompt = "Tell us"
auto_open = true
max_length = 5000
multiline = true

[[activity]]
id = "more"
plugin = "open_question"
title = "More"
prompt = "And?"
auto_open = true
"""

LOG_LINES_MAX = 60


@dataclass
class Ledger:
    """Acks seen by the test's phones: (participant, client id) → contribution."""

    acks: dict[tuple[str, str], dict] = field(default_factory=dict)

    def record(self, frame: dict) -> dict:
        if frame.get("type") == "ack" and "contribution" in frame:
            c = frame["contribution"]
            first = self.acks.setdefault((c["participant"], c["id"]), c)
            assert first == c
        return frame


def stored(workshop) -> dict[tuple[str, str], dict]:
    out = {}
    for c in workshop.contributions(include_hidden=True):
        c = dict(c)
        c.pop("role", None)
        out[(c["participant"], c["id"])] = c
    return out


async def check_host_healthy(host, ledger: Ledger) -> None:
    """The host still serves a newcomer, and what it stored equals what it acked."""
    phone = await Phone.connect(host.ws_url + "/ws", host.host.room)
    try:
        welcome = await phone.hello(role="Manager")
        assert welcome["type"] == "welcome", welcome
        ack = ledger.record(await phone.submit({"answer": "still here"}, activity="ideas"))
        assert ack["type"] == "ack", ack
    finally:
        await phone.close()
    assert stored(host.workshop) == ledger.acks


def drop_harness_clients(host) -> None:
    """Abort the harness's own clients at the end of a test. They read only when asked,
    so after more than 16 unread frames their reading is paused and a polite close
    would wait websockets' close_timeout (10 s) for a close frame they cannot see."""
    clients = [p.ws for p in host.phones] + ([host.facilitator.ws] if host.facilitator else [])
    for ws in clients:
        ws.transport.abort()


def check_log(records: list[logging.LogRecord]) -> None:
    tracebacks = [r for r in records if r.exc_info]
    assert not tracebacks, [r.getMessage() for r in tracebacks][:5]
    assert len(records) <= LOG_LINES_MAX, [r.getMessage() for r in records][:10]


@pytest.fixture
def agenda_path(tmp_path) -> Path:
    path = tmp_path / "bad-input.toml"
    path.write_text(AGENDA, encoding="utf-8")
    return path


@pytest.fixture
async def live_host(tmp_path, agenda_path, caplog, request):
    """``(host, ledger)``; options via ``@pytest.mark.host_options(limits=..., ...)`` are not
    used: tests that need other limits start their own with ``start_host_with``."""
    caplog.set_level(logging.INFO)
    ledger = Ledger()
    async with start_test_host(agenda_path, data_dir=tmp_path / "data") as host:
        yield host, ledger
        await check_host_healthy(host, ledger)
        drop_harness_clients(host)
    check_log([r for r in caplog.records if r.levelno >= logging.WARNING])


@contextlib.asynccontextmanager
async def start_host_with(tmp_path, agenda_path, **kw):
    async with start_test_host(agenda_path, data_dir=tmp_path / "data", **kw) as host:
        yield host
        drop_harness_clients(host)


class ThreadedHost:
    """A host running on its own loop in a thread; ``call(coro_fn)`` runs on that loop."""

    def __init__(self, agenda: Path, data_dir: Path, **kw):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="threaded-host", daemon=True)
        self.thread.start()
        self._cm = start_test_host(agenda, data_dir=data_dir, **kw)
        self.host = self.call(self._cm.__aenter__)

    def call(self, fn, *args, timeout: float = 60):
        async def run():
            return await fn(*args)
        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout)

    def close(self) -> None:
        async def drop():
            drop_harness_clients(self.host)
        try:
            self.call(drop)
            self.call(self._cm.__aexit__, None, None, None)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()


@pytest.fixture(scope="module")
def threaded_host(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("threaded")
    agenda = tmp / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    # rate limits off: hypothesis sends hundreds of frames a second on one connection
    host = ThreadedHost(agenda, tmp / "data", limits=Limits(rate=1e6, burst=10**6))
    yield host
    host.close()
