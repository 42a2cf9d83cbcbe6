"""The workshop's commands about people: joining, profiles, consent, connections, erasing."""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

from . import events as ev
from . import themes as th
from .errors import WorkshopError
from .forms import clean_text
from .ops import delete, put
from .record import utc_iso
from .roles import NO_ROLE
from .state import hash_token

NAME_MAX = 60
MAX_PARTICIPANTS = 10_000   # participants per session (all of them, not only connected)

log = logging.getLogger(__name__)


class ParticipantCommands:
    """Commands of :class:`~facilitation_kit.core.engine.Workshop` about participants."""

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
        pid = self._new_participant_id()
        profile = self._clean_profile(name, role, lang)
        token = secrets.token_urlsafe(32)  # 256 random bits
        doc = {"id": pid, "token_hash": hash_token(token), "name": profile.get("name"),
               "role": profile.get("role"), "lang": profile.get("lang"), "joined_at": utc_iso()}
        self._joining += 1
        try:
            await self._commit([put("participants", pid, doc)])
        finally:
            self._joining -= 1
        return doc, token, False

    def _new_participant_id(self) -> str:
        """A fresh participant id, unless the session has had the most participants it
        takes (each costs storage; erased ones too)."""
        if len(self.tables["participants"]) + self._joining >= self.max_participants:
            raise WorkshopError("room_full", f"this session has had the most participants it takes "
                                             f"({self.max_participants})")
        pid = "p-" + secrets.token_hex(6)
        while pid in self.tables["participants"]:
            pid = "p-" + secrets.token_hex(6)
        return pid

    def _assisted_profile(self, participant_id: Any, name: Any, role: Any) -> tuple[str, dict[str, Any] | None]:
        """The participant a paper card is entered for (:meth:`assist`): ``(id, row to
        store with the card)``; the row is None when an existing one stays as it is."""
        if role is None or role == NO_ROLE:
            role = ""  # no role: the core's one spelling of it, or none given
        changes = self._clean_profile(name, role, None)
        if participant_id is None:
            pid = self._new_participant_id()
            return pid, {"id": pid, "name": changes.get("name"), "role": changes.get("role"), "lang": None,
                         "joined_at": utc_iso(), "assisted": True}
        doc = self.participant(participant_id) if isinstance(participant_id, str) else None
        if doc is None or participant_id in self._revoked:
            raise WorkshopError("not_found", "no such participant")
        if not doc.get("assisted"):
            raise WorkshopError("not_assisted", "that participant has a phone: cards are entered only "
                                                "for people entered from paper cards")
        if all(doc.get(k) == v for k, v in changes.items()):
            return participant_id, None
        return participant_id, {**doc, **changes}

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
