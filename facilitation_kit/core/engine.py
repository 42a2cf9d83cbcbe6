"""The workshop engine: the domain core of facilitation-kit.

A :class:`Workshop` is one running session: its agenda and current activity, the
participants (with their role, language and whether they are connected), their
contributions, and the facilitator's commands. It knows nothing of Textual, websockets
or TinyDB: it is driven by the server and the TUI, persists through a store object
(``await store.write(ops)``) *before* it changes its state or answers, and tells its
subscribers what happened with :mod:`facilitation_kit.core.events`.

Errors a participant or facilitator can cause are :class:`WorkshopError` with a
protocol error code. Plugin code is called through :class:`PluginCaller`: off the event
loop, with a timeout, and any failure becomes an error for that one activity.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from . import events as ev
from .activity import ActivityInfo, ActivityType, Item
from .agenda import Agenda, AgendaActivity
from .forms import Form, Invalid, clean_text
from .plugins import PluginHost, short_repr, trace, tracing
from .record import build_export, utc_iso
from .ops import Op, StoreError, apply_ops, delete, put

log = logging.getLogger("facilitation_kit.core.engine")

PROTOCOL_VERSION = 1
NAME_MAX = 60
ROOM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


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


class PluginFailure(Exception):
    pass


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def new_room_code(length: int = 6) -> str:
    return "".join(secrets.choice(ROOM_ALPHABET) for _ in range(length))


def contribution_key(participant_id: str, client_id: str) -> str:
    return f"{participant_id}/{client_id}"


class PluginCaller:
    """Calls activity-type methods off the loop with a timeout; contains failures.

    A synchronous method runs in a small thread pool so that one that blocks cannot
    stall the event loop; an async one is awaited with the same timeout. One plugin may
    use at most ``per_plugin`` worker threads at once, so a plugin that blocks cannot
    take the workers every other activity needs. After a timeout the plugin is given a
    cool-down (``cooldown`` seconds) during which calls fail at once, and while a thread
    is still stuck in it new calls fail at once too.
    """

    def __init__(self, timeout: float = 5.0, cooldown: float = 30.0, workers: int = 8,
                 per_plugin: int = 2):
        self.timeout = timeout
        self.cooldown = cooldown
        self.per_plugin = per_plugin
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="facilitation-kit-plugin")
        self._cooling: dict[str, float] = {}
        self._stuck: dict[str, Any] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def call(self, atype: ActivityType, method: str, *args: Any) -> Any:
        fn = getattr(atype, method)
        if getattr(fn, "__func__", None) is getattr(ActivityType, method, None) and not tracing():
            # ActivityType's own default (e.g. validate → None): our code, trivial, cannot
            # hang. Sending it through a worker thread cost ~4x the CPU of a whole ack
            # (bench/profile_submit.py), so it runs inline.
            return fn(*args)
        return await self.call_function(atype.name, f"{atype.name}.{method}", fn, *args)

    async def call_function(self, key: str, label: str, fn: Callable[..., Any], *args: Any,
                            **kwargs: Any) -> Any:
        """Call ``fn`` (a plugin's method or hook implementation) under the rules above;
        ``key`` names the plugin for the limits, ``label`` the call in messages."""
        until = self._cooling.get(key)
        if until is not None and time.monotonic() < until:
            raise PluginFailure(f"{label}: the plugin timed out recently; retrying shortly")
        stuck = self._stuck.get(key)
        if stuck is not None:
            if not stuck.done():  # a thread is still blocked in it: do not feed it another
                raise PluginFailure(f"{label}: the plugin is still stuck in an earlier call")
            del self._stuck[key]
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(key, asyncio.Semaphore(self.per_plugin))
        started = time.perf_counter()
        trace_on = tracing()
        if trace_on:
            trace(f"{label} called")
        future = None
        try:
            async with asyncio.timeout(self.timeout):
                await slots.acquire()
                handed_over = False
                try:
                    if inspect.iscoroutinefunction(fn):
                        result = await fn(*args, **kwargs)
                    else:
                        future = self._pool.submit(fn, *args, **kwargs)
                        # the slot is free again only when the thread is
                        future.add_done_callback(lambda _f: _release_threadsafe(loop, slots))
                        handed_over = True
                        result = await asyncio.wrap_future(future, loop=loop)
                        if inspect.isawaitable(result):
                            result = await result
                finally:
                    if not handed_over:
                        slots.release()
        except TimeoutError:
            self._cooling[key] = time.monotonic() + self.cooldown
            if future is not None and not future.done():
                self._stuck[key] = future
            if trace_on:
                trace(f"{label} timed out after {self.timeout:g} s")
            raise PluginFailure(f"{label} took longer than {self.timeout:g} s") from None
        except (Invalid, WorkshopError) as exc:
            if trace_on:
                trace(f"{label} rejected the input: {exc}")
            raise
        except Exception as exc:
            if trace_on:
                trace(f"{label} raised {type(exc).__name__}: {exc}")
            raise PluginFailure(f"{label} raised {type(exc).__name__}: {exc}") from exc
        self._cooling.pop(key, None)
        if trace_on:
            trace(f"{label} returned {short_repr(result)} ({(time.perf_counter() - started) * 1000:.1f} ms)")
        return result

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


def _release_threadsafe(loop: asyncio.AbstractEventLoop, slots: asyncio.Semaphore) -> None:
    try:
        loop.call_soon_threadsafe(slots.release)
    except RuntimeError:  # the loop is closed: nobody waits for the slot any more
        pass


Subscriber = Callable[[ev.Event], None]


class Workshop:
    """One running workshop session. Build it with :meth:`start` (new) or :meth:`resume`."""

    def __init__(self, agenda: Agenda, plugins: PluginHost, store, tables: dict[str, dict],
                 *, plugin_timeout: float = 5.0, participant_cap: int | None = None):
        self.agenda = agenda
        self.plugins = plugins
        self.store = store
        self.tables = {name: dict(rows) for name, rows in tables.items()}
        for name in ("session", "activities", "participants", "contributions"):
            self.tables.setdefault(name, {})
        self.caller = PluginCaller(timeout=plugin_timeout)
        self.participant_cap = participant_cap or agenda.participant_cap
        self._subscribers: list[Subscriber] = []
        self._connections: dict[str, int] = {}
        self._tokens: dict[str, str] = {}
        self._by_activity: dict[str, dict[str, dict]] = {}
        self._by_participant: dict[str, set[str]] = {}
        self._inflight: dict[str, asyncio.Future] = {}
        self._views: dict[str, tuple[int, dict, Form | None]] = {}
        self._infos: dict[str, tuple[int, ActivityInfo]] = {}
        self._versions: dict[str, int] = {}
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._command_lock = asyncio.Lock()
        self._storage_failing = False
        self._joining = 0  # new participants being stored, not yet connected
        self._plugin_tasks: set[asyncio.Task] = set()
        for doc in self.tables["participants"].values():
            if doc.get("token_hash"):
                self._tokens[doc["token_hash"]] = doc["id"]
        for key, doc in self.tables["contributions"].items():
            self._index(key, doc)

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
        workshop._restore_timers()
        return workshop

    # -- basics ----------------------------------------------------------------------
    @property
    def session(self) -> dict[str, Any]:
        return self.tables["session"]["session"]

    @property
    def session_id(self) -> str:
        return self.session["id"]

    @property
    def room(self) -> str:
        return self.session["room"]

    @property
    def locked(self) -> bool:
        return bool(self.session.get("locked"))

    def session_view(self) -> dict[str, Any]:
        return {"id": self.session_id, "title": self.agenda.title, "roles": list(self.agenda.roles)}

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call ``fn(event)`` for every event; returns a function that unsubscribes."""
        self._subscribers.append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def _emit(self, event: ev.Event) -> None:
        for fn in list(self._subscribers):
            try:
                fn(event)
            except Exception:  # a broken subscriber must not break the workshop
                log.exception("event subscriber failed on %s", type(event).__name__)

    async def _commit(self, ops: list[Op]) -> None:
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
        for op in ops:
            table = self.tables[op[1]]
            if op[0] == "put":
                table[op[2]] = op[3]
                if op[1] == "contributions":
                    self._index(op[2], op[3])
            else:
                old = table.pop(op[2], None)
                if op[1] == "contributions" and old is not None:
                    self._unindex(op[2], old)

    def _compact_store(self) -> None:
        """After an erase or a withdrawal: ask the store to rewrite its files without the
        removed text (soon, off the ack path; docs/architecture.md "Durability")."""
        compact = getattr(self.store, "compact", None)
        if compact is not None:
            compact()

    def _index(self, key: str, doc: dict) -> None:
        self._by_activity.setdefault(doc["activity"], {})[key] = doc
        self._by_participant.setdefault(doc["participant"], set()).add(key)

    def _unindex(self, key: str, doc: dict) -> None:
        self._by_activity.get(doc["activity"], {}).pop(key, None)
        self._by_participant.get(doc["participant"], set()).discard(key)

    # -- participants ----------------------------------------------------------------
    def participant(self, participant_id: str) -> dict[str, Any] | None:
        doc = self.tables["participants"].get(participant_id)
        return None if doc is None or doc.get("erased") else doc

    @staticmethod
    def participant_view(doc: dict[str, Any]) -> dict[str, Any]:
        return {"id": doc["id"], "name": doc.get("name"), "role": doc.get("role")}

    def participants(self) -> list[dict[str, Any]]:
        """Every participant (not erased) with ``connected`` and ``contributions`` counts."""
        out = []
        for doc in self.tables["participants"].values():
            if doc.get("erased"):
                continue
            keys = self._by_participant.get(doc["id"], set())
            count = sum(1 for k in keys if not self.tables["contributions"][k].get("withdrawn"))
            out.append({**self.participant_view(doc), "lang": doc.get("lang"),
                        "joined_at": doc.get("joined_at"),
                        "connected": self._connections.get(doc["id"], 0) > 0,
                        "contributions": count})
        return out

    def connected_count(self) -> int:
        return sum(1 for n in self._connections.values() if n > 0)

    def is_connected(self, participant_id: str) -> bool:
        return self._connections.get(participant_id, 0) > 0

    def _clean_profile(self, name: Any, role: Any, lang: Any, *, current: dict | None) -> dict:
        """Validate profile fields: None leaves a field unchanged, "" clears it."""
        out: dict[str, Any] = {}
        errors: dict[str, str] = {}
        if name is not None:
            if not isinstance(name, str):
                errors["name"] = "must be text"
            else:
                cleaned = clean_text(name, multiline=False)[:NAME_MAX] or None
                out["name"] = cleaned
        if role is not None:
            if not isinstance(role, str):
                errors["role"] = "must be text"
            elif role == "":
                out["role"] = None
            elif role not in self.agenda.roles:
                errors["role"] = "not one of the roles: " + ", ".join(self.agenda.roles)
            else:
                out["role"] = role
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
            pid = self._tokens.get(hash_token(token)) if isinstance(token, str) else None
            doc = self.participant(pid) if pid else None
            if doc is None:
                raise WorkshopError("bad_token", "this token is not known here; join as a new participant")
            changes = self._clean_profile(name, role, lang, current=doc)
            changes = {k: v for k, v in changes.items() if doc.get(k) != v and v is not None}
            if changes:
                doc = {**doc, **changes}
                await self._commit([put("participants", pid, doc)])
            return doc, token, True
        if self.locked:
            raise WorkshopError("room_locked", "the room is locked: no new participants now")
        # joins still being stored count too: many hellos at once all pass the check
        # before any of them is connected
        if self.connected_count() + self._joining >= self.participant_cap:
            raise WorkshopError("room_full", f"the room is full ({self.participant_cap} participants)")
        profile = self._clean_profile(name, role, lang, current=None)
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
        self._tokens[doc["token_hash"]] = pid
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
        changes = self._clean_profile(name, role, lang, current=doc)
        if changes:
            doc = {**doc, **changes}
            await self._commit([put("participants", participant_id, doc)])
            self._emit(ev.ProfileChanged(self.participant_view(doc)))
        return doc

    def _require_participant(self, participant_id: str) -> dict[str, Any]:
        doc = self.participant(participant_id)
        if doc is None:
            raise WorkshopError("not_joined", "this participant no longer exists")
        return doc

    async def erase_participant(self, participant_id: str) -> int:
        """Erase a participant's data on request: every contribution, name, role, token."""
        async with self._command_lock:
            doc = self.tables["participants"].get(participant_id)
            if doc is None or doc.get("erased"):
                raise WorkshopError("not_found", "no such participant")
            keys = sorted(self._by_participant.get(participant_id, set()))
            activities = {self.tables["contributions"][k]["activity"] for k in keys}
            counted = sum(1 for k in keys if not self.tables["contributions"][k].get("withdrawn"))
            ops = [delete("contributions", k) for k in keys]
            ops.append(put("participants", participant_id, {"id": participant_id, "erased": True}))
            await self._commit(ops)
            self._compact_store()
            self._tokens.pop(doc.get("token_hash"), None)
            self._emit(ev.ParticipantErased(participant_id, counted))
            for aid in activities:
                await self._source_changed(aid)
            return counted

    # -- contributions ---------------------------------------------------------------
    def contribution_view(self, doc: dict[str, Any]) -> dict[str, Any]:
        out = {"id": doc["id"], "participant": doc["participant"], "activity": doc["activity"],
               "data": doc["data"], "created_at": doc["created_at"]}
        if doc.get("hidden"):
            out["hidden"] = True
        return out

    def role_of(self, participant_id: str) -> str | None:
        doc = self.tables["participants"].get(participant_id) or {}
        return doc.get("role")

    def mine(self, participant_id: str, activity_id: str | None = None) -> list[dict[str, Any]]:
        """A participant's contributions to an activity (default: the current one)."""
        activity_id = activity_id or self.current_id
        if activity_id is None:
            return []
        out = []
        for key in self._by_participant.get(participant_id, set()):
            doc = self.tables["contributions"][key]
            if doc["activity"] == activity_id and not doc.get("withdrawn"):
                out.append(self.contribution_view(doc))
        out.sort(key=lambda c: c["created_at"])
        return out

    def contributions(self, activity_id: str | None = None, *, include_hidden: bool = False) -> list[dict[str, Any]]:
        """Contributions (with ``role``), oldest first; withdrawn never, hidden on request."""
        rows = (self._by_activity.get(activity_id, {}).values() if activity_id is not None
                else self.tables["contributions"].values())
        out = []
        for doc in rows:
            if doc.get("withdrawn") or (doc.get("hidden") and not include_hidden):
                continue
            out.append({**self.contribution_view(doc), "role": self.role_of(doc["participant"])})
        out.sort(key=lambda c: c["created_at"])
        return out

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
        self._require_participant(pid)
        current = self.current_id
        if current is None or activity_id != current:
            raise WorkshopError("wrong_activity", "that is not the current activity")
        state = self.tables["activities"][current]["state"]
        if state != "open":
            raise WorkshopError("activity_closed", "submissions are not open for this activity"
                                if state == "pending" else "submissions are closed for this activity")
        act = self.agenda.activity(current)
        registered = self.plugins.activity_type(act.plugin)
        view, form = await self.activity_view_and_form(current)
        if form is None:
            raise WorkshopError("plugin_error", view.get("error") or "this activity is not available")
        try:
            cleaned = form.validate(data)
            info = await self._cached_info(current)
            replaced = await self.caller.call(registered.activity_type, "validate", info, cleaned)
        except Invalid as exc:
            raise WorkshopError("invalid", "the answer does not fit the form: "
                                + ", ".join(f"{k} ({v})" for k, v in exc.fields.items()) if exc.fields
                                else str(exc), exc.fields or None) from None
        except PluginFailure as exc:
            self._plugin_failed(current, act.plugin, str(exc))
            raise WorkshopError("plugin_error", f"this activity's plugin failed: {exc}") from None
        if replaced is not None:
            if not isinstance(replaced, dict):
                msg = f"{act.plugin}.validate returned {type(replaced).__name__}, not a dict"
                self._plugin_failed(current, act.plugin, msg)
                raise WorkshopError("plugin_error", f"this activity's plugin failed: {msg}")
            cleaned = replaced
        doc = {"id": client_id, "participant": pid, "activity": current, "data": cleaned,
               "created_at": utc_iso()}
        if self.tables["activities"][current].get("moderated"):
            doc.update(hidden=True, held=True)  # approve before showing: held until approved
        await self._commit([put("contributions", key, doc)])
        role = self.role_of(pid)
        self._emit(ev.ContributionAdded(self.contribution_view(doc), role))
        self._fire_hook("contribution_stored", contribution=self.contribution_view(doc), role=role)
        await self._source_changed(current)
        return self._ack(doc)

    async def withdraw(self, participant_id: str, client_id: str) -> dict[str, Any]:
        key = contribution_key(participant_id, client_id)
        pending = self._inflight.get(key)
        if pending is not None:
            try:
                await asyncio.shield(pending)
            except Exception:
                pass
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
    @property
    def current_id(self) -> str | None:
        return self.session.get("current")

    def activity_state(self, activity_id: str) -> dict[str, Any]:
        return self.tables["activities"][activity_id]

    def agenda_view(self) -> list[dict[str, Any]]:
        """The agenda with each activity's state, for the TUI and the facilitator."""
        out = []
        for act in self.agenda.activities:
            st = self.tables["activities"].get(act.id, {})
            out.append({"id": act.id, "plugin": act.plugin, "title": act.title,
                        "state": st.get("state", "pending"), "ends_at": st.get("ends_at"),
                        "paused_remaining": st.get("paused_remaining"),
                        "current": act.id == self.current_id,
                        "contributions": len(self.contributions(act.id))})
        return out

    async def activity_info(self, activity_id: str) -> ActivityInfo:
        act = self.agenda.activity(activity_id)
        items: tuple[Item, ...] = ()
        if act.source:
            items = tuple(await self._items_of(act.source))
        return ActivityInfo(
            id=act.id, plugin=act.plugin, title=act.title, prompt=act.prompt,
            options=dict(act.options), roles=tuple(self.agenda.roles), items=items,
            source=act.source, notes=act.notes, language=self.agenda.language,
            state=self.tables["activities"][act.id]["state"])

    async def _items_of(self, activity_id: str) -> list[Item]:
        act = self.agenda.activity(activity_id)
        registered = self.plugins.activity_type(act.plugin)
        if registered is None:
            return []
        info = await self.activity_info(activity_id)
        try:
            items = await self.caller.call(registered.activity_type, "items", info,
                                           self.contributions(activity_id))
            items = [i if isinstance(i, Item) else Item(str(i["id"]), str(i["label"])) for i in items or []]
        except Exception as exc:
            self._plugin_failed(activity_id, act.plugin, f"items: {exc}")
            return []
        return items

    async def activity_view(self, activity_id: str | None = None) -> dict[str, Any] | None:
        """The protocol ACTIVITY object for an activity (default: the current one)."""
        activity_id = activity_id or self.current_id
        if activity_id is None:
            return None
        view, _ = await self.activity_view_and_form(activity_id)
        return view

    async def activity_view_and_form(self, activity_id: str) -> tuple[dict[str, Any], Form | None]:
        version = self._versions.get(activity_id, 0)
        cached = self._views.get(activity_id)
        if cached is not None and cached[0] == version:
            return cached[1], cached[2]
        act = self.agenda.activity(activity_id)
        st = self.tables["activities"][activity_id]
        view: dict[str, Any] = {"id": act.id, "plugin": act.plugin, "title": act.title,
                                "prompt": act.prompt, "state": st["state"],
                                "ends_at": utc_iso(st["ends_at"]) if st.get("ends_at") else None,
                                "form": {"fields": []}}
        form: Form | None = None
        registered = self.plugins.activity_type(act.plugin)
        try:
            if registered is None:
                raise PluginFailure(f"the plugin {act.plugin!r} is not loaded")
            info = await self._cached_info(activity_id)
            form = await self.caller.call(registered.activity_type, "form", info)
            if not isinstance(form, Form):
                raise PluginFailure(f"{act.plugin}.form returned {type(form).__name__}, not a Form")
            view["form"] = form.to_json()
            extras = await self.caller.call(registered.activity_type, "extras", info)
            if not isinstance(extras, dict):
                raise PluginFailure(f"{act.plugin}.extras returned {type(extras).__name__}, not a dict")
            _require_json(extras, f"{act.plugin}.extras")
            for key, value in extras.items():
                view.setdefault(str(key), value)
        except (PluginFailure, Exception) as exc:
            form = None
            view["form"] = {"fields": []}
            view["error"] = "This activity is not available right now."
            self._plugin_failed(activity_id, act.plugin, str(exc))
            # do not cache a failure: the next call tries again
            return view, None
        if self._versions.get(activity_id, 0) == version:
            self._views[activity_id] = (version, view, form)
        return view, form

    async def _cached_info(self, activity_id: str) -> ActivityInfo:
        """:meth:`activity_info`, cached until the activity's state or its source changes
        (taking items from a source activity calls a plugin: not once per submission)."""
        version = self._versions.get(activity_id, 0)
        cached = self._infos.get(activity_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        info = await self.activity_info(activity_id)
        if self._versions.get(activity_id, 0) == version:
            self._infos[activity_id] = (version, info)
        return info

    def _invalidate(self, activity_id: str) -> None:
        self._versions[activity_id] = self._versions.get(activity_id, 0) + 1
        self._views.pop(activity_id, None)

    async def _source_changed(self, activity_id: str) -> None:
        """Contributions of ``activity_id`` changed: refresh activities that take items from it."""
        for act in self.agenda.activities:
            if act.source == activity_id:
                self._invalidate(act.id)
                if act.id == self.current_id:
                    await self._broadcast_activity()

    async def _broadcast_activity(self) -> None:
        self._emit(ev.ActivityChanged(await self.activity_view()))

    def _plugin_failed(self, activity_id: str, plugin: str, message: str) -> None:
        log.warning("plugin %s failed in activity %s: %s", plugin, activity_id, message)
        self._emit(ev.PluginProblem(activity_id, plugin, message))

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

    async def _set_state(self, activity_id: str, **changes: Any) -> None:
        st = {**self.tables["activities"][activity_id], **changes}
        await self._commit([put("activities", activity_id, st)])
        self._invalidate(activity_id)

    # facilitator commands ------------------------------------------------------------
    async def goto(self, activity_id: str) -> None:
        async with self._command_lock:
            if self.agenda.activity(activity_id) is None:
                raise WorkshopError("unknown_activity", f"no activity {activity_id!r} in the agenda")
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

    def _require_current(self) -> str:
        if self.current_id is None:
            raise WorkshopError("no_activity", "there is no current activity")
        return self.current_id

    async def open(self) -> None:
        async with self._command_lock:
            await self._open(self._require_current())
            await self._broadcast_activity()

    async def _open(self, activity_id: str) -> None:
        st = self.tables["activities"][activity_id]
        changes: dict[str, Any] = {"state": "open"}
        act = self.agenda.activity(activity_id)
        if not st.get("opened") and act.timebox and not st.get("ends_at"):
            changes.update(ends_at=time.time() + act.timebox, close_at_end=act.close_at_end)
        changes["opened"] = True
        await self._set_state(activity_id, **changes)
        if "ends_at" in changes:
            self._schedule_timer(activity_id)

    async def close(self) -> None:
        async with self._command_lock:
            current = self._require_current()
            await self._set_state(current, state="closed")
            await self._broadcast_activity()

    async def set_timer(self, seconds: float | None, close_at_end: bool = False) -> None:
        """Set the current activity's timer ``seconds`` ahead (None clears it)."""
        async with self._command_lock:
            current = self._require_current()
            ends_at = None if seconds is None else time.time() + seconds
            await self._set_state(current, ends_at=ends_at, close_at_end=bool(close_at_end),
                                  paused_remaining=None)
            self._schedule_timer(current)
            await self._broadcast_activity()

    async def pause_timer(self) -> None:
        async with self._command_lock:
            current = self._require_current()
            st = self.tables["activities"][current]
            if not st.get("ends_at"):
                raise WorkshopError("no_timer", "the timer is not running")
            remaining = max(0.0, st["ends_at"] - time.time())
            await self._set_state(current, ends_at=None, paused_remaining=remaining)
            self._schedule_timer(current)
            await self._broadcast_activity()

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
                await self._set_state(current, ends_at=max(time.time(), st["ends_at"] + seconds))
            elif st.get("paused_remaining") is not None:
                await self._set_state(current, paused_remaining=max(0, st["paused_remaining"] + seconds))
            else:
                await self._set_state(current, ends_at=time.time() + seconds)
            self._schedule_timer(current)
            await self._broadcast_activity()

    def _schedule_timer(self, activity_id: str) -> None:
        handle = self._timers.pop(activity_id, None)
        if handle:
            handle.cancel()
        st = self.tables["activities"][activity_id]
        if st.get("ends_at"):
            loop = asyncio.get_running_loop()
            delay = max(0.0, st["ends_at"] - time.time())
            self._timers[activity_id] = loop.call_later(
                delay, lambda: self._spawn(self._timer_fired(activity_id, st["ends_at"])))

    def _restore_timers(self) -> None:
        for activity_id, st in self.tables["activities"].items():
            if st.get("ends_at") and self.agenda.activity(activity_id):
                self._schedule_timer(activity_id)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._plugin_tasks.add(task)
        task.add_done_callback(self._plugin_tasks.discard)

    async def _timer_fired(self, activity_id: str, ends_at: float) -> None:
        async with self._command_lock:
            st = self.tables["activities"].get(activity_id)
            if not st or st.get("ends_at") != ends_at:
                return
            self._timers.pop(activity_id, None)
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
            if self.agenda.activity(activity_id) is None:
                raise WorkshopError("unknown_activity", f"no activity {activity_id!r} in the agenda")
            if bool(self.tables["activities"][activity_id].get("moderated")) != moderated:
                await self._set_state(activity_id, moderated=moderated)
                self._emit(ev.ModerationChanged(activity_id, moderated))

    def is_held(self, participant_id: str, client_id: str) -> bool:
        """Whether a contribution waits for the facilitator's approval."""
        doc = self.tables["contributions"].get(contribution_key(participant_id, client_id))
        return bool(doc and doc.get("held") and not doc.get("withdrawn"))

    async def set_locked(self, locked: bool) -> None:
        async with self._command_lock:
            if self.locked != locked:
                await self._commit([put("session", "session", {**self.session, "locked": locked})])
                self._emit(ev.RoomLockChanged(locked))

    # -- results and records ---------------------------------------------------------
    async def results(self, activity_id: str) -> dict[str, Any]:
        """The plugin's summary of an activity: ``{"results": …}`` or ``{"error": …}``."""
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
            _require_json(results, f"{act.plugin}.summarise")
        except PluginFailure as exc:
            self._plugin_failed(activity_id, act.plugin, str(exc))
            return {"error": str(exc)}
        return {"results": results, "visible": await self._results_visible(registered.activity_type, info)}

    async def _results_visible(self, atype: ActivityType, info: ActivityInfo) -> bool:
        try:
            return bool(await self.caller.call(atype, "results_visible", info))
        except PluginFailure:
            return False

    def export(self) -> dict[str, Any]:
        """The facilitator's complete record (the JSON export)."""
        return build_export(self.tables, self.agenda)

    async def aclose(self) -> None:
        for handle in self._timers.values():
            handle.cancel()
        self._timers.clear()
        for task in list(self._plugin_tasks):
            task.cancel()
        self.caller.shutdown()


def _require_json(value: Any, what: str) -> None:
    """Plugin data goes over the wire as JSON: refuse what would not (a set, NaN, …)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PluginFailure(f"{what} returned data that is not JSON: {exc}") from None


def _new_activity_state(act: AgendaActivity) -> dict[str, Any]:
    return {"id": act.id, "state": "pending", "ends_at": None, "close_at_end": act.close_at_end,
            "paused_remaining": None, "opened": False}


def _jsonable(value: Any) -> Any:
    """TOML values to JSON values (dates become ISO strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
