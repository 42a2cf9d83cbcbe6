"""Exports of a recorded session: JSON (the complete record) and CSV.

Both are built from the stored tables, so the CLI can export a session from its files
at any moment, even while a host is running it. The report formats (HTML, Markdown) are
rendered from the JSON export by :mod:`facilitation_kit.report.render`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any


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
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_csv(export: dict[str, Any]) -> str:
    """One row per contribution (hidden ones and paper cards marked): activity, role and every field of
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
               "created_at", "hidden", "assisted", "edited_by_facilitator"] + [f"data.{k}" for k in data_columns]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for c, flat in rows:
        writer.writerow([_safe_cell(str(v)) for v in [
            c["activity"], titles.get(c["activity"], ""), c["id"], c["participant"],
            names.get(c["participant"]) or "", c.get("role") or "", c["created_at"],
            "yes" if c.get("hidden") else "", "yes" if c.get("assisted") else "",
            "yes" if c.get("edited_by_facilitator") else "",
        ] + [flat.get(k, "") for k in data_columns]])
    return buf.getvalue()
