"""Test harness: a real host on a temporary data dir, simulated phones and a facilitator.

Shipped with the package and registered as a pytest plugin (``pytest11`` entry point),
so plugin authors get the fixtures too::

    async def test_my_activity(workshop_host):
        host = await workshop_host(single_activity("my_activity", prompt="What matters?"))
        ana = await host.phone(role="Service user")
        await host.open()
        ack = await ana.submit({"answer": "time to talk"})
        assert ack["type"] == "ack"
        assert (await host.summary("a1"))["count"] == 1
        assert "time to talk" in host.report("md")

Everything is real: websockets over loopback on port 0, the journalled TinyDB store in a
temporary directory, the plugins installed through entry points (plus any given with
``extra_plugins=`` or ``activities=``). ``docs/testing_plugins.md`` is the guide.
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

from .core import events as ev
from . import hookimpl
from .host.assembly import Host

__all__ = ["Phone", "Facilitator", "TestHost", "workshop_host", "start_test_host",
           "single_activity", "agenda_toml", "plugin_host"]

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
        # Like a real phone, keep reading from the network even while the test is not
        # asking for frames (no flow-control pause after 16 unread frames).
        kw.setdefault("max_queue", None)
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

    async def wait_activity(self, id: str | None = None, state: str | None = None,
                            timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        """Return the current activity once it is ``id`` (and in ``state``), reading
        frames as needed. Returns at once if the phone already knows it."""
        def fits(activity):
            return (activity is not None and (id is None or activity.get("id") == id)
                    and (state is None or activity.get("state") == state))

        async def wait():
            while not fits(self.activity):
                await self.recv(timeout)
            return self.activity
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
        ws = await connect(base_ws_url + "/ws/facilitator", max_size=None, max_queue=None)
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
        #: Every :class:`~facilitation_kit.core.events.PluginProblem` the workshop emitted.
        self.plugin_problems: list[ev.PluginProblem] = []
        self._unsubscribe = host.workshop.subscribe(self._on_event)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.PluginProblem):
            self.plugin_problems.append(event)

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

    async def phones_join(self, count: int, *, role: str | None = None) -> list[Phone]:
        """``count`` joined phones with the same role."""
        return [await self.phone(role=role) for _ in range(count)]

    # -- facilitator commands ----------------------------------------------------------
    async def command(self, command: str, **fields: Any) -> dict[str, Any]:
        """Send a facilitator command; return its ``ok`` frame, or fail the test with
        the ``error`` frame. Then wait until every joined phone has seen the current
        activity as it is now, so the next ``submit`` goes to the right place."""
        frame = await self.facilitator.send_command(command, **fields)
        if frame.get("type") != "ok":
            raise AssertionError(f"facilitator command {command!r} failed: {frame}")
        await self.sync_phones()
        return frame

    async def open(self) -> dict[str, Any]:
        """Open the current activity for submissions."""
        return await self.command("open")

    async def close(self) -> dict[str, Any]:
        """Close the current activity."""
        return await self.command("close")

    async def next(self) -> dict[str, Any]:
        """Go to the next activity of the agenda."""
        return await self.command("next")

    async def goto(self, activity_id: str) -> dict[str, Any]:
        """Go to an activity by its id."""
        return await self.command("goto", activity=activity_id)

    async def sync_phones(self) -> None:
        current = self.workshop.current_id
        if current is None:
            return
        state = self.workshop.activity_state(current)["state"]
        for phone in self.phones:
            if phone.welcome is not None and phone.ws.state.name == "OPEN":
                await phone.wait_activity(current, state)

    # -- results -----------------------------------------------------------------------
    async def results(self, activity_id: str) -> dict[str, Any]:
        """What the host answers the facilitator: ``{"results": …, "visible": …}`` or
        ``{"error": …}`` when the plugin failed."""
        return await self.workshop.results(activity_id)

    async def summary(self, activity_id: str) -> dict[str, Any]:
        """The plugin's ``summarise`` result; fails the test if the plugin failed."""
        answer = await self.results(activity_id)
        if "error" in answer:
            raise AssertionError(f"results of {activity_id!r} failed: {answer['error']}")
        return answer["results"]

    def export(self) -> dict[str, Any]:
        return self.workshop.export()

    def report(self, format: str = "md") -> str:
        from .report.render import render_report

        return render_report(self.export(), self.host.plugins, format=format)

    async def aclose(self) -> None:
        self._unsubscribe()
        for phone in self.phones:
            with contextlib.suppress(Exception):
                await phone.close()
        if self.facilitator is not None:
            with contextlib.suppress(Exception):
                await self.facilitator.close()


class _Activities:
    """A throwaway plugin that registers the given activity types."""

    def __init__(self, activity_types):
        self.activity_types = list(activity_types)

    @hookimpl
    def register_activities(self, register):
        for activity_type in self.activity_types:
            register(activity_type)


def plugin_host(extra_plugins: Any = (), activities: Any = ()):
    """Load the installed plugins plus ``extra_plugins`` (modules, classes or objects
    with ``@hookimpl`` functions, or ``(name, plugin)`` pairs) and a throwaway plugin
    registering ``activities`` (ActivityType instances). Returns the
    :class:`~facilitation_kit.core.plugins.PluginHost`, whose ``problems`` say what failed."""
    from .core.plugins import load_plugins

    extra = []
    for plugin in extra_plugins:
        if isinstance(plugin, tuple):
            extra.append(plugin)
        else:
            name = getattr(plugin, "__name__", None) or type(plugin).__name__
            extra.append((f"test-{name}", plugin))
    if activities:
        extra.append(("test-activities", _Activities(activities)))
    return load_plugins(extra=extra)


@contextlib.asynccontextmanager
async def start_test_host(agenda: str | Path | None = None, *, data_dir: str | Path,
                          extra_plugins: Any = (), activities: Any = (),
                          **kw: Any) -> AsyncIterator[TestHost]:
    """Start a host on 127.0.0.1, port 0, with a connected facilitator.

    ``agenda`` is a path (``None``: the default CoSIE agenda). ``extra_plugins`` and
    ``activities`` are registered besides the installed plugins (see :func:`plugin_host`);
    other keyword arguments go to :class:`~facilitation_kit.host.assembly.Host` (e.g.
    ``plugin_timeout=0.5``).
    """
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("port", 0)
    # Every simulated phone comes from 127.0.0.1: exempt it from the per-address limits
    # (connections, new participants, failed hellos), as one venue's many phones are not
    # one address. Tests of those limits pass trusted_addresses=() or use 127.0.0.2 and up.
    kw.setdefault("trusted_addresses", ("127.0.0.1",))
    if extra_plugins or activities:
        if kw.get("plugins") is not None:
            raise TypeError("give either plugins= (a PluginHost) or extra_plugins=/activities=")
        kw["plugins"] = plugin_host(extra_plugins, activities)
    async with Host.start(agenda, data_dir=data_dir, **kw) as host:
        test_host = TestHost(host)
        test_host.facilitator = await Facilitator.connect(test_host.ws_url, host.facilitator_token)
        try:
            yield test_host
        finally:
            await test_host.aclose()


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to an agenda")


def agenda_toml(activities: list[dict[str, Any]], *, title: str = "Test workshop",
                roles: list[str] | None = None, **settings: Any) -> str:
    """An agenda's TOML text: ``activities`` are dicts of agenda keys (``id``,
    ``plugin``, options, …); ``settings`` are other top-level keys (``language``, …)."""
    lines = [f"title = {_toml_value(title)}"]
    if roles is not None:
        lines.append(f"roles = {_toml_value(roles)}")
    lines += [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    for activity in activities:
        lines.append("\n[[activity]]")
        lines += [f"{key} = {_toml_value(value)}" for key, value in activity.items()]
    return "\n".join(lines) + "\n"


def single_activity(plugin: str, *, id: str = "a1", session_roles: list[str] | None = None,
                    **fields: Any) -> str:
    """The TOML text of an agenda with one activity of ``plugin`` (id ``a1``) that
    takes the given agenda keys and options, e.g.
    ``single_activity("open_question", prompt="Why?", max_length=80)``.
    ``session_roles`` replaces the default participant roles."""
    return agenda_toml([{"id": id, "plugin": plugin, **fields}], roles=session_roles)


@pytest.fixture
async def workshop_host(tmp_path):
    """Factory fixture: ``host = await workshop_host(agenda, **kwargs)``.

    ``agenda`` is a path, the agenda's TOML text (see :func:`single_activity`) or
    ``None`` for the default CoSIE agenda. Keyword arguments are those of
    :func:`start_test_host` (``extra_plugins=``, ``activities=``, ``plugin_timeout=``, …).
    Every host it starts is stopped at the end of the test.
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
