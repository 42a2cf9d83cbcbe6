"""The workshop host in a child process, the TUI as a facilitator-channel client.

``facilitation-kit run`` starts ``python -m facilitation_kit serve --headless`` as a child
process and drives it over ``/ws/facilitator`` (see docs/architecture.md for why: the
TUI's rendering then never delays a participant's ack). :class:`RemoteHost` offers the
surface the TUI uses from :class:`~facilitation_kit.host.assembly.Host`; its ``workshop`` is a
:class:`RemoteWorkshop`, a local mirror of the child's state, started from the channel's
``state`` query and kept up to date from its events, offering the same synchronous
queries, the same async commands (sent over the channel) and ``subscribe`` with the same
:mod:`facilitation_kit.core.events` dataclasses.

The child's output goes to ``DATA_DIR/logs/host.log``, never onto the TUI's terminal.
If the child dies, subscribers get :class:`HostLost`; closing stops it with SIGTERM
(everything acknowledged is already stored on its side).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ..core import events as ev
from ..core.agenda import Agenda, agenda_from_dict
from ..core.engine import Workshop, WorkshopError, contribution_key, utc_iso
from ..host.assembly import DEFAULT_PORT, Host, HostError, default_data_dir
from ..core.plugins import PluginHost, load_plugins

__all__ = ["HostLost", "RemoteHost", "RemoteWorkshop"]

log = logging.getLogger("facilitation_kit.tui.client")


@dataclass(frozen=True)
class HostLost(ev.Event):
    """The host process stopped or its facilitator connection broke (TUI only)."""

    message: str


class RemoteWorkshop(Workshop):
    """A mirror of the child's workshop. Queries answer from local tables; commands go
    over the facilitator channel and return once the child answered ``ok`` (the events
    they caused arrive before that answer, so the mirror is already up to date)."""

    #: Least seconds between two commands sent (the channel allows 30 frames/s).
    COMMAND_SPACING = 0.04
    COMMAND_TIMEOUT = 30.0

    def __init__(self, ws: ClientConnection, agenda: Agenda, plugins: PluginHost, state: dict[str, Any],
                 view: dict[str, Any] | None):
        tables = {"session": {"session": state["session"]}, "activities": state["activities"],
                  "participants": state["participants"],
                  "contributions": {contribution_key(c["participant"], c["id"]): c for c in state["contributions"]}}
        super().__init__(agenda, plugins, None, tables)
        self._ws = ws
        self._connections = {pid: 1 for pid in state.get("connected", [])}
        self._current_view = view
        self._replies: dict[str, asyncio.Future] = {}
        self._ref = 0
        self._send_lock = asyncio.Lock()
        self._last_send = 0.0
        self.lost: str | None = None
        self._reader: asyncio.Task | None = None
        self._expiry: asyncio.Task | None = None

    # -- the channel -------------------------------------------------------------------
    def start_reading(self) -> None:
        self._reader = asyncio.ensure_future(self._read())
        self._expiry = asyncio.ensure_future(self._watch_timers())

    async def _watch_timers(self) -> None:
        """A timer that closes an activity other than the current one changes its state
        without an event: when one has run out, read the states again (``agenda``)."""
        while self.lost is None:
            await asyncio.sleep(1.0)
            now = time.time()
            expired = [aid for aid, st in self.tables["activities"].items()
                       if aid != self.current_id and st.get("state") == "open" and st.get("close_at_end")
                       and st.get("ends_at") and st["ends_at"] <= now]
            if not expired:
                continue
            try:
                agenda = (await self.request("agenda"))["agenda"]
            except WorkshopError:
                continue
            for row in agenda:
                st = self.tables["activities"].get(row["id"])
                if st is not None:
                    self.tables["activities"][row["id"]] = {
                        **st, "state": row["state"], "ends_at": row["ends_at"],
                        "paused_remaining": row["paused_remaining"]}
                    self._invalidate(row["id"])
            await asyncio.sleep(1.0)

    async def _read(self) -> None:
        reason = "the connection to the host process closed"
        try:
            async for message in self._ws:
                frame = json.loads(message)
                kind = frame.get("type")
                if kind in ("ok", "error") and str(frame.get("ref")) in self._replies:
                    fut = self._replies.pop(str(frame.get("ref")))
                    if not fut.done():
                        fut.set_result(frame)
                    continue
                try:
                    self._apply(frame)
                except Exception:  # a frame the mirror does not understand must not stop it
                    log.exception("cannot apply facilitator event %s", kind)
        except ConnectionClosed as exc:
            reason = f"the connection to the host process closed ({exc})"
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            reason = f"the connection to the host process failed: {exc}"
        self.host_lost(reason)

    def host_lost(self, message: str) -> None:
        """The child is gone: say so once, fail waiting commands, nobody is connected."""
        if self.lost is not None:
            return
        self.lost = message
        self._connections.clear()
        for fut in self._replies.values():
            if not fut.done():
                fut.set_exception(WorkshopError("unavailable", f"the workshop host is not running: {message}"))
        self._replies.clear()
        self._emit(HostLost(message))

    async def request(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Send one command; returns its ``ok`` frame or raises :class:`WorkshopError`."""
        if self.lost is not None:
            raise WorkshopError("unavailable", f"the workshop host is not running: {self.lost}")
        loop = asyncio.get_running_loop()
        async with self._send_lock:
            wait = self._last_send + self.COMMAND_SPACING - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            self._ref += 1
            ref = str(self._ref)
            fut = self._replies[ref] = loop.create_future()
            try:
                await self._ws.send(json.dumps({"type": kind, "ref": ref, **fields}, ensure_ascii=False))
            except ConnectionClosed as exc:
                self._replies.pop(ref, None)
                raise WorkshopError("unavailable", f"the workshop host is not reachable: {exc}") from None
            self._last_send = time.monotonic()
        try:
            reply = await asyncio.wait_for(fut, self.COMMAND_TIMEOUT)
        except asyncio.TimeoutError:
            self._replies.pop(ref, None)
            raise WorkshopError("unavailable", f"the workshop host did not answer {kind!r} in time") from None
        if reply.get("type") == "error":
            raise WorkshopError(reply.get("code") or "error", reply.get("message") or "the command failed")
        return reply

    # -- events in: update the tables, then tell the subscribers --------------------------
    def _apply(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        tables = self.tables
        if kind == "activity_state":
            aid = frame["activity"]
            tables["activities"][aid] = frame["state"]
            self._invalidate(aid)
        elif kind == "activity":
            view = frame.get("activity")
            self._current_view = view
            tables["session"]["session"] = {**self.session, "current": (view or {}).get("id")}
            self._emit(ev.ActivityChanged(view))
        elif kind == "joined":
            p = frame["participant"]
            doc = dict(tables["participants"].get(p["id"]) or {"id": p["id"], "joined_at": utc_iso()})
            doc.update(name=p.get("name"), role=p.get("role"))
            tables["participants"][p["id"]] = doc
            self._connections[p["id"]] = 1
            self._emit(ev.ParticipantJoined(p, bool(frame.get("resumed"))))
        elif kind == "left":
            self._connections.pop(frame["participant"]["id"], None)
            self._emit(ev.ParticipantLeft(frame["participant"]))
        elif kind == "profile":
            p = frame["participant"]
            doc = tables["participants"].get(p["id"])
            if doc is not None:
                tables["participants"][p["id"]] = {**doc, "name": p.get("name"), "role": p.get("role")}
            self._emit(ev.ProfileChanged(p))
        elif kind == "contribution":
            c = frame["contribution"]
            doc = dict(c)
            if frame.get("held"):
                doc["held"] = True
            self._put(doc)
            self._emit(ev.ContributionAdded(c, frame.get("role")))
        elif kind == "withdrawn":
            key = contribution_key(frame["participant"], frame["id"])
            old = tables["contributions"].get(key)
            activity = (old or {}).get("activity")
            if old is not None:
                self._put({"id": old["id"], "participant": old["participant"], "activity": activity,
                           "created_at": old.get("created_at"), "withdrawn": True})
            self._emit(ev.ContributionWithdrawn(frame["id"], frame["participant"], activity))
        elif kind in ("hidden", "unhidden"):
            c = frame["contribution"]
            key = contribution_key(c["participant"], c["id"])
            doc = {**tables["contributions"].get(key, {}), **c}
            doc.pop("held", None)
            doc.pop("hidden", None)
            if kind == "hidden":
                doc["hidden"] = True
            self._put(doc)
            self._emit(ev.ContributionHidden(c, kind == "hidden"))
        elif kind == "erased":
            pid = frame["participant"]["id"]
            for key in list(self._by_participant.get(pid, set())):
                old = tables["contributions"].pop(key, None)
                if old is not None:
                    self._unindex(key, old)
            tables["participants"][pid] = {"id": pid, "erased": True}
            self._connections.pop(pid, None)
            self._emit(ev.ParticipantErased(pid, int(frame.get("contributions") or 0)))
        elif kind in ("locked", "unlocked"):
            tables["session"]["session"] = {**self.session, "locked": kind == "locked"}
            self._emit(ev.RoomLockChanged(kind == "locked"))
        elif kind == "storage":
            self._emit(ev.StorageProblem(None if frame.get("ok") else (frame.get("message") or "write failed")))
        elif kind == "plugin_error":
            self._emit(ev.PluginProblem(frame.get("activity") or "", frame.get("plugin") or "",
                                        frame.get("message") or ""))
        elif kind == "moderation":
            self._emit(ev.ModerationChanged(frame["activity"], bool(frame.get("moderated"))))
        elif kind == "screen":  # the room's screen: what it shows (its token is not sent)
            tables["session"]["screen"] = {**(frame.get("screen") or {}), "token": self.screen_settings.get("token")}

    def _put(self, doc: dict[str, Any]) -> None:
        key = contribution_key(doc["participant"], doc["id"])
        old = self.tables["contributions"].get(key)
        if old is not None:
            self._unindex(key, old)
        self.tables["contributions"][key] = doc
        self._index(key, doc)
        for act in self.agenda.activities:  # activities that take items from this one
            if act.source == doc["activity"]:
                self._invalidate(act.id)

    # -- queries that differ from the engine's ------------------------------------------
    async def activity_view(self, activity_id: str | None = None) -> dict[str, Any] | None:
        if activity_id is None or activity_id == self.current_id:
            return self._current_view
        return await super().activity_view(activity_id)

    async def fetch_export(self) -> dict[str, Any]:
        """The child's JSON export (the complete record, from the stored tables)."""
        return (await self.request("export"))["export"]

    # -- commands: over the channel ------------------------------------------------------
    async def next(self) -> None:
        await self.request("next")

    async def previous(self) -> None:
        await self.request("previous")

    async def open(self) -> None:
        await self.request("open")

    async def close(self) -> None:
        await self.request("close")

    async def goto(self, activity_id: str) -> None:
        await self.request("goto", activity=activity_id)

    async def set_timer(self, seconds: float | None, close_at_end: bool = False) -> None:
        await self.request("timer", seconds=seconds, close_at_end=close_at_end)

    async def pause_timer(self) -> None:
        await self.request("pause_timer")

    async def resume_timer(self) -> None:
        await self.request("resume_timer")

    async def add_time(self, seconds: float) -> None:
        await self.request("add_time", seconds=seconds)

    async def set_hidden(self, participant_id: str, client_id: str, hidden: bool) -> dict[str, Any]:
        await self.request("hide" if hidden else "unhide", contribution=client_id, participant=participant_id)
        doc = self.tables["contributions"].get(contribution_key(participant_id, client_id))
        return self.contribution_view(doc) if doc else {}

    async def set_locked(self, locked: bool) -> None:
        await self.request("lock" if locked else "unlock")

    async def set_moderated(self, activity_id: str, moderated: bool) -> None:
        await self.request("moderate", activity=activity_id, moderated=moderated)

    async def erase_participant(self, participant_id: str) -> int:
        return int((await self.request("erase", participant=participant_id)).get("erased") or 0)

    async def set_screen(self, view: str, participant: str | None = None,
                         contribution: str | None = None) -> dict[str, Any]:
        screen = (await self.request("screen", view=view, participant=participant, contribution=contribution))["screen"]
        self.tables["session"]["screen"] = {**screen, "token": self.screen_settings.get("token")}
        return screen

    async def new_screen_token(self) -> str:
        token = (await self.request("screen_token", action="new"))["token"]
        self.tables["session"]["screen"] = {**self.screen_settings, "token": token}
        return token

    async def join(self, **kw: Any):
        raise WorkshopError("unavailable", "participants join through the host process")

    submit = withdraw = set_profile = join

    async def _commit(self, ops) -> None:  # never: the child stores
        raise WorkshopError("unavailable", "the mirror does not store anything")

    async def aclose(self) -> None:
        for task in (self._reader, self._expiry):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await super().aclose()


class RemoteHost:
    """The host as a child process (``serve --headless``), driven over the facilitator
    channel. Same constructor and the facts the TUI uses as :class:`Host`."""

    START_TIMEOUT = 30.0
    STOP_TIMEOUT = 10.0

    # the join link is built exactly as the in-process host builds it
    join_host = Host.join_host
    base_url = Host.base_url
    url = Host.url

    def __init__(self, agenda: str | Path | Agenda | None = None, *, data_dir: str | Path | None = None,
                 host: str = "127.0.0.1", port: int = DEFAULT_PORT, resume: str | None = None,
                 allowed_origins: Iterable[str] = (), plugins: PluginHost | None = None,
                 limits: Any = None, info_file: str | Path | None = None,
                 public_host: str | None = None, facilitator_token: str | None = None,
                 plugin_timeout: float = 5.0, participant_cap: int | None = None):
        if isinstance(agenda, Agenda):
            if not agenda.path:
                raise HostError("the host process needs the agenda as a file")
            agenda = agenda.path
        self.agenda_source = agenda
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
        self.bind_host, self.port = host, port
        self.resume_id = resume
        self.allowed_origins = list(allowed_origins)
        self.plugins = plugins
        self.info_file = Path(info_file) if info_file else None
        self.public_host = public_host
        self.participant_cap = participant_cap
        self.facilitator_token: str | None = None
        self.workshop: RemoteWorkshop | None = None
        self.store = None  # on the child's side
        self.server = None
        self.resumed = False
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = self.data_dir / "logs" / "host.log"
        self._child_info: dict[str, Any] = {}
        self._tmp: str | None = None
        self._watcher: asyncio.Task | None = None
        self._closing = False

    # -- facts -----------------------------------------------------------------------
    session_id = Host.session_id
    room = Host.room

    @property
    def data_file(self) -> Path:
        return Path(self._child_info.get("data_file", ""))

    @property
    def screen_url(self) -> str | None:
        token = self.workshop.screen_settings.get("token") if self.workshop is not None else None
        return f"{self.base_url}/screen#token={token}" if token else self._child_info.get("screen_url")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    info = Host.info
    write_info_file = Host.write_info_file

    def _command(self, info_path: Path) -> list[str]:
        cmd = [sys.executable, "-m", "facilitation_kit", "serve", "--headless", "--stop-with-parent",
               "--info-file", str(info_path),
               "--host", self.bind_host, "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.resume_id:
            cmd += ["--resume", self.resume_id]
        elif self.agenda_source is not None:
            cmd.append(str(self.agenda_source))
        if self.public_host:
            cmd += ["--public-host", self.public_host]
        for origin in self.allowed_origins:
            cmd += ["--allow-origin", origin]
        if self.participant_cap is not None:
            cmd += ["--participant-cap", str(self.participant_cap)]
        return cmd

    # -- lifecycle -------------------------------------------------------------------
    async def open(self) -> None:
        if self.plugins is None:
            self.plugins = load_plugins()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix="fk-host-")  # 0700: the info file holds the token
        info_path = Path(self._tmp) / "info.json"
        with open(self.log_path, "ab") as logf:
            start = logf.tell()
            logf.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} starting the host process\n".encode())
            logf.flush()
            env = {**os.environ, "PYTHONUNBUFFERED": "1"}
            env.pop("FACILITATION_KIT_DEBUG", None)
            self.process = await asyncio.create_subprocess_exec(
                *self._command(info_path), stdin=asyncio.subprocess.DEVNULL, stdout=logf,
                stderr=asyncio.subprocess.STDOUT, env=env)
            logf.write(f"--- host process pid {self.process.pid}\n".encode())
        try:
            await self._wait_for_info(info_path, start)
            await self._connect()
        except BaseException:
            await self.close()
            raise
        self.resumed = bool(self.resume_id)
        self._watcher = asyncio.ensure_future(self._watch())
        if self.info_file:
            self.write_info_file()

    async def _wait_for_info(self, info_path: Path, log_start: int) -> None:
        deadline = time.monotonic() + self.START_TIMEOUT
        while not info_path.exists():
            if self.process.returncode is not None:
                raise HostError(self._failure_line(log_start))
            if time.monotonic() > deadline:
                raise HostError(f"the host process did not start within {self.START_TIMEOUT:g} s; see {self.log_path}")
            await asyncio.sleep(0.05)
        self._child_info = json.loads(info_path.read_text(encoding="utf-8"))
        self.port = int(self._child_info["port"])
        self.facilitator_token = self._child_info["facilitator_token"]

    def _failure_line(self, log_start: int) -> str:
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(log_start)
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            text = ""
        for line in reversed(text.splitlines()):
            if line.startswith("facilitation-kit: "):
                return line[len("facilitation-kit: "):]
        return f"the host process stopped at start (exit status {self.process.returncode}); see {self.log_path}"

    async def _connect(self) -> None:
        address = self.bind_host
        if address in ("0.0.0.0", ""):
            address = "127.0.0.1"
        elif address == "::":
            address = "::1"
        if ":" in address:
            address = f"[{address}]"
        ws = await connect(f"ws://{address}:{self.port}/ws/facilitator", max_size=None, compression=None,
                           open_timeout=10)
        try:
            await ws.send(json.dumps({"type": "auth", "token": self.facilitator_token}))
            authed = json.loads(await asyncio.wait_for(ws.recv(), 10))
            if authed.get("type") != "authed":
                raise HostError("the host process refused the facilitator connection")
            await ws.send(json.dumps({"type": "state", "ref": "state"}))
            view = authed.get("activity")
            while True:  # events before the answer are in the state already
                frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if frame.get("ref") == "state" and frame.get("type") in ("ok", "error"):
                    break
                if frame.get("type") == "activity":
                    view = frame.get("activity")
            if frame["type"] != "ok":
                raise HostError(f"the host process cannot report its state: {frame.get('message')}")
            state = frame["state"]
            stored = state["session"].get("agenda") or {}
            agenda = agenda_from_dict(stored.get("source") or {}, self.plugins, path=stored.get("path"))
            self.workshop = RemoteWorkshop(ws, agenda, self.plugins, state, view)
        except BaseException:
            await ws.close()
            raise
        self.workshop.start_reading()

    async def _watch(self) -> None:
        code = await self.process.wait()
        if not self._closing and self.workshop is not None:
            how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
            self.workshop.host_lost(f"the host process stopped ({how}); see {self.log_path}")

    async def close(self) -> None:
        self._closing = True
        if self.workshop is not None:
            with contextlib.suppress(Exception):
                await self.workshop._ws.close()
            await self.workshop.aclose()
        proc = self.process
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), self.STOP_TIMEOUT)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
