"""The actions agreed in a workshop, for the report's first page and for follow-up.

:func:`actions_of` lists every commitment of every ``actions`` activity of an export
(what, who, by when, what support is needed, how participants hear back, the priority it
is for); :func:`actions_csv` writes them as CSV (``facilitation-kit export --format
actions-csv``). Both go through the activity's plugin (:func:`session_results`), so the
small-group rule holds for the proposer's role and withdrawn or hidden actions are left out.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Mapping

from .results import session_results

__all__ = ["ACTION_COLUMNS", "actions_of", "actions_csv"]

#: The keys of each action :func:`actions_of` returns, and the columns of :func:`actions_csv`.
ACTION_COLUMNS = ("activity", "activity_title", "number", "priority", "what", "who", "by_when", "support",
                  "hear_back", "role", "created_at")


def actions_of(export: Mapping[str, Any], plugins=None, *, results=None) -> list[dict[str, Any]]:
    """Every action of the export's ``actions`` activities, in agenda order, then in the
    order they were written: dicts with the keys of :data:`ACTION_COLUMNS` (``priority``
    is the label of the priority it is for, or ``""``; ``role`` is the proposer's role
    group, or ``None`` where the group is too small to show). ``plugins`` defaults to the
    installed ones; pass ``results`` (from :func:`session_results`) to reuse them."""
    if results is None:
        if plugins is None:
            from ..core.plugins import load_plugins

            plugins = load_plugins()
        results = session_results(export, plugins)
    out = []
    for activity_id, entry in results.items():
        if entry.get("plugin") != "actions" or "summary" not in entry:
            continue
        for action in entry["summary"].get("actions") or []:
            out.append({"activity": activity_id, "activity_title": entry.get("title") or activity_id,
                        "number": action.get("number"), "priority": action.get("priority_label") or "",
                        **{k: action.get(k) or "" for k in ("what", "who", "by_when", "support", "hear_back")},
                        "role": action.get("role"), "created_at": action.get("created_at") or ""})
    return out


def actions_csv(export: Mapping[str, Any], plugins=None) -> str:
    """:func:`actions_of` as CSV, one row per action (participant text cannot become a
    spreadsheet formula)."""
    from .export import _safe_cell

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ACTION_COLUMNS)
    for action in actions_of(export, plugins):
        writer.writerow([_safe_cell("" if action[k] is None else str(action[k])) for k in ACTION_COLUMNS])
    return buf.getvalue()
