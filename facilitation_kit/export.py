"""Exports of a recorded session: JSON (the complete record) and CSV.

Both are built from the stored tables, so the CLI can export a session from its files
at any moment, even while a host is running it. The report formats (HTML, Markdown) are
rendered from the JSON export by :mod:`facilitation_kit.report`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .agenda import Agenda

EXPORT_FORMAT = "facilitation-kit/export"
EXPORT_VERSION = 1


def build_export(tables: dict[str, dict[str, Any]], agenda: Agenda | dict | None = None,
                 *, anonymise: bool = False) -> dict[str, Any]:
    """The complete record: hidden contributions included (marked), withdrawn ones and
    erased participants gone, no tokens. ``anonymise`` drops display names."""
    from .engine import utc_iso

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
    }


def to_json(export: dict[str, Any]) -> str:
    return json.dumps(export, ensure_ascii=False, indent=2) + "\n"


def _flatten(prefix: str, value: Any, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        out[prefix] = "; ".join(str(v) for v in value)
    elif value is None:
        out[prefix] = ""
    else:
        out[prefix] = str(value)


def _safe_cell(value: str) -> str:
    """Keep spreadsheet programs from running participant text as a formula."""
    value = "".join(ch for ch in value if ch in "\n\t" or (ord(ch) >= 0x20 and not 0x7f <= ord(ch) <= 0x9f))
    if value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def to_csv(export: dict[str, Any]) -> str:
    """One row per contribution (hidden ones marked): activity, role and every field of
    ``data`` flattened into its own column (``field`` or ``field.key``)."""
    titles = {a["id"]: a.get("title", a["id"]) for a in export["agenda"].get("activities") or []}
    rows = []
    data_columns: list[str] = []
    for c in export["contributions"]:
        flat: dict[str, str] = {}
        _flatten("", c["data"], flat)
        for key in flat:
            if key not in data_columns:
                data_columns.append(key)
        rows.append((c, flat))
    names = {p["id"]: p.get("name") for p in export["participants"]}
    columns = ["activity", "activity_title", "contribution", "participant", "name", "role",
               "created_at", "hidden"] + [f"data.{k}" for k in data_columns]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for c, flat in rows:
        writer.writerow([_safe_cell(str(v)) for v in [
            c["activity"], titles.get(c["activity"], ""), c["id"], c["participant"],
            names.get(c["participant"]) or "", c.get("role") or "", c["created_at"],
            "yes" if c.get("hidden") else "",
        ] + [flat.get(k, "") for k in data_columns]])
    return buf.getvalue()
