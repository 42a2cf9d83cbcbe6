"""The complete record of a session (the JSON export), built from its tables.

The engine serves it to the facilitator, the CLI builds it from the files of a recorded
session (even while a host runs it), and every report format is rendered from it.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone
from typing import Any

from .agenda import Agenda
from .roles import submitted_role

__all__ = ["build_export", "utc_iso", "EXPORT_FORMAT", "EXPORT_VERSION"]


_second: tuple[int | None, str] = (None, "")  # utc_iso's last whole second and its text, set as one


def utc_iso(ts: float | None = None) -> str:
    """``ts`` (seconds since the epoch; now if None) as ISO 8601 UTC with milliseconds,
    the same text as ``datetime.isoformat(timespec="milliseconds")`` with ``Z``. Every
    stored record gets one, so the date and time of the last second are kept."""
    t = time.time() if ts is None else ts
    sec = math.floor(t)
    us = round((t - sec) * 1e6)  # as datetime.fromtimestamp rounds: half to even, to microseconds
    if us >= 1_000_000:
        sec, us = sec + 1, 0
    global _second
    known, text = _second  # one read: another thread may replace the pair meanwhile
    if known != sec:
        text = datetime.fromtimestamp(sec, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        _second = (sec, text)
    return f"{text}.{us // 1000:03d}Z"


EXPORT_FORMAT = "facilitation-kit/export"
EXPORT_VERSION = 1


def build_export(tables: dict[str, dict[str, Any]], agenda: Agenda | dict | None = None,
                 *, anonymise: bool = False) -> dict[str, Any]:
    """The complete record: hidden contributions included (marked), withdrawn ones and
    erased participants gone, no tokens. ``anonymise`` drops display names.

    Besides the session, agenda, activity states (with ``text_fields``, the names of the
    form's text fields, once the host recorded them), participants (with ``consented_at``
    where a participant consented, ``assisted`` for one entered from paper cards) and
    contributions (``starred`` where the facilitator starred one, ``assisted`` for a paper
    card, ``edited_by_facilitator`` and ``edited_at`` for one a facilitator action changed),
    it carries the facilitator's ``themes`` (only their members that are
    still in the record) and ``notes`` (one per activity), in agenda order."""
    session = tables["session"].get("session", {})
    if isinstance(agenda, Agenda):
        agenda_json = agenda.to_json()
    elif isinstance(agenda, dict):
        agenda_json = agenda
    else:
        agenda_json = {"source": session.get("agenda", {}).get("source"),
                       "path": session.get("agenda", {}).get("path")}
    roles = agenda_json.get("roles") or (agenda_json.get("source") or {}).get("roles") or []
    participants = []
    role_of = {}
    for doc in tables["participants"].values():
        if doc.get("erased"):
            continue
        role_of[doc["id"]] = doc.get("role")
        participants.append({"id": doc["id"], "name": None if anonymise else doc.get("name"),
                             "role": doc.get("role"), "lang": doc.get("lang"),
                             "joined_at": doc.get("joined_at"), "consented_at": doc.get("consented_at"),
                             **({"assisted": True} if doc.get("assisted") else {})})
    participants.sort(key=lambda p: p["joined_at"] or "")
    order = {a["id"]: i for i, a in enumerate(agenda_json.get("activities") or [])}
    contributions = []
    erased = {pid for pid, doc in tables["participants"].items() if doc.get("erased")}
    for doc in tables["contributions"].values():
        if doc.get("withdrawn") or doc["participant"] in erased:
            continue
        row = {"id": doc["id"], "participant": doc["participant"], "activity": doc["activity"],
               "data": doc["data"], "created_at": doc["created_at"],
               "role": submitted_role(doc, role_of.get(doc["participant"]))}
        if doc.get("hidden"):
            row["hidden"] = True
        if doc.get("starred"):
            row["starred"] = True
        if doc.get("assisted"):
            row["assisted"] = True  # entered by the facilitator from a paper card
        if doc.get("edited_by_facilitator"):  # changed by a facilitator action (e.g. classified)
            row.update(edited_by_facilitator=True, edited_at=doc.get("edited_at"))
        contributions.append(row)
    contributions.sort(key=lambda c: (order.get(c["activity"], 1 << 30), c["created_at"]))
    activities = []
    for a in agenda_json.get("activities") or []:
        st = tables["activities"].get(a["id"], {})
        ends = st.get("ends_at")
        activities.append({"id": a["id"], "state": st.get("state", "pending"),
                           "ends_at": utc_iso(ends) if ends else None,
                           # the form's text fields: whose answers are a contribution's words
                           **({"text_fields": list(st["text_fields"])} if st.get("text_fields") is not None else {})})
    kept = {(c["participant"], c["id"]) for c in contributions}
    themes = []
    for doc in (tables.get("themes") or {}).values():
        members = [list(m) for m in doc.get("contributions") or []
                   if isinstance(m, (list, tuple)) and len(m) == 2 and tuple(m) in kept]
        themes.append({"id": doc.get("id"), "activity": doc.get("activity"), "label": doc.get("label") or "",
                       "contributions": members, "confirmed": bool(doc.get("confirmed")),
                       "created_at": doc.get("created_at")})
    themes.sort(key=lambda t: (order.get(t["activity"], 1 << 30), str(t["created_at"] or "")))
    notes = [{"activity": doc.get("activity", key), "text": doc.get("text") or "",
              "updated_at": doc.get("updated_at")}
             for key, doc in (tables.get("notes") or {}).items() if (doc.get("text") or "").strip()]
    notes.sort(key=lambda n: order.get(n["activity"], 1 << 30))
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": utc_iso(),
        "session": {"id": session.get("id"), "title": session.get("title"),
                    "room": session.get("room"), "created_at": session.get("created_at"),
                    "language": agenda_json.get("language"), "roles": list(roles),
                    "anonymous": agenda_json.get("anonymous", True),
                    "current": session.get("current")},
        "agenda": agenda_json,
        "activities": activities,
        "participants": participants,
        "contributions": contributions,
        "themes": themes,
        "notes": notes,
    }


