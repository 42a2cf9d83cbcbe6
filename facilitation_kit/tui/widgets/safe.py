"""Participant text made safe for the terminal.

Everything a participant typed is untrusted. It reaches widgets only as
:class:`rich.text.Text` (never as a markup string, so ``[/bold]`` cannot crash the app
and ``[@click=app.quit]`` cannot become an action) and with terminal control characters
stripped (so an ``ESC ]2;…`` sequence cannot retitle or drive the terminal).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Iterable, Mapping

from rich.text import Text

from ...host.logs import strip_control

__all__ = ["clean", "safe_text", "show_text", "summary_of", "local_time", "one_line"]


def clean(value: Any) -> str:
    """Any value as display text with control characters removed."""
    return strip_control(value if isinstance(value, str) else str(value))


def one_line(value: Any, limit: int = 240) -> str:
    text = " ".join(clean(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def safe_text(value: Any, style: str = "", *, single_line: bool = False, limit: int | None = None) -> Text:
    """A :class:`Text` of untrusted content: no markup is interpreted, no control
    characters survive."""
    text = one_line(value, limit or 10_000) if single_line else clean(value)
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return Text(text, style=style, no_wrap=single_line, overflow="ellipsis" if single_line else "fold")


def _labels(field: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in ("options", "columns"):
        for o in field.get(key) or []:
            if isinstance(o, Mapping):
                out[str(o.get("value"))] = str(o.get("label"))
    for key in ("items", "rows"):
        for o in field.get(key) or []:
            if isinstance(o, Mapping):
                out[str(o.get("id"))] = str(o.get("label"))
    return out


def _value(value: Any, labels: Mapping[str, str]) -> str:
    if isinstance(value, str):
        return labels.get(value, value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return ", ".join(_value(v, labels) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{labels.get(str(k), str(k))}: {_value(v, labels)}" for k, v in value.items())
    return str(value)


def summary_of(data: Any, fields: Iterable[Mapping[str, Any]] = ()) -> str:
    """One line for a contribution's ``data``: the single answer, or ``label: value``
    pairs, with option/item ids replaced by their labels."""
    if not isinstance(data, Mapping):
        return one_line(_value(data, {}))
    by_name = {str(f.get("name")): f for f in fields if isinstance(f, Mapping)}
    if len(data) == 1:
        (name, value), = data.items()
        return one_line(_value(value, _labels(by_name.get(str(name), {}))))
    parts = []
    for name, value in data.items():
        field = by_name.get(str(name), {})
        if value in (None, "", [], {}):
            continue
        parts.append(f"{field.get('label') or name}: {_value(value, _labels(field))}")
    return one_line(" · ".join(parts))


def local_time(iso: str | None, fmt: str = "%H:%M:%S") -> str:
    """An ISO-8601 UTC timestamp as local wall-clock time."""
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone().strftime(fmt)
    except ValueError:
        return one_line(iso, 20)


def count_of(n: int, one: str, many: str | None = None) -> str:
    """``1 contribution``, ``2 contributions``: the one way the cockpit counts things."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def show_text(widget, text: Text, *, layout: bool = True) -> None:
    """``widget.update(text)`` (a Static), unless it already shows exactly that text.

    A Static's update lays the whole screen out again; several of them a few times a
    second (the status strip, the activity's counts) cost more than the new rows do.
    Pass ``layout=False`` for a widget whose height cannot change (one line, fixed)."""
    if getattr(widget, "_fk_shown", None) == text:
        return
    widget._fk_shown = text
    widget.update(text, layout=layout)
