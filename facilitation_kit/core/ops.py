"""Changes to a workshop's tables, as the journal records them: the one way a change is applied.

A change is a list of operations, each ``("put", table, key, doc)`` or
``("delete", table, key)``. The store writes them to its journal and applies them to its
tables, the engine applies them to its :class:`~facilitation_kit.core.state.WorkshopState`
after the write, and the TUI's copy of the workshop applies the same operations when the
host sends them over the facilitator channel. All three call :func:`apply_ops`.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

__all__ = ["Op", "put", "delete", "apply_ops", "StoreError", "TABLES"]

#: The tables of a session. Every table is journalled and checkpointed: a new kind of
#: stored data gets its table here. ``themes``: the facilitator's groups of
#: contributions (``{"id", "activity", "label", "contributions": [[participant, id], …],
#: "confirmed"}``); ``notes``: the facilitator's note per activity (``{"activity", "text",
#: "updated_at"}``).
TABLES = ("session", "activities", "participants", "contributions", "themes", "notes")

Op = tuple  # ("put", table, key, doc) | ("delete", table, key)


def put(table: str, key: str, doc: dict[str, Any]) -> Op:
    return ("put", table, key, doc)


def delete(table: str, key: str) -> Op:
    return ("delete", table, key)


class StoreError(Exception):
    """Storage failed (disk full, unwritable, damaged file); the message says where."""


#: Called for each applied operation as ``(table, key, old_doc, new_doc)``; ``new_doc`` is
#: None for a delete, ``old_doc`` None for a new row.
OnChange = Callable[[str, str, "dict[str, Any] | None", "dict[str, Any] | None"], None]


def apply_ops(tables: dict[str, dict[str, Any]], ops: Iterable[Op],
              on_change: OnChange | None = None) -> None:
    """Apply ``ops`` to ``tables`` in order (creating a table on first use)."""
    for op in ops:
        kind, table, key = op[0], op[1], op[2]
        rows = tables.get(table)
        if rows is None:  # (not setdefault: that builds a new empty dict for every op)
            rows = tables[table] = {}
        if kind == "put":
            old = rows.get(key)
            rows[key] = op[3]
            if on_change is not None:
                on_change(table, key, old, op[3])
        elif kind == "delete":
            old = rows.pop(key, None)
            if on_change is not None and old is not None:
                on_change(table, key, old, None)
        else:
            raise ValueError(f"unknown operation {kind!r}")
