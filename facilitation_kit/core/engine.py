"""The workshop engine: the domain core of facilitation-kit.

A :class:`Workshop` is one running session. Its tables and every query are the
read-only :class:`~facilitation_kit.core.state.WorkshopState` it extends; this module
holds only the commands: joining, submitting, withdrawing, moderating, moving through
the agenda, timers, erasing. Activity views are built by
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
from . import themes as th
from . import workers
from .activity import ActivityInfo, ActivityType
from .blocks import Block
from .agenda import Agenda, AgendaActivity
from .forms import Invalid, clean_text
from .caller import PluginCaller, PluginFailure
from .ops import Op, StoreError, delete, put
from .plugins import PluginHost
from .record import utc_iso
from .state import WorkshopState, contribution_key, hash_token
from .timers import Timers
from .views import ActivityViews, require_json

log = logging.getLogger("facilitation_kit.core.engine")

PROTOCOL_VERSION = 1
NAME_MAX = 60
MAX_PARTICIPANTS = 10_000   # participants per session (all of them, not only connected)
MAX_CONTRIBUTIONS = 200     # contributions per participant per activity (withdrawn ones too)
ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
#: What a phone is told when the activity's plugin failed (the page shows its own
#: translation of the code ``plugin_error``; the details go to the facilitator).
PHONE_PLUGIN_ERROR = "this activity is not working right now; the facilitator has been told"


class WorkshopError(Exception):
    """Something a participant or the facilitator asked for cannot be done."""

    def __init__(self, code: str, message: str, fields: dict[str, str] | None = None):
        self.code, self.message, self.fields = code, message, fields
        super().__init__(f"{code}: {message}")

    def to_frame(self) -> dict[str, Any]:
        frame = {"type": "error", "code": self.code, "message": self.message}
        if self.fields:
            frame["fields"] = self.fields
        return frame


def new_room_code(length: int = 6) -> str:
    return "".join(secrets.choice(ROOM_ALPHABET) for _ in range(length))


class Workshop(WorkshopState, ev.Publisher):
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
        self.views = ActivityViews(self, plugins, self.caller, self._plugin_failed)
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
    async def _commit(self, ops: list[Op]) -> None:
        """Store ``ops`` durably, then apply them: the one way the workshop changes."""
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
        for activity_id in self.apply(ops):
            self.views.invalidate(activity_id)
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

    # -- participants ----------------------------------------------------------------
    def _clean_profile(self, name: Any, role: Any, lang: Any) -> dict:
        """Validate profile fields: None leaves a field unchanged, "" clears it."""
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        if name is not None:
            if not isinstance(name, str):
                errors["name"] = "must be text"
            else:
                # cut before normalising: the work stays bounded (NFC shortens by 4x at most)
                cleaned = clean_text(name[:NAME_MAX * 4], multiline=False)[:NAME_MAX] or None
                out["name"] = cleaned
        if role is not None:
            if not isinstance(role, str):
                errors["role"] = "must be text"
            elif role == "":
                out["role"] = None
            elif self.agenda.role_named(role) is None:
                errors["role"] = "not one of the roles: " + ", ".join(self.agenda.roles)
            else:
                out["role"] = self.agenda.role_named(role)
        if lang is not None:
            if not isinstance(lang, str) or len(lang) > 35 or not all(c.isalnum() or c == "-" for c in lang):
                errors["lang"] = "must be a language tag such as 'fi' or 'en-GB'"
            else:
                out["lang"] = lang or None
        if errors:
            raise WorkshopError("invalid", "the profile does not fit: " + ", ".join(errors), errors)
        return out

    async def join(self, *, name: Any = None, role: Any = None, lang: Any = None,
                   token: str | None = None) -> tuple[dict[str, Any], str, bool]:
        """Admit a participant: new (``token`` None) or resumed. Returns
        ``(participant doc, token, resumed)``. Call :meth:`connect` once connected."""
        if token is not None:
            doc = self.participant_by_token(token)
            if doc is None or doc["id"] in self._revoked:
                raise WorkshopError("bad_token", "this token is not known here; join as a new participant")
            changes = self._clean_profile(name, role, lang)
            changes = {k: v for k, v in changes.items() if doc.get(k) != v and v is not None}
            if changes:
                doc = {**doc, **changes}
                await self._commit([put("participants", doc["id"], doc)])
            return doc, token, True
        if self.locked:
            raise WorkshopError("room_locked", "the room is locked: no new participants now")
        # joins still being stored count too: many hellos at once all pass the check
        # before any of them is connected
        if self.connected_count() + self._joining >= self.participant_cap:
            raise WorkshopError("room_full", f"the room is full ({self.participant_cap} participants)")
        if len(self.tables["participants"]) + self._joining >= self.max_participants:
            raise WorkshopError("room_full", f"this session has had the most participants it takes "
                                             f"({self.max_participants})")
        profile = self._clean_profile(name, role, lang)
        token = secrets.token_urlsafe(32)  # 256 random bits
        pid = "p-" + secrets.token_hex(6)
        while pid in self.tables["participants"]:
            pid = "p-" + secrets.token_hex(6)
        doc = {"id": pid, "token_hash": hash_token(token), "name": profile.get("name"),
               "role": profile.get("role"), "lang": profile.get("lang"), "joined_at": utc_iso()}
        self._joining += 1
        try:
            await self._commit([put("participants", pid, doc)])
        finally:
            self._joining -= 1
        return doc, token, False

    def connect(self, participant_id: str, *, resumed: bool) -> None:
        """A connection of this participant opened (after :meth:`join`)."""
        before = self._connections.get(participant_id, 0)
        self._connections[participant_id] = before + 1
        if before == 0:
            doc = self.participant(participant_id)
            if doc is not None:
                self._emit(ev.ParticipantJoined(self.participant_view(doc), resumed))

    def disconnect(self, participant_id: str) -> None:
        """A connection of this participant closed."""
        left = self._connections.get(participant_id, 0) - 1
        if left > 0:
            self._connections[participant_id] = left
            return
        self._connections.pop(participant_id, None)
        if left == 0:
            self._emit(ev.ParticipantLeft({"id": participant_id}))

    async def set_profile(self, participant_id: str, *, name: Any = None, role: Any = None,
                          lang: Any = None) -> dict[str, Any]:
        doc = self._require_participant(participant_id)
        changes = self._clean_profile(name, role, lang)
        if changes:
            doc = {**doc, **changes}
            await self._commit([put("participants", participant_id, doc)])
            self._emit(ev.ProfileChanged(self.participant_view(doc)))
        return doc

    async def consent(self, participant_id: str, agree: bool) -> dict[str, Any]:
        """Consent at join (the agenda's ``[consent]``): ``agree`` records when; no makes a
        watcher, who reads but cannot submit (until they agree). Kept in the participant
        row, so a resumed participant keeps it. Returns the ``consent`` frame's body."""
        doc = self._require_participant(participant_id)
        if self.agenda.consent is None:
            raise WorkshopError("bad_message", "this session asks no consent")
        now = utc_iso()
        if agree:
            changes = {"consented_at": doc.get("consented_at") or now, "declined_at": None}
        else:
            changes = {"consented_at": None, "declined_at": now}
        if any(doc.get(k) != v for k, v in changes.items()):
            doc = {**doc, **changes}
            await self._commit([put("participants", participant_id, doc)])
            self._emit(ev.ProfileChanged(self.participant_view(doc)))
        return {"agreed": bool(doc.get("consented_at")), "at": doc.get("consented_at")}

    def _require_participant(self, participant_id: str) -> dict[str, Any]:
        doc = self.participant(participant_id)
        if doc is None or participant_id in self._revoked:
            raise WorkshopError("not_joined", "this participant no longer exists")
        return doc

    async def erase_participant(self, participant_id: str) -> int:
        """Erase a participant's data on request: every contribution, name, role, token.

        Atomic against their own traffic: they are revoked first (every submit, withdraw
        or profile change of theirs is refused from now on, each checked just before its
        write), then their writes in flight settle, then everything of theirs is deleted
        in one commit, so no submission in flight survives it."""
        async with self._command_lock:
            if self.participant(participant_id) is None or participant_id in self._revoked:
                raise WorkshopError("not_found", "no such participant")
            self._revoked.add(participant_id)
            try:
                await self._settle(participant_id)
                keys = self.keys_of(participant_id)
                counted = sum(1 for k in keys if not self.tables["contributions"][k].get("withdrawn"))
                ops = [delete("contributions", k) for k in keys]
                ops.append(put("participants", participant_id, {"id": participant_id, "erased": True}))
                ops.extend(th.drop_participant(self, participant_id))
                activities = {self.tables["contributions"][k]["activity"] for k in keys}
                await self._commit(ops)
                self._compact_store()
            except BaseException:
                self._revoked.discard(participant_id)  # not erased: they may go on
                raise
            self._emit(ev.ParticipantErased(participant_id, counted))
            for aid in sorted(activities):
                await self._source_changed(aid)
            return counted

    async def _settle(self, participant_id: str) -> None:
        """Wait until no submission of this participant is in flight."""
        prefix = participant_id + "/"
        while pending := [f for k, f in self._inflight.items() if k.startswith(prefix)]:
            await asyncio.gather(*(asyncio.shield(f) for f in pending), return_exceptions=True)

    # -- contributions ---------------------------------------------------------------
    async def submit(self, participant_id: str, client_id: str, activity_id: str,
                     data: Any) -> dict[str, Any]:
        """Store a contribution; returns the ack frame's body. Idempotent per client id."""
        key = contribution_key(participant_id, client_id)
        pending = self._inflight.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        existing = self.tables["contributions"].get(key)
        if existing is not None:
            return self._ack(existing)
        fut = asyncio.get_running_loop().create_future()
        self._inflight[key] = fut
        try:
            result = await self._submit(participant_id, client_id, activity_id, data, key)
        except BaseException as exc:
            if not fut.done():
                fut.set_exception(exc)
                fut.exception()  # retrieved: no "never retrieved" warning
            raise
        else:
            fut.set_result(result)
            return result
        finally:
            self._inflight.pop(key, None)

    def _ack(self, doc: dict[str, Any]) -> dict[str, Any]:
        if doc.get("withdrawn"):
            return {"id": doc["id"], "withdrawn": True}
        return {"id": doc["id"], "contribution": self.contribution_view(doc)}

    async def _submit(self, pid, client_id, activity_id, data, key) -> dict[str, Any]:
        doc = self._require_participant(pid)
        consent = self.agenda.consent
        if consent is not None and not doc.get("consented_at") and (consent["required"] or doc.get("declined_at")):
            raise WorkshopError("consent_required", "agree to the consent text first (you are watching)"
                                if doc.get("declined_at") else "agree to the consent text first")
        current = self.current_id
        if current is None or activity_id != current:
            raise WorkshopError("wrong_activity", "that is not the current activity")
        state = self.tables["activities"][current]["state"]
        if state != "open":
            raise WorkshopError("activity_closed", "submissions are not open for this activity"
                                if state == "pending" else "submissions are closed for this activity")
        act = self.agenda.activity(current)
        registered = self.plugins.activity_type(act.plugin)
        cap = self.contribution_cap(current)
        if self._count_of(pid, current) >= cap:
            raise WorkshopError("too_many", f"you have sent the most contributions this activity takes ({cap})")
        lang = self.participant_lang(pid)
        view, form = await self.views.view_and_form(current, lang)
        if form is None:
            raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR)
        try:
            cleaned = form.validate(data)
            info = await self.views.cached_info(current, lang)
            replaced = await self.caller.call(registered.activity_type, "validate", info, cleaned)
        except Invalid as exc:
            raise WorkshopError("invalid", "the answer does not fit the form: "
                                + ", ".join(f"{k} ({v})" for k, v in exc.fields.items()) if exc.fields
                                else str(exc), exc.fields or None) from None
        except PluginFailure as exc:
            self._plugin_failed(current, act.plugin, str(exc))
            raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR) from None
        if replaced is not None:
            try:  # checked before the commit: what the store cannot hold is the plugin's fault
                if not isinstance(replaced, dict):
                    raise PluginFailure(f"{act.plugin}.validate returned {type(replaced).__name__}, not a dict")
                require_json(replaced, f"{act.plugin}.validate")
            except PluginFailure as exc:
                self._plugin_failed(current, act.plugin, str(exc))
                raise WorkshopError("plugin_error", PHONE_PLUGIN_ERROR) from None
            cleaned = replaced
        doc = {"id": client_id, "participant": pid, "activity": current, "data": cleaned,
               "created_at": utc_iso(), "role": self.role_of(pid)}  # the role it was made in
        if self.tables["activities"][current].get("moderated"):
            doc.update(hidden=True, held=True)  # approve before showing: held until approved
        self._require_participant(pid)  # erased meanwhile? (no await from here to the write)
        await self._commit([put("contributions", key, doc)])
        role = doc["role"]
        self._emit(ev.ContributionAdded(self.contribution_view(doc), role))
        self._fire_hook("contribution_stored", contribution=self.contribution_view(doc), role=role)
        await self._source_changed(current)
        return self._ack(doc)

    def contribution_cap(self, activity_id: str) -> int:
        """Most contributions one participant may store in an activity: the agenda's
        ``max_contributions``, else the plugin's, else the host's (default 200)."""
        act = self.agenda.activity(activity_id)
        if act is not None and act.max_contributions:
            return act.max_contributions
        registered = self.plugins.activity_type(act.plugin) if act is not None else None
        own = getattr(registered.activity_type, "max_contributions", None) if registered else None
        return own or self.max_contributions

    def _count_of(self, participant_id: str, activity_id: str) -> int:
        rows = self.tables["contributions"]
        return sum(1 for key in self._by_participant.get(participant_id, ())
                   if rows[key]["activity"] == activity_id)

    async def withdraw(self, participant_id: str, client_id: str) -> dict[str, Any]:
        key = contribution_key(participant_id, client_id)
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except Exception:
                pass
        self._require_participant(participant_id)  # erased meanwhile? (no await until the write)
        doc = self.tables["contributions"].get(key)
        if doc is None:
            raise WorkshopError("not_found", "no such contribution of yours")
        if not doc.get("withdrawn"):
            tomb = {"id": client_id, "participant": participant_id, "activity": doc["activity"],
                    "created_at": doc["created_at"], "withdrawn": True, "withdrawn_at": utc_iso()}
            await self._commit([put("contributions", key, tomb)])
            self._compact_store()
            self._emit(ev.ContributionWithdrawn(client_id, participant_id, doc["activity"]))
            await self._source_changed(doc["activity"])
        return {"id": client_id, "withdrawn": True}

    async def set_hidden(self, participant_id: str, client_id: str, hidden: bool) -> dict[str, Any]:
        async with self._command_lock:
            key = contribution_key(participant_id, client_id)
            doc = self.tables["contributions"].get(key)
            if doc is None or doc.get("withdrawn"):
                raise WorkshopError("unknown_contribution", "no such contribution")
            if bool(doc.get("hidden")) != hidden or doc.get("held"):
                new = dict(doc)
                new.pop("held", None)  # approved (shown) or rejected (stays hidden)
                if hidden:
                    new["hidden"] = True
                else:
                    new.pop("hidden", None)
                await self._commit([put("contributions", key, new)])
                doc = new
                self._emit(ev.ContributionHidden(self.contribution_view(doc), hidden))
                await self._source_changed(doc["activity"])
            return self.contribution_view(doc)

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
        if not st.get("opened") and act.timebox and not st.get("ends_at"):
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

    async def set_note(self, activity_id: str, text: str) -> dict[str, Any] | None:
        """The facilitator's note on an activity ("what we heard / what we agreed"),
        stored in the ``notes`` table for the report; an empty text removes it."""
        async with self._command_lock:
            self._require_activity(activity_id)
            text = clean_text(text, multiline=True)
            if len(text) > self.NOTE_MAX:
                raise WorkshopError("bad_message", f"a note is at most {self.NOTE_MAX} characters")
            old = self.tables["notes"].get(activity_id)
            if not text:
                if old is not None:
                    await self._commit([delete("notes", activity_id)])
                return None
            if old is not None and old.get("text") == text:
                return old
            doc = {"activity": activity_id, "text": text, "updated_at": utc_iso()}
            await self._commit([put("notes", activity_id, doc)])
            return doc

    async def set_locked(self, locked: bool) -> None:
        async with self._command_lock:
            if self.locked != locked:
                await self._commit([put("session", "session", {**self.session, "locked": locked})])
                self._emit(ev.RoomLockChanged(locked))

    # -- the room's screen (docs/screen.md) ----------------------------------------------
    SCREEN_VIEWS = ("live", "lobby", "blank", "toggle_blank", "highlight", "results", "themes")

    async def ensure_screen_token(self) -> str:
        """The screen token, made (and stored) on first use."""
        return self.screen_settings.get("token") or await self.new_screen_token()

    async def new_screen_token(self) -> str:
        """Revoke the screen link and make a new one; open screens are disconnected."""
        async with self._command_lock:
            settings = {**self.screen_settings, "token": secrets.token_urlsafe(24)}
            await self._commit([put("session", "screen", settings)])
        self._emit(ev.ScreenChanged(self.screen_public(), token_changed=True))
        return settings["token"]

    # -- the facilitator's remote (docs/facilitators.md) -----------------------------------
    async def ensure_remote_token(self) -> str:
        """The remote token (facilitator rights, for the page ``/remote`` on the
        facilitator's phone), made and stored on first use, so a paired phone keeps
        working after ``--resume``."""
        return self.remote_token or await self.new_remote_token()

    async def new_remote_token(self) -> str:
        """Revoke the remote token and make a new one; paired remotes are disconnected."""
        async with self._command_lock:
            token = secrets.token_urlsafe(32)
            await self._commit([put("session", "remote", {"token": token, "created_at": utc_iso()})])
        self._emit(ev.RemoteTokenChanged())
        return token

    def screen_public(self) -> dict[str, Any]:
        return {k: v for k, v in self.screen_settings.items() if k != "token"}

    async def set_screen(self, view: str, participant: str | None = None,
                         contribution: str | None = None) -> dict[str, Any]:
        """Choose the screen's view: ``live`` (follow the workshop), ``lobby``, ``blank``,
        ``toggle_blank`` (blank, or back to what was shown before blanking: the ``b`` key),
        ``highlight`` (one approved contribution), ``results`` (the current activity's
        results, if the plugin lets the room see them now) or ``themes`` (the current
        activity's confirmed themes, docs/themes.md)."""
        if view not in self.SCREEN_VIEWS:
            raise WorkshopError("bad_message", "view must be one of " + ", ".join(self.SCREEN_VIEWS))
        async with self._command_lock:
            current = dict(self.screen_settings)
            unblank = view == "toggle_blank" and current.get("view") == "blank"
            if view == "toggle_blank":
                view = "live" if unblank else "blank"
            new = {"token": current.get("token"), "view": view}
            if view == "blank" and current.get("view") not in (None, "blank"):
                new["before"] = {k: current[k] for k in ("view", "activity", "highlight") if k in current}
            elif unblank and current.get("before"):
                new.update(current["before"])  # toggled back: to what was shown before
            if view in ("highlight", "results", "themes"):
                if self.current_id is None:
                    raise WorkshopError("no_activity", "there is no current activity")
                new["activity"] = self.current_id
            if view == "highlight":
                if not isinstance(participant, str) or not isinstance(contribution, str):
                    raise WorkshopError("bad_message", "highlight needs 'participant' and 'contribution'")
                doc = self.tables["contributions"].get(contribution_key(participant, contribution))
                if doc is None or doc.get("withdrawn"):
                    raise WorkshopError("unknown_contribution", "no such contribution")
                if doc.get("hidden"):
                    raise WorkshopError("not_visible", "hidden or awaiting approval: approve it first")
                new["activity"] = doc["activity"]
                new["highlight"] = {"participant": participant, "contribution": contribution}
            if new.get("token") is None:
                new.pop("token")
            if new != current:
                await self._commit([put("session", "screen", new)])
        self._emit(ev.ScreenChanged(self.screen_public()))
        return self.screen_public()

    # -- themes and stars (core/themes.py, docs/themes.md) ----------------------------------
    async def change_themes(self, change: str, *args: Any) -> dict[str, Any] | None:
        """Run one theme change of :mod:`core.themes` (``create``, ``rename``, ``merge``,
        ``move``, ``ungroup``, ``confirm``): store its operations, tell subscribers and
        refresh the activities that take the themes as items. Returns the theme."""
        async with self._command_lock:
            if change in ("create",):
                self._require_activity(args[0])
            try:
                ops, row = getattr(th, change)(self, *args)
            except th.ThemeError as exc:
                raise WorkshopError(exc.code, exc.message) from None
            activity = (row or {}).get("activity") or (args[-1] if change == "move" else None)
            if ops:
                await self._commit(ops)
            if activity:
                self._emit(ev.ThemesChanged(activity))
                await self._source_changed(activity)
            return self.tables["themes"].get(row["id"], row) if row else None

    async def set_starred(self, participant_id: str, client_id: str, starred: bool) -> dict[str, Any]:
        """Star a contribution (the report's quotes) or take the star away."""
        async with self._command_lock:
            key = contribution_key(participant_id, client_id)
            doc = self.tables["contributions"].get(key)
            if doc is None or doc.get("withdrawn"):
                raise WorkshopError("unknown_contribution", "no such contribution")
            if bool(doc.get("starred")) != starred:
                new = {**doc, "starred": True} if starred else {k: v for k, v in doc.items() if k != "starred"}
                await self._commit([put("contributions", key, new)])
                self._emit(ev.ContributionStarred(participant_id, client_id, doc["activity"], starred))
            return {"participant": participant_id, "id": client_id, "starred": starred}

    async def suggest_themes(self, activity_id: str) -> dict[str, Any]:
        """Suggested themes for an activity's contributions, computed in a worker process
        (:mod:`core.suggest`); nothing is stored: the facilitator accepts them with
        ``theme_create``."""
        self._require_activity(activity_id)
        entries = th.suggestion_entries(self, activity_id)
        if len(entries) < 2:
            return {"themes": [], "method": None}
        try:
            found = await workers.run_suggest(entries)
        except Exception as exc:
            log.warning("suggest_themes failed: %s", exc)
            raise WorkshopError("unavailable", f"suggestions could not be computed: {exc}") from None
        themes = [{"label": t["label"],
                   "contributions": [dict(zip(("participant", "id"), k.split("/", 1))) for k in t["keys"]]}
                  for t in found["themes"]]
        return {"themes": themes, "method": found["method"]}

    # -- results and records ---------------------------------------------------------
    async def results(self, activity_id: str) -> dict[str, Any]:
        """The plugin's summary of an activity: ``{"results": …, "visible": …}`` or
        ``{"error": …}``."""
        act = self.agenda.activity(activity_id)
        if act is None:
            raise WorkshopError("unknown_activity", f"no activity {activity_id!r}")
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
        for task in list(self._plugin_tasks):
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
