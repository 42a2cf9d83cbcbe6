"""Test harness: a real host on a temporary data dir, simulated phones and a facilitator.

Shipped with the package and registered as a pytest plugin (``pytest11`` entry point),
so plugin authors get the fixtures too::

    async def test_my_activity(workshop_host):
        host = await workshop_host("my-agenda.toml")
        ana = await host.phone(role="Service user")
        await host.facilitator.send_command("open")
        ack = await ana.submit({"answer": "time to talk"})
        assert ack["type"] == "ack"

Everything is real: websockets over loopback on port 0, the journalled TinyDB store in a
temporary directory, the plugins installed through entry points.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from .host import Host

__all__ = ["Phone", "Facilitator", "TestHost", "workshop_host", "start_test_host"]

DEFAULT_TIMEOUT = 10.0


class Phone:
    """A simulated participant's phone speaking protocol v1 over a real websocket."""

    def __init__(self, ws: ClientConnection, url: str, room: str):
        self.ws, self.url, self.room = ws, url, room
        self.welcome: dict[str, Any] | None = None
        self.activity: dict[str, Any] | None = None
        self.token: str | None = None
        self.id: str | None = None
        self.frames: list[dict[str, Any]] = []  # everything received, in order

    @classmethod
    async def connect(cls, ws_url: str, room: str, **kw: Any) -> "Phone":
        ws = await connect(ws_url, max_size=None, **kw)
        return cls(ws, ws_url, room)

    async def send(self, frame: dict[str, Any] | str | bytes) -> None:
        await self.ws.send(frame if isinstance(frame, (str, bytes)) else json.dumps(frame))

    async def recv(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.frames.append(frame)
        if frame.get("type") == "activity":
            self.activity = frame["activity"]
        return frame

    async def expect(self, type_: str, timeout: float = DEFAULT_TIMEOUT, **match: Any) -> dict[str, Any]:
        """Receive until a frame of ``type_`` (whose keys equal ``match``) arrives."""
        async def wait():
            while True:
                frame = await self.recv(timeout)
                if frame.get("type") == type_ and all(frame.get(k) == v for k, v in match.items()):
                    return frame
        return await asyncio.wait_for(wait(), timeout)

    async def hello(self, *, name: str | None = None, role: str | None = None, lang: str | None = None,
                    token: str | None = None, room: str | None = None) -> dict[str, Any]:
        await self.send({"type": "hello", "room": room or self.room, "name": name, "role": role,
                         "lang": lang, "token": token})
        frame = await self.recv()
        if frame["type"] == "welcome":
            self.welcome = frame
            self.token, self.id = frame["token"], frame["participant"]["id"]
            self.activity = frame["activity"]
        return frame

    async def submit(self, data: dict[str, Any], *, id: str | None = None,
                     activity: str | None = None) -> dict[str, Any]:
        """Submit to the current activity; returns the ack or error frame for it."""
        cid = id or str(uuid.uuid4())
        await self.send({"type": "submit", "id": cid, "activity": activity or self.activity["id"],
                         "data": data})
        return await self._reply(cid)

    async def withdraw(self, id: str) -> dict[str, Any]:
        await self.send({"type": "withdraw", "id": id})
        return await self._reply(id)

    async def _reply(self, cid: str) -> dict[str, Any]:
        while True:
            frame = await self.recv()
            if frame.get("type") in ("ack", "error") and frame.get("id") == cid:
                return frame

    async def sync(self) -> dict[str, Any]:
        await self.send({"type": "sync"})
        return await self.expect("sync")

    async def close(self) -> None:
        await self.ws.close()


class Facilitator:
    """A client of ``/ws/facilitator``: commands and the event stream."""

    def __init__(self, ws: ClientConnection):
        self.ws = ws
        self.events: list[dict[str, Any]] = []
        self._refs = itertools.count(1)

    @classmethod
    async def connect(cls, base_ws_url: str, token: str) -> "Facilitator":
        ws = await connect(base_ws_url + "/ws/facilitator", max_size=None)
        await ws.send(json.dumps({"type": "auth", "token": token}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), DEFAULT_TIMEOUT))
        if reply.get("type") != "authed":
            raise AssertionError(f"facilitator auth failed: {reply}")
        self = cls(ws)
        self.authed = reply
        return self

    async def recv(self, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        self.events.append(frame)
        return frame

    async def send_command(self, command: str, **fields: Any) -> dict[str, Any]:
        """Send a command; returns its ``ok`` (or ``error``) frame. Events that arrive
        meanwhile are kept in :attr:`events`."""
        ref = next(self._refs)
        await self.ws.send(json.dumps({"type": command, "ref": ref, **fields}))
        while True:
            frame = await self.recv()
            if frame.get("type") in ("ok", "error") and frame.get("ref") == ref:
                return frame

    async def expect(self, type_: str, timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        for frame in self.events:
            if frame.get("type") == type_:
                self.events.remove(frame)
                return frame

        async def wait():
            while True:
                frame = await self.recv(timeout)
                if frame.get("type") == type_:
                    self.events.remove(frame)
                    return frame
        return await asyncio.wait_for(wait(), timeout)

    async def close(self) -> None:
        await self.ws.close()


class TestHost:
    """A running host plus helpers to join phones and drive it."""

    __test__ = False  # not a pytest test class

    def __init__(self, host: Host):
        self.host = host
        self.facilitator: Facilitator | None = None
        self.phones: list[Phone] = []

    @property
    def workshop(self):
        return self.host.workshop

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.host.port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.host.port}"

    async def phone(self, *, name: str | None = None, role: str | None = None,
                    lang: str | None = None, join: bool = True) -> Phone:
        """A new phone; joined (``hello`` answered by ``welcome``) unless ``join=False``."""
        phone = await Phone.connect(self.ws_url + "/ws", self.host.room)
        self.phones.append(phone)
        if join:
            frame = await phone.hello(name=name, role=role, lang=lang)
            if frame["type"] != "welcome":
                raise AssertionError(f"join failed: {frame}")
        return phone

    async def results(self, activity_id: str) -> dict[str, Any]:
        return await self.workshop.results(activity_id)

    def export(self) -> dict[str, Any]:
        return self.workshop.export()

    def report(self, format: str = "md") -> str:
        from .report import render_report

        return render_report(self.export(), self.host.plugins, format=format)

    async def aclose(self) -> None:
        for phone in self.phones:
            with contextlib.suppress(Exception):
                await phone.close()
        if self.facilitator is not None:
            with contextlib.suppress(Exception):
                await self.facilitator.close()


@contextlib.asynccontextmanager
async def start_test_host(agenda: str | Path | None = None, *, data_dir: str | Path,
                          **kw: Any) -> AsyncIterator[TestHost]:
    """Start a host on 127.0.0.1, port 0, with a connected facilitator."""
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("port", 0)
    async with Host.start(agenda, data_dir=data_dir, **kw) as host:
        test_host = TestHost(host)
        test_host.facilitator = await Facilitator.connect(test_host.ws_url, host.facilitator_token)
        try:
            yield test_host
        finally:
            await test_host.aclose()


@pytest.fixture
async def workshop_host(tmp_path):
    """Factory fixture: ``host = await workshop_host(agenda_path_or_toml_text, **host_kwargs)``.

    Accepts a path or the agenda's TOML text. Every host it starts is stopped at the end.
    """
    stack = contextlib.AsyncExitStack()
    counter = itertools.count()

    async def start(agenda: str | Path | None = None, **kw: Any) -> TestHost:
        if isinstance(agenda, str) and "\n" in agenda:
            path = tmp_path / f"agenda-{next(counter)}.toml"
            path.write_text(agenda, encoding="utf-8")
            agenda = path
        kw.setdefault("data_dir", tmp_path / "data")
        return await stack.enter_async_context(start_test_host(agenda, **kw))

    async with stack:
        yield start
