"""The read side of a workshop: its tables, their indexes and every query.

:class:`WorkshopState` holds a session's tables (``session``, ``activities``,
``participants``, ``contributions``) and who is connected, and answers every question
about them. It changes only through :meth:`WorkshopState.apply` (the journal's operations,
:func:`~facilitation_kit.core.ops.apply_ops`) and the connection counts. The engine's
:class:`~facilitation_kit.core.engine.Workshop` adds the commands on top of it; the TUI's
copy of a workshop in another process is a ``WorkshopState`` fed by the host's own
operations over the facilitator channel, so both answer every query the same way.
"""

from __future__ import annotations

import hashlib
from typing import Any, Iterable

from . import i18n
from .agenda import Agenda
from .ops import TABLES, Op, apply_ops
from .record import build_export
from .roles import submitted_role

__all__ = ["WorkshopState", "contribution_key", "hash_token", "public_participant"]


def contribution_key(participant_id: str, client_id: str) -> str:
    return f"{participant_id}/{client_id}"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def public_participant(doc: dict[str, Any]) -> dict[str, Any]:
    """A participant row as the facilitator may see it: everything but the token hash."""
    return {k: v for k, v in doc.items() if k != "token_hash"}


class WorkshopState:
    """A workshop's tables and indexes; every query. Read-only but for :meth:`apply`."""

    def __init__(self, agenda: Agenda, tables: dict[str, dict]):
        self.agenda = agenda
        self.tables: dict[str, dict[str, Any]] = {name: dict(rows) for name, rows in tables.items()}
        for name in TABLES:
            self.tables.setdefault(name, {})
        self._connections: dict[str, int] = {}
        self._langs: dict[str | None, str] = {}  # lang_of's memo
        self._tokens: dict[str, str] = {}
        self._by_activity: dict[str, dict[str, dict]] = {}
        self._by_participant: dict[str, set[str]] = {}
        self._counts: dict[tuple[str, str], int] = {}  # (participant, activity) -> rows, withdrawn too
        for doc in self.tables["participants"].values():
            if doc.get("token_hash"):
                self._tokens[doc["token_hash"]] = doc["id"]
        for key, doc in self.tables["contributions"].items():
            self._index(key, doc)

    # -- the one way the tables change ------------------------------------------------
    def apply(self, ops: Iterable[Op]) -> set[str]:
        """Apply stored operations; returns the ids of activities whose rows or
        contributions changed (so views of them and of activities taking items from
        them can be refreshed)."""
        touched: set[str] = set()

        def changed(table: str, key: str, old: dict | None, new: dict | None) -> None:
            if table == "contributions":
                if old is not None:
                    self._unindex(key, old)
                    touched.add(old["activity"])
                if new is not None:
                    self._index(key, new)
                    touched.add(new["activity"])
            elif table == "participants":
                if old is not None and old.get("token_hash"):
                    self._tokens.pop(old["token_hash"], None)
                if new is not None and new.get("token_hash"):
                    self._tokens[new["token_hash"]] = new["id"]
            elif table == "activities":
                touched.add(key)

        apply_ops(self.tables, ops, changed)
        return touched

    def _index(self, key: str, doc: dict) -> None:
        self._by_activity.setdefault(doc["activity"], {})[key] = doc
        self._by_participant.setdefault(doc["participant"], set()).add(key)
        pair = (doc["participant"], doc["activity"])
        self._counts[pair] = self._counts.get(pair, 0) + 1

    def _unindex(self, key: str, doc: dict) -> None:
        self._by_activity.get(doc["activity"], {}).pop(key, None)
        self._by_participant.get(doc["participant"], set()).discard(key)
        pair = (doc["participant"], doc["activity"])
        left = self._counts.get(pair, 0) - 1
        if left > 0:
            self._counts[pair] = left
        else:
            self._counts.pop(pair, None)

    # -- session ------------------------------------------------------------------------
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

    @property
    def current_id(self) -> str | None:
        return self.session.get("current")

    @property
    def screen_settings(self) -> dict[str, Any]:
        """What the facilitator chose for the room's screen, and its token (stored in the
        session table under ``screen``, so both survive ``--resume``)."""
        return self.tables["session"].get("screen") or {}

    @property
    def remote_token(self) -> str | None:
        """The facilitator's remote token (session table, ``remote``), or None before
        the first pairing. Never in the ``state`` answer or an ``ops`` event."""
        return (self.tables["session"].get("remote") or {}).get("token")

    def session_view(self, lang: str | None = None) -> dict[str, Any]:
        lang = self.lang_of(lang)
        return {"id": self.session_id, "title": i18n.text(self.agenda.texts.get("title", self.agenda.title),
                                                          lang, self.agenda.language),
                "roles": list(self.agenda.roles), "role_labels": self.agenda.role_labels(lang),
                "consent": None if self.agenda.consent is None else {
                    "text": self.agenda.consent_text(lang), "required": self.agenda.consent["required"]}}

    def lang_of(self, lang: str | None) -> str:
        """The language a phone's tag is served in (see :func:`i18n.normalise`). Asked on
        every submission; the answers for the first few tags seen are remembered."""
        memo = lang is None or isinstance(lang, str)
        got = self._langs.get(lang) if memo else None
        if got is None:
            got = i18n.normalise(lang, self.agenda.language, (self.agenda.language,))
            if memo and len(self._langs) < 64:
                self._langs[lang] = got  # a phone's tag is its own text: a bounded memo
        return got

    def participant_lang(self, participant_id: str | None) -> str:
        doc = self.tables["participants"].get(participant_id or "") or {}
        return self.lang_of(doc.get("lang"))

    # -- participants -------------------------------------------------------------------
    def participant(self, participant_id: str) -> dict[str, Any] | None:
        doc = self.tables["participants"].get(participant_id)
        return None if doc is None or doc.get("erased") else doc

    def participant_by_token(self, token: Any) -> dict[str, Any] | None:
        pid = self._tokens.get(hash_token(token)) if isinstance(token, str) else None
        return self.participant(pid) if pid else None

    @staticmethod
    def participant_view(doc: dict[str, Any]) -> dict[str, Any]:
        out = {"id": doc["id"], "name": doc.get("name"), "role": doc.get("role")}
        if doc.get("consented_at"):  # consent at join (extension): kept when resumed
            out["consented_at"] = doc["consented_at"]
        elif doc.get("declined_at"):
            out["watching"] = True
        if doc.get("assisted"):
            out["assisted"] = True
        return out

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
        # _connections holds only participants with a connection open (disconnect removes
        # the entry at zero), so its size is the count; it is asked on every join
        return len(self._connections)

    def is_connected(self, participant_id: str) -> bool:
        return self._connections.get(participant_id, 0) > 0

    def connected_ids(self) -> list[str]:
        return [pid for pid, n in self._connections.items() if n > 0]

    def role_of(self, participant_id: str) -> str | None:
        doc = self.tables["participants"].get(participant_id) or {}
        return doc.get("role")

    # -- contributions ------------------------------------------------------------------
    @staticmethod
    def contribution_view(doc: dict[str, Any]) -> dict[str, Any]:
        out = {"id": doc["id"], "participant": doc["participant"], "activity": doc["activity"],
               "data": doc["data"], "created_at": doc["created_at"]}
        if doc.get("hidden"):
            out["hidden"] = True
        if doc.get("edited_by_facilitator"):
            out["edited_by_facilitator"] = True
        return out

    def contribution(self, participant_id: str, client_id: str) -> dict[str, Any] | None:
        return self.tables["contributions"].get(contribution_key(participant_id, client_id))

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
            out.append({**self.contribution_view(doc),
                        "role": submitted_role(doc, self.role_of(doc["participant"]))})
        out.sort(key=lambda c: c["created_at"])
        return out

    def count_of(self, participant_id: str, activity_id: str) -> int:
        """How many contributions a participant has stored in an activity, withdrawn ones
        too (what the contribution cap counts); kept as an index, not recounted."""
        return self._counts.get((participant_id, activity_id), 0)

    def keys_of(self, participant_id: str) -> list[str]:
        """The contribution keys of a participant (withdrawn ones too), sorted."""
        return sorted(self._by_participant.get(participant_id, set()))

    def is_held(self, participant_id: str, client_id: str) -> bool:
        """Whether a contribution waits for the facilitator's approval."""
        doc = self.contribution(participant_id, client_id)
        return bool(doc and doc.get("held") and not doc.get("withdrawn"))

    # -- activities ---------------------------------------------------------------------
    def activity_state(self, activity_id: str) -> dict[str, Any]:
        return self.tables["activities"][activity_id]

    def agenda_view(self) -> list[dict[str, Any]]:
        """The agenda with each activity's state, for the TUI and the facilitator."""
        out = []
        for act in self.agenda.activities:
            st = self.tables["activities"].get(act.id, {})
            out.append({"id": act.id, "plugin": act.plugin, "kind": act.kind, "title": act.title,
                        "state": st.get("state", "pending"), "ends_at": st.get("ends_at"),
                        "paused_remaining": st.get("paused_remaining"),
                        "current": act.id == self.current_id,
                        "contributions": len(self.contributions(act.id))})
        return out

    def readers_of(self, activity_id: str) -> list[str]:
        """Activities that take their items from ``activity_id`` (agenda key ``from``)."""
        return [act.id for act in self.agenda.activities if act.source == activity_id]

    # -- the facilitator's record --------------------------------------------------------
    def export(self) -> dict[str, Any]:
        """The facilitator's complete record (the JSON export)."""
        return build_export(self.tables, self.agenda)

    def snapshot(self) -> dict[str, Any]:
        """Everything a copy of this state in another process needs, as stored
        (participants without their token hashes), plus who is connected."""
        participants = {pid: public_participant(doc) for pid, doc in self.tables["participants"].items()}
        return {"session": self.session, "screen": self.screen_settings, "activities": self.tables["activities"],
                "participants": participants,
                "contributions": list(self.tables["contributions"].values()),
                "themes": self.tables["themes"], "notes": self.tables["notes"],
                "connected": [pid for pid in participants if self.is_connected(pid)]}

    @staticmethod
    def tables_from_snapshot(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
        session = {"session": state["session"], **({"screen": state["screen"]} if state.get("screen") else {})}
        return {"session": session, "activities": dict(state["activities"]),
                "participants": dict(state["participants"]),
                "contributions": {contribution_key(c["participant"], c["id"]): c
                                  for c in state["contributions"]},
                "themes": dict(state.get("themes") or {}), "notes": dict(state.get("notes") or {})}


