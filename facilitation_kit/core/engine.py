"""The workshop engine: the domain core of facilitation-kit.

A :class:`Workshop` is one running session. Its tables and every query are the
read-only :class:`~facilitation_kit.core.state.WorkshopState` it extends; this module
holds the commands that move the workshop through its agenda (activities, timers,
moderation, results) and the storage they all share; the commands about people
(:mod:`~facilitation_kit.core.participants`), about contributions, themes and stars
(:mod:`~facilitation_kit.core.contributions`) and about the room's screen, the remote and
notes (:mod:`~facilitation_kit.core.room`) are mixed in from their own modules. Activity views are built by
:class:`~facilitation_kit.core.views.ActivityViews`, countdowns kept by
:class:`~facilitation_kit.core.timers.Timers`. It knows nothing of Textual, websockets
or TinyDB: it is driven by the server and the TUI, persists through a store object
(``await store.write(ops)``) *before* it changes its state or answers, and tells its
subscribers what happened with :mod:`facilitation_kit.core.events`.

Errors a participant or facilitator can cause are :class:`WorkshopError` with a
protocol error code. Plugin code is called through the one
:class:`~facilitation_kit.core.caller.PluginCaller`: off the event loop, with a timeout,
and any failure becomes an error for that one activity.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from typing import Any

from . import events as ev
from . import i18n
from . import workers
from .activity import ActivityInfo, ActivityType
from .blocks import Block
from .agenda import Agenda, AgendaActivity
from .caller import PluginCaller, PluginFailure
from .ops import Op, StoreError, put
from .plugins import PluginHost
from .record import utc_iso
from .state import WorkshopState, contribution_key
from .timers import Timers
from .views import ActivityViews, require_json, until_timestamp
from .contributions import MAX_CONTRIBUTIONS, PHONE_PLUGIN_ERROR, ContributionCommands  # noqa: F401
from .errors import WorkshopError
from .participants import MAX_PARTICIPANTS, ParticipantCommands
from .room import RoomCommands

log = logging.getLogger("facilitation_kit.core.engine")

PROTOCOL_VERSION = 1
ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I



def new_room_code(length: int = 6) -> str:
    return "".join(secrets.choice(ROOM_ALPHABET) for _ in range(length))


class Workshop(ParticipantCommands, ContributionCommands, RoomCommands, WorkshopState, ev.Publisher):
    """One running workshop session: the commands. Build it with :meth:`start` (new) or
    :meth:`resume`. Every change is stored (``await store.write(ops)``) first, then
    applied to the state (:meth:`WorkshopState.apply`), then told to subscribers."""

    def __init__(self, agenda: Agenda, plugins: PluginHost, store, tables: dict[str, dict],
                 *, plugin_timeout: float = 5.0, participant_cap: int | None = None,
                 max_participants: int | None = None, max_contributions: int | None = None):
        super().__init__(agenda, tables)
        self.plugins = plugins
        self.store = store
        self.caller = PluginCaller(timeout=plugin_timeout, on_slow=self._plugin_slow)
        self.participant_cap = participant_cap or agenda.participant_cap
        self.views = ActivityViews(self, plugins, self.caller, self._plugin_failed, self._form_built)
        self.timers = Timers(self._timer_fired)
        # every participant the session ever had (erased ones too: each costs storage)
        self.max_participants = max_participants or MAX_PARTICIPANTS
        # per participant per activity, unless the agenda or the plugin says otherwise
        self.max_contributions = max_contributions or MAX_CONTRIBUTIONS
        self._inflight: dict[str, asyncio.Future] = {}
        self._revoked: set[str] = set()  # being erased: every write of theirs is refused
        self._command_lock = asyncio.Lock()
        self._storage_failing = False
        self._joining = 0  # new participants being stored, not yet connected
        self._plugin_tasks: set[asyncio.Task] = set()
        self._recording: set[asyncio.Task] = set()  # text fields being recorded

    # -- construction ----------------------------------------------------------------
    @classmethod
    async def start(cls, agenda: Agenda, plugins: PluginHost, store, *, session_id: str,
                    room: str | None = None, **kw) -> "Workshop":
        session = {
            "id": session_id, "room": room or new_room_code(), "title": agenda.title,
            "created_at": utc_iso(), "agenda": {"source": _jsonable(agenda.source),
                                                "path": agenda.path},
            "current": None, "locked": False,
        }
        ops = [put("session", "session", session)]
        for act in agenda.activities:
            ops.append(put("activities", act.id, _new_activity_state(act)))
        await store.write(ops)
        tables = {"session": {"session": session},
                  "activities": {op[2]: op[3] for op in ops[1:]}}
        workshop = cls(agenda, plugins, store, tables, **kw)
        if agenda.activities:
            await workshop.goto(agenda.activities[0].id)
        return workshop

    @classmethod
    async def resume(cls, agenda: Agenda, plugins: PluginHost, store, **kw) -> "Workshop":
        workshop = cls(agenda, plugins, store, store.tables, **kw)
        missing = [put("activities", act.id, _new_activity_state(act))
                   for act in agenda.activities if act.id not in workshop.tables["activities"]]
        if missing:
            await workshop._commit(missing)
        for activity_id, st in workshop.tables["activities"].items():
            if st.get("ends_at") and agenda.activity(activity_id):
                workshop.timers.schedule(activity_id, st)
        return workshop

    # -- storage ---------------------------------------------------------------------
    async def _commit(self, ops: list[Op], *, invalidate: bool = True) -> None:
        """Store ``ops`` durably, then apply them: the one way the workshop changes.
        ``invalidate=False`` keeps the cached views (a change they do not depend on)."""
        try:
            await self.store.write(ops)
        except StoreError as exc:
            if not self._storage_failing:
                self._storage_failing = True
                self._emit(ev.StorageProblem(str(exc)))
            raise WorkshopError("unavailable", "could not store it; nothing was stored, try again") from exc
        if self._storage_failing:
            self._storage_failing = False
            self._emit(ev.StorageProblem(None))
        rows = {op[2] for op in ops if op[1] == "activities"}
        for activity_id in self.apply(ops):
            # A view is built from the activity's own row and its source's items, never
            # from its own contributions: a submission must not rebuild the form of the
            # activity it was sent to (a plugin call in a worker thread: 4x the CPU of
            # an ack, bench/profile_submit.py), only the views of its readers.
            if not invalidate:
                continue
            if activity_id in rows:
                self.views.invalidate(activity_id)
            for reader in self.readers_of(activity_id):
                self.views.invalidate(reader)
        self._emit(ev.Stored(tuple(ops)))

    def _plugin_failed(self, activity_id: str, plugin: str, message: str) -> None:
        log.warning("plugin %s failed in activity %s: %s", plugin, activity_id, message)
        self._emit(ev.PluginProblem(activity_id, plugin, message))

    def _compact_store(self) -> None:
        """After an erase or a withdrawal: ask the store to rewrite its files without the
        removed text (soon, off the ack path; docs/architecture.md "Durability")."""
        compact = getattr(self.store, "compact", None)
        if compact is not None:
            compact()


    def _plugin_slow(self, plugin: str, label: str, seconds: float, activity_id: str | None) -> None:
        """The caller saw an ``async`` plugin call hold the event loop too long."""
        message = (f"{label} held the event loop for {seconds * 1000:.0f} ms: phones waited "
                   "meanwhile (a blocking call inside async def?)")
        self._emit(ev.PluginProblem(activity_id or "", plugin, message, kind="slow"))

    def _fire_hook(self, name: str, **kwargs: Any) -> None:
        """Run every implementation of a notification hook in the background, each
        through :class:`PluginCaller` (off the loop, with a timeout)."""
        hook = getattr(self.plugins.pm.hook, name)
        for impl in hook.get_hookimpls():
            async def run(impl=impl):
                args = {k: v for k, v in dict(workshop=self, **kwargs).items() if k in impl.argnames}
                try:
                    await self.caller.call_function(f"hook:{impl.plugin_name}", f"{impl.plugin_name}.{name}",
                                                    impl.function, **args)
                except Exception as exc:
                    log.warning("hook %s of plugin %s failed: %s", name, impl.plugin_name, exc)
            task = asyncio.ensure_future(run())
            self._plugin_tasks.add(task)
            task.add_done_callback(self._plugin_tasks.discard)

    # -- activities ------------------------------------------------------------------
    async def activity_info(self, activity_id: str, lang: str | None = None) -> ActivityInfo:
        return await self.views.info(activity_id, lang)

    async def activity_view(self, activity_id: str | None = None, lang: str | None = None
                            ) -> dict[str, Any] | None:
        """The protocol ACTIVITY object for an activity (default: the current one), in a
        phone's language (default: the agenda's)."""
        activity_id = activity_id or self.current_id
        if activity_id is None:
            return None
        view, _ = await self.views.view_and_form(activity_id, lang)
        return view

    async def _source_changed(self, activity_id: str) -> None:
        """Contributions of ``activity_id`` changed: refresh activities that take items from it."""
        for reader in self.readers_of(activity_id):
            self.views.invalidate(reader)
            if reader == self.current_id:
                await self._broadcast_activity()

    async def _broadcast_activity(self) -> None:
        view = await self.activity_view()
        views = {}
        if view is not None:  # one view per language of a connected phone
            for lang in i18n.languages_in_use(self):
                views[lang] = await self.activity_view(lang=lang)
        self._emit(ev.ActivityChanged(view, views))

    async def _set_state(self, activity_id: str, **changes: Any) -> None:
        """Store an activity's new state; every state change is an event."""
        st = {**self.tables["activities"][activity_id], **changes}
        await self._commit([put("activities", activity_id, st)])
        self._emit(ev.ActivityStateChanged(activity_id, st))

    def _require_activity(self, activity_id: str) -> None:
        if self.agenda.activity(activity_id) is None:
            raise WorkshopError("unknown_activity", f"no activity {activity_id!r} in the agenda")

    def _require_contribution(self, participant_id: Any, client_id: Any) -> tuple[str, dict[str, Any]]:
        """A contribution that exists and is not withdrawn, with its key in the table."""
        key = contribution_key(participant_id, client_id)
        doc = self.tables["contributions"].get(key)
        if doc is None or doc.get("withdrawn"):
            raise WorkshopError("unknown_contribution", "no such contribution")
        return key, doc

    def _require_current(self) -> str:
        if self.current_id is None:
            raise WorkshopError("no_activity", "there is no current activity")
        return self.current_id

    async def goto(self, activity_id: str) -> None:
        async with self._command_lock:
            self._require_activity(activity_id)
            await self._goto(activity_id)

    async def _goto(self, activity_id: str) -> None:
        if activity_id != self.current_id:
            await self._commit([put("session", "session", {**self.session, "current": activity_id})])
        act = self.agenda.activity(activity_id)
        if act.auto_open and self.tables["activities"][activity_id]["state"] == "pending":
            await self._open(activity_id)
        await self._broadcast_activity()

    async def next(self) -> None:
        async with self._command_lock:
            index = -1 if self.current_id is None else self.agenda.index(self.current_id)
            if index + 1 >= len(self.agenda.activities):
                raise WorkshopError("no_activity", "this is the last activity")
            await self._goto(self.agenda.activities[index + 1].id)

    async def previous(self) -> None:
        async with self._command_lock:
            if self.current_id is None or self.agenda.index(self.current_id) == 0:
                raise WorkshopError("no_activity", "this is the first activity")
            await self._goto(self.agenda.activities[self.agenda.index(self.current_id) - 1].id)

    async def open(self) -> None:
        async with self._command_lock:
            await self._open(self._require_current())
            await self._broadcast_activity()

    async def _open(self, activity_id: str) -> None:
        st = self.tables["activities"][activity_id]
        changes: dict[str, Any] = {"state": "open", "opened": True}
        act = self.agenda.activity(activity_id)
        until = until_timestamp(act.until) if act.until and not st.get("opened") else None
        if until is not None and not st.get("ends_at"):  # a break until 11:20: its timer ends then
            changes.update(ends_at=until, close_at_end=False)
        elif not st.get("opened") and act.timebox and not st.get("ends_at"):
            changes.update(ends_at=time.time() + act.timebox, close_at_end=act.close_at_end)
        await self._set_state(activity_id, **changes)
        if "ends_at" in changes:
            self.timers.schedule(activity_id, self.tables["activities"][activity_id])

    async def close(self) -> None:
        async with self._command_lock:
            await self._set_state(self._require_current(), state="closed")
            await self._broadcast_activity()

    async def _set_timer_state(self, activity_id: str, **changes: Any) -> None:
        await self._set_state(activity_id, **changes)
        self.timers.schedule(activity_id, self.tables["activities"][activity_id])
        await self._broadcast_activity()

    async def set_timer(self, seconds: float | None, close_at_end: bool = False) -> None:
        """Set the current activity's timer ``seconds`` ahead (None clears it)."""
        async with self._command_lock:
            ends_at = None if seconds is None else time.time() + seconds
            await self._set_timer_state(self._require_current(), ends_at=ends_at,
                                        close_at_end=bool(close_at_end), paused_remaining=None)

    async def pause_timer(self) -> None:
        async with self._command_lock:
            current = self._require_current()
            st = self.tables["activities"][current]
            if not st.get("ends_at"):
                raise WorkshopError("no_timer", "the timer is not running")
            remaining = max(0.0, st["ends_at"] - time.time())
            await self._set_timer_state(current, ends_at=None, paused_remaining=remaining)

    async def resume_timer(self) -> None:
        st = self.tables["activities"][self._require_current()]
        if st.get("paused_remaining") is None:
            raise WorkshopError("no_timer", "the timer is not paused")
        await self.set_timer(st["paused_remaining"], st.get("close_at_end", False))

    async def add_time(self, seconds: float) -> None:
        async with self._command_lock:
            current = self._require_current()
            st = self.tables["activities"][current]
            if st.get("ends_at"):
                changes = {"ends_at": max(time.time(), st["ends_at"] + seconds)}
            elif st.get("paused_remaining") is not None:
                changes = {"paused_remaining": max(0, st["paused_remaining"] + seconds)}
            else:
                changes = {"ends_at": time.time() + seconds}
            await self._set_timer_state(current, **changes)

    async def _timer_fired(self, activity_id: str, ends_at: float) -> None:
        async with self._command_lock:
            st = self.tables["activities"].get(activity_id)
            if not st or st.get("ends_at") != ends_at:
                return
            if st.get("close_at_end") and st["state"] == "open":
                try:
                    await self._set_state(activity_id, state="closed")
                except WorkshopError:
                    return
                if activity_id == self.current_id:
                    await self._broadcast_activity()

    async def set_moderated(self, activity_id: str, moderated: bool) -> None:
        """Approve before showing: while on, new contributions to the activity are
        stored hidden and marked ``held`` until the facilitator shows (approves) or
        hides (rejects) them with :meth:`set_hidden`."""
        async with self._command_lock:
            self._require_activity(activity_id)
            if bool(self.tables["activities"][activity_id].get("moderated")) != moderated:
                await self._set_state(activity_id, moderated=moderated)
                self._emit(ev.ModerationChanged(activity_id, moderated))

    #: Longest facilitator's note on an activity, in characters.
    NOTE_MAX = 4000

    # -- results and records ---------------------------------------------------------
    async def results(self, activity_id: str) -> dict[str, Any]:
        """The plugin's summary of an activity: ``{"results": …, "visible": …}`` or
        ``{"error": …}``."""
        act = self.agenda.activity(activity_id)
        if act is None:
            raise WorkshopError("unknown_activity", f"no activity {activity_id!r}")
        if not act.collects:
            raise WorkshopError("not_collecting", f"{activity_id!r} is a {act.kind} step: it collects "
                                "no answers and has no results")
        registered = self.plugins.activity_type(act.plugin)
        if registered is None:
            return {"error": f"the plugin {act.plugin!r} is not loaded"}
        info = await self.activity_info(activity_id)
        try:
            results = await self.caller.call(registered.activity_type, "summarise", info,
                                             self.contributions(activity_id))
            if not isinstance(results, dict):
                raise PluginFailure(f"summarise returned {type(results).__name__}, not a dict")
            require_json(results, f"{act.plugin}.summarise")
        except PluginFailure as exc:
            self._plugin_failed(activity_id, act.plugin, str(exc))
            return {"error": str(exc)}
        out = {"results": results, "visible": await self._results_visible(registered.activity_type, info),
               "info": info.to_json()}
        try:  # the report blocks, so that a facilitator's screen draws them without plugin code
            blocks = await self.caller.call(registered.activity_type, "report", info, results,
                                            self.contributions(activity_id))
            out["blocks"] = [b.to_json() for b in blocks or [] if isinstance(b, Block)]
            require_json(out["blocks"], f"{act.plugin}.report")
        except PluginFailure as exc:
            out["blocks_error"] = str(exc)
            out.pop("blocks", None)
        return out

    async def _results_visible(self, atype: ActivityType, info: ActivityInfo) -> bool:
        try:
            return bool(await self.caller.call(atype, "results_visible", info))
        except PluginFailure:
            return False

    async def aclose(self) -> None:
        self.timers.close()
        for task in [*self._plugin_tasks, *self._recording]:
            task.cancel()
        self.caller.shutdown()
        workers.shutdown()


def _new_activity_state(act: AgendaActivity) -> dict[str, Any]:
    row = {"id": act.id, "state": "pending", "ends_at": None, "close_at_end": act.close_at_end,
           "paused_remaining": None, "opened": False}
    if act.moderated:  # the agenda's `moderated = true`: approve before showing, from the start
        row["moderated"] = True
    return row


def _jsonable(value: Any) -> Any:
    """TOML values to JSON values (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
