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
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from ..core import events as ev
from ..core.agenda import Agenda, agenda_from_dict
from ..core.engine import WorkshopError
from ..core.state import WorkshopState
from ..host.assembly import Host, HostError, HostSettings, pinned_tls_context, serve_flags
from ..host.logs import open_private_log
from ..core.plugins import PluginHost, load_plugins

__all__ = ["HostLost", "RemoteHost", "RemoteWorkshop", "event_from_frame"]

log = logging.getLogger("facilitation_kit.tui.client")


@dataclass(frozen=True)
class HostLost(ev.Event):
    """The host process stopped or its facilitator connection broke (TUI only)."""

    message: str


class RemoteWorkshop(WorkshopState, ev.Publisher):
    """The TUI's copy of a workshop whose host runs in another process.

    It is a :class:`~facilitation_kit.core.state.WorkshopState` started from the channel's
    ``state`` snapshot and fed the host's own stored operations (the ``ops`` extension
    event), so every query answers as the host's would; the channel's other events become
    the same :mod:`facilitation_kit.core.events` for the screens. It never runs plugin
    code and never polls: commands (:meth:`request`, the names of
    :data:`facilitation_kit.core.protocol.COMMANDS`) go over the channel and return once
    the host answered ``ok`` (the events they caused arrive before that answer)."""

    #: Least seconds between two commands sent (the channel allows 30 frames/s).
    COMMAND_SPACING = 0.04
    COMMAND_TIMEOUT = 30.0

    def __init__(self, ws: ClientConnection, agenda: Agenda, plugins: PluginHost, state: dict[str, Any],
                 view: dict[str, Any] | None):
        super().__init__(agenda, WorkshopState.tables_from_snapshot(state))
        self.plugins = plugins
        self._ws = ws
        self._connections = {pid: 1 for pid in state.get("connected", [])}
        self._current_view = view
        self._replies: dict[str, asyncio.Future] = {}
        self._ref = 0
        self._send_lock = asyncio.Lock()
        self._last_send = 0.0
        self.lost: str | None = None
        self._reader: asyncio.Task | None = None

    # -- the channel -------------------------------------------------------------------
    def start_reading(self) -> None:
        self._reader = asyncio.ensure_future(self._read())

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
                    self._apply_frame(frame)
                except Exception:  # a frame the copy does not understand must not stop it
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
            fields = reply.get("fields") if isinstance(reply.get("fields"), dict) else None
            raise WorkshopError(reply.get("code") or "error", reply.get("message") or "the command failed", fields)
        return reply

    # -- events in: the tables follow the host's operations; the rest become events -------
    def _apply_frame(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "ops":
            self.apply([tuple(op) for op in frame["ops"]])
            return
        if kind == "joined":
            self._connections[frame["participant"]["id"]] = 1
        elif kind in ("left", "erased"):
            self._connections.pop(frame["participant"]["id"], None)
        elif kind == "activity":
            self._current_view = frame.get("activity")
        elif kind == "screen" and frame.get("token_changed") and isinstance(frame.get("token"), str):
            # the ops before it stored the new token already; a host that sent none still names it here
            self.tables["session"]["screen"] = {**self.screen_settings, "token": frame["token"]}
        elif kind == "withdrawn":  # the frame does not name the activity; the tombstone does
            frame = {**frame, "activity": (self.contribution(frame["participant"], frame["id"]) or {}).get("activity")}
        event = event_from_frame(frame)
        if event is not None:
            self._emit(event)

    async def activity_view(self, activity_id: str | None = None) -> dict[str, Any] | None:
        """The current activity's ACTIVITY object as the host last sent it."""
        if activity_id is None or activity_id == self.current_id:
            return self._current_view
        return None

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(BaseException):
                await self._reader


def event_from_frame(frame: dict[str, Any]) -> ev.Event | None:
    """The engine event a facilitator-channel event frame reports (None for other frames)."""
    kind = frame.get("type")
    if kind == "activity_state":
        return ev.ActivityStateChanged(frame["activity"], frame["state"])
    if kind == "activity":
        return ev.ActivityChanged(frame.get("activity"))
    if kind == "joined":
        return ev.ParticipantJoined(frame["participant"], bool(frame.get("resumed")))
    if kind == "left":
        return ev.ParticipantLeft(frame["participant"])
    if kind == "profile":
        return ev.ProfileChanged(frame["participant"])
    if kind == "contribution":
        return ev.ContributionAdded(frame["contribution"], frame.get("role"))
    if kind == "withdrawn":
        return ev.ContributionWithdrawn(frame["id"], frame["participant"], frame.get("activity"))
    if kind == "edited":
        return ev.ContributionEdited(frame["contribution"], frame.get("role"))
    if kind in ("hidden", "unhidden"):
        return ev.ContributionHidden(frame["contribution"], kind == "hidden")
    if kind == "erased":
        return ev.ParticipantErased(frame["participant"]["id"], int(frame.get("contributions") or 0))
    if kind in ("locked", "unlocked"):
        return ev.RoomLockChanged(kind == "locked")
    if kind == "storage":
        return ev.StorageProblem(None if frame.get("ok") else (frame.get("message") or "write failed"))
    if kind in ("plugin_error", "plugin_slow"):
        return ev.PluginProblem(frame.get("activity") or "", frame.get("plugin") or "", frame.get("message") or "",
                                "slow" if kind == "plugin_slow" else "error")
    if kind == "moderation":
        return ev.ModerationChanged(frame["activity"], bool(frame.get("moderated")))
    if kind == "themes":
        return ev.ThemesChanged(frame["activity"])
    if kind == "screen":
        return ev.ScreenChanged(dict(frame.get("screen") or {}), bool(frame.get("token_changed")))
    if kind in ("starred", "unstarred"):
        return ev.ContributionStarred(frame["participant"], frame["id"], frame.get("activity") or "",
                                      kind == "starred")
    return None


class RemoteHost(HostSettings):
    """The host as a child process (``serve --headless``), driven over the facilitator
    channel. Same settings and the facts the TUI uses as :class:`Host`."""

    START_TIMEOUT = 30.0
    STOP_TIMEOUT = 10.0

    def __init__(self, agenda: str | Path | Agenda | None = None, **settings: Any):
        if isinstance(agenda, Agenda):
            if not agenda.path:
                raise HostError("the host process needs the agenda as a file")
            agenda = agenda.path
        super().__init__(agenda, **settings)
        # the child's limits and TLS, passed on as its command-line flags
        self.serve_flags = serve_flags(self.limits, max_participants=self.max_participants,
                                       max_contributions=self.max_contributions, certfile=self.certfile,
                                       keyfile=self.keyfile, trusted_addresses=self.trusted_addresses,
                                       allowed_hosts=self.allowed_hosts)
        self.facilitator_token = None  # the child makes its own
        self.workshop: RemoteWorkshop | None = None
        self.channel: RemoteWorkshop | None = None
        self.server = None
        self.process: asyncio.subprocess.Process | None = None
        self.log_path = self.data_dir / "logs" / "host.log"
        self._child_info: dict[str, Any] = {}
        self._tmp: str | None = None
        self._watcher: asyncio.Task | None = None
        self._closing = False

    def recovery_problems(self) -> list[str]:
        """What the child had to repair is in its log (host.log), not here."""
        return []

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
        if self.plugins_dir is not None:
            cmd += ["--plugins-dir", str(Path(self.plugins_dir).resolve())]
        return cmd + self.serve_flags

    # -- lifecycle -------------------------------------------------------------------
    async def open(self) -> None:
        if self.plugins is None:
            self.plugins = load_plugins(plugins_dir=self.plugins_dir)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = tempfile.mkdtemp(prefix="fk-host-")  # 0700: the info file holds the token
        info_path = Path(self._tmp) / "info.json"
        with open_private_log(self.log_path, "ab") as logf:
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
        scheme, tls = ("wss", pinned_tls_context(self.certfile)) if self.certfile else ("ws", None)
        ws = await connect(f"{scheme}://{address}:{self.port}/ws/facilitator", max_size=None,
                           compression=None, open_timeout=10, ssl=tls)
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
            self.channel = self.workshop
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
