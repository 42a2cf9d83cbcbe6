"""The complete record of a session (the JSON export), built from its tables.

The engine serves it to the facilitator, the CLI builds it from the files of a recorded
session (even while a host runs it), and every report format is rendered from it.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from .agenda import Agenda

__all__ = ["build_export", "utc_iso", "EXPORT_FORMAT", "EXPORT_VERSION"]


def utc_iso(ts: float | None = None) -> str:
    """``ts`` (seconds since the epoch; now if None) as ISO 8601 UTC with milliseconds."""
    dt = datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc)
    return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")


EXPORT_FORMAT = "facilitation-kit/export"
EXPORT_VERSION = 1


def build_export(tables: dict[str, dict[str, Any]], agenda: Agenda | dict | None = None,
                 *, anonymise: bool = False) -> dict[str, Any]:
    """The complete record: hidden contributions included (marked), withdrawn ones and
    erased participants gone, no tokens. ``anonymise`` drops display names."""
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
                             "joined_at": doc.get("joined_at")})
    participants.sort(key=lambda p: p["joined_at"] or "")
    order = {a["id"]: i for i, a in enumerate(agenda_json.get("activities") or [])}
    contributions = []
    erased = {pid for pid, doc in tables["participants"].items() if doc.get("erased")}
    for doc in tables["contributions"].values():
        if doc.get("withdrawn") or doc["participant"] in erased:
            continue
        row = {"id": doc["id"], "participant": doc["participant"], "activity": doc["activity"],
               "data": doc["data"], "created_at": doc["created_at"],
               "role": role_of.get(doc["participant"])}
        if doc.get("hidden"):
            row["hidden"] = True
        if doc.get("starred"):
            row["starred"] = True
        contributions.append(row)
    contributions.sort(key=lambda c: (order.get(c["activity"], 1 << 30), c["created_at"]))
    activities = []
    for a in agenda_json.get("activities") or []:
        st = tables["activities"].get(a["id"], {})
        ends = st.get("ends_at")
        activities.append({"id": a["id"], "state": st.get("state", "pending"),
                           "ends_at": utc_iso(ends) if ends else None})
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
        # the facilitator's themes (docs/themes.md), without erased participants' contributions
        "themes": [{**t, "contributions": [r for r in t.get("contributions") or () if r[0] not in erased]}
                   for t in sorted((tables.get("themes") or {}).values(),
                                   key=lambda t: (order.get(t.get("activity"), 1 << 30), t.get("created_at") or ""))],
    }


