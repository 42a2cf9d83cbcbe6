"""The room's screen: what it may show, computed from the workshop (docs/screen.md).

:func:`screen_state` decides the view (blank, lobby, the current activity, its results,
one highlighted contribution, the confirmed themes) and gathers what that view needs. The rules of what the
room may see live here, in one place:

- nothing hidden and nothing awaiting approval: only ``Workshop.contributions`` (which
  leaves hidden and held ones out) reaches a plugin's :meth:`ActivityType.screen`;
- a plugin's screen view only while its :meth:`ActivityType.results_visible` says so
  (a silent vote: only once closed);
- a highlighted contribution only as its plugin's :meth:`ActivityType.public_data` gives it
  (a story its author did not allow to be quoted is never shown word for word);
- confirmed themes only, counted over what the room may see, quoted only from a member
  the facilitator starred (as ``public_data`` gives it);
- names never (contributions carry none, and no view includes one); roles only when the
  agenda sets ``screen_roles = true``, and then only for roles that at least
  ``min_group`` participants (the agenda's one small-group rule) of this activity share.

The host adds the join link, its QR code and the page's words (``host/screen.py``).
"""

from __future__ import annotations

import time
from typing import Any, Mapping, Sequence

from . import i18n
from .blocks import Block, Chart
from .engine import PluginFailure, Workshop
from .themes import text_answers, text_fields, themes_of, words_of
from .views import step_until

__all__ = ["screen_state", "screen_contributions", "contribution_text", "blocks_json"]

#: Limits on what a plugin's screen view may hold (a screen is no report).
MAX_BLOCKS = 60
MAX_TEXT = 1000
MAX_SVG = 512 * 1024
MAX_ROWS = 30


def _short(text: Any, limit: int = MAX_TEXT) -> str:
    text = "" if text is None else str(text)
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def screen_contributions(w: Workshop, activity_id: str) -> list[dict[str, Any]]:
    """The contributions the room may see (approved, not hidden), with ``role`` kept only
    where the agenda allows it."""
    visible = w.contributions(activity_id)
    agenda = w.agenda
    if not getattr(agenda, "screen_roles", False):
        return [{**c, "role": None} for c in visible]
    people: dict[str, set[str]] = {}
    for c in visible:
        if c.get("role"):
            people.setdefault(c["role"], set()).add(c["participant"])
    allowed = {r for r, ps in people.items() if len(ps) >= agenda.min_group}
    return [{**c, "role": c["role"] if c.get("role") in allowed else None} for c in visible]


def contribution_text(data: Any, fields: Sequence[Mapping[str, Any]] = ()) -> str:
    """A contribution's words for the screen: its text answers first (themes.text_answers:
    the form's text fields), then the labels of the choices it made. Ratings, dots and
    grids are left out."""
    if not isinstance(data, Mapping):
        return _short(data)
    by_name = {str(f.get("name")): f for f in fields if isinstance(f, Mapping)}
    names = [name for name, f in by_name.items() if f.get("kind") == "text"] if by_name else None
    chosen = []
    for name, value in data.items():
        field = by_name.get(str(name), {})
        if field.get("kind") == "choice":
            labels = {str(o.get("value")): o.get("label") for o in field.get("options") or []
                      if isinstance(o, Mapping)}
            for v in value if isinstance(value, list) else [value]:
                if v is not None:
                    chosen.append(str(labels.get(str(v)) or v))
    return _short("\n".join(text_answers(data, names) + ([" · ".join(chosen)] if chosen else [])))


def blocks_json(blocks: Any) -> list[dict[str, Any]]:
    """A plugin's screen blocks as JSON for the page; raises PluginFailure if it returned
    something else. Every string is cut to a screen's size; the page shows them as text
    (``textContent``) and a Chart's SVG only as an image (``<img>``: no script runs, nothing
    is fetched)."""
    if not isinstance(blocks, (list, tuple)):
        raise PluginFailure(f"screen returned {type(blocks).__name__}, not a list of blocks")
    out = []
    for block in list(blocks)[:MAX_BLOCKS]:
        if not isinstance(block, Block):
            raise PluginFailure(f"screen returned {type(block).__name__}, not a block")
        data = block.to_json()
        kind = data["block"]
        if kind == "chart":
            if not isinstance(block.svg, str) or not block.svg.lstrip().startswith("<svg") \
                    or len(block.svg.encode("utf-8", "replace")) > MAX_SVG:
                raise PluginFailure("a Chart's svg must be one <svg> drawing of at most 512 KB")
            data = {"block": "chart", "svg": block.svg, "alt": _short(block.alt),
                    "caption": _short(block.caption)}
        elif kind == "table":
            data = {"block": "table", "columns": [_short(c, 80) for c in block.columns][:12],
                    "rows": [[_short(v, 200) for v in row][:12] for row in list(block.rows)[:MAX_ROWS]],
                    "caption": _short(block.caption)}
        elif kind == "bulletlist":
            data = {"block": "bulletlist", "items": [_short(i) for i in list(block.items)[:MAX_ROWS]]}
        elif kind == "quote":
            data = {"block": "quote", "text": _short(block.text), "role": _short(block.role, 60) or None}
        elif kind == "heading":
            data = {"block": "heading", "text": _short(block.text, 200), "level": 2 if block.level <= 2 else 3}
        elif kind == "paragraph":
            data = {"block": "paragraph", "text": _short(block.text)}
        else:
            raise PluginFailure(f"the screen cannot show a {type(block).__name__} block")
        out.append(data)
    return out


def _people_answered(w: Workshop, activity_id: str) -> int:
    """How many participants answered (approved or awaiting approval; not rejected)."""
    people = set()
    for c in w.contributions(activity_id, include_hidden=True):
        if not c.get("hidden") or w.is_held(c["participant"], c["id"]):
            people.add(c["participant"])
    return len(people)


async def _plugin_view(w: Workshop, activity_id: str) -> tuple[str, list[dict[str, Any]] | None]:
    """("shown", blocks) | ("hidden", None): not now | ("none", None): no screen view."""
    act = w.agenda.activity(activity_id)
    registered = w.plugins.activity_type(act.plugin)
    if registered is None:
        return "none", None
    atype = registered.activity_type
    info = await w.activity_info(activity_id)
    try:
        visible = bool(await w.caller.call(atype, "results_visible", info))
        if not visible:
            return "hidden", None
        blocks = await w.caller.call(atype, "screen", info, screen_contributions(w, activity_id))
        if blocks is None:
            return "none", None
        return "shown", blocks_json(blocks)
    except PluginFailure as exc:
        w._plugin_failed(activity_id, act.plugin, f"screen: {exc}")
        return "none", None


async def _public_data(w: Workshop, act: Any, contribution: dict[str, Any]) -> Any:
    """What the plugin lets the room see of a contribution (:meth:`ActivityType.public_data`:
    e.g. a story its author did not allow to be quoted is withheld); ``None`` (nothing
    shown) if it fails."""
    registered = w.plugins.activity_type(act.plugin)
    if registered is None or not hasattr(registered.activity_type, "public_data"):
        return contribution.get("data")
    try:
        data = await w.caller.call(registered.activity_type, "public_data", await w.activity_info(act.id),
                                   dict(contribution))
    except PluginFailure as exc:
        w._plugin_failed(act.id, act.plugin, f"public_data: {exc}")
        return None
    return data if isinstance(data, Mapping) else None


#: Theme tiles on the screen (readable at 10 m; the rest are counted, not shown).
MAX_THEMES = 8
#: Longest quote on a theme tile.
THEME_QUOTE = 160


async def _themes(w: Workshop, act: Any) -> tuple[list[dict[str, Any]], int]:
    """The current activity's confirmed themes as tiles, largest first: ``label``,
    ``count`` (its contributions the room may see), ``quote`` (a starred member's words,
    or ``None``: only a contribution the facilitator starred is quoted, and only if its
    plugin's ``public_data`` withholds nothing of it) and ``roles`` (``[{"role", "count"}]``, only with
    ``screen_roles`` and only for role groups of at least ``min_group`` people in the
    theme). Themes not confirmed and themes with nothing the room may see never appear.
    Returns ``(tiles, how many more themes were left out)``."""
    from .roles import NO_ROLE, OTHER_ROLES, role_groups

    shown = {(c["participant"], c["id"]): c for c in screen_contributions(w, act.id)}
    info = await w.activity_info(act.id)
    tiles = []
    for theme in themes_of(w, act.id, confirmed_only=True):
        members = [shown[tuple(r)] for r in theme["contributions"] if tuple(r) in shown]
        if not members:
            continue
        quote = None
        for c in (c for c in members if (w.contribution(c["participant"], c["id"]) or {}).get("starred")):
            data = await _public_data(w, act, c)
            if data is not None and data == c.get("data"):  # nothing withheld: its author allowed it
                quote = words_of(data, text_fields(w, act.id)) or None
                if quote:
                    quote = _short(quote, THEME_QUOTE)
                    break
        roles = []
        if getattr(w.agenda, "screen_roles", False):
            groups = role_groups(info, members)
            for r in groups.order:
                if r != NO_ROLE:
                    label = i18n.KIT.t(info.lang, "other_roles") if r == OTHER_ROLES else r
                    roles.append({"role": _short(label, 60), "count": sum(1 for c in members if groups.of(c) == r)})
        tiles.append({"label": _short(theme["label"], 80), "count": len(members), "quote": quote, "roles": roles})
    tiles.sort(key=lambda t: -t["count"])
    return tiles[:MAX_THEMES], max(0, len(tiles) - MAX_THEMES)


async def screen_state(w: Workshop, *, with_blocks: bool = True,
                       previous: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything the screen page shows now. ``with_blocks=False`` reuses the plugin's
    blocks of ``previous`` (for changes that cannot alter them, e.g. someone joined)."""
    settings = w.screen_settings
    current = w.current_id
    view = settings.get("view") or "live"
    if view in ("highlight", "results", "themes") and settings.get("activity") != current:
        view = "live"  # chosen for an activity the workshop has moved on from
    out: dict[str, Any] = {"title": _short(w.agenda.title, 200), "language": w.agenda.language,
                           "room": w.room, "joined": w.connected_count(), "now": time.time() * 1000,
                           "activity": None}
    if view == "blank":
        out["view"] = "blank"
        return out
    act = w.agenda.activity(current) if current else None
    state = w.activity_state(current) if act else {}
    if act is not None:
        ends = state.get("ends_at")
        out["activity"] = {
            "id": act.id, "title": _short(act.title, 200), "prompt": _short(act.prompt, 600),
            "state": state.get("state", "pending"),
            "ends_at": ends * 1000 if ends else None,
            "paused_remaining": state.get("paused_remaining"),
            "answered": _people_answered(w, act.id)}
    if act is not None and not act.collects and view != "lobby":  # a break or an input
        out["activity"].update(kind=act.kind, until=step_until(act, state))
        out.update(view="activity", results="none", blocks=None)
        return out
    if view == "lobby" or act is None or state.get("state") == "pending":
        out["view"] = "lobby"
        return out
    if view == "highlight":
        ref = settings.get("highlight") or {}
        shown = next((c for c in screen_contributions(w, act.id)
                      if c["participant"] == ref.get("participant") and c["id"] == ref.get("contribution")),
                     None)
        data = await _public_data(w, act, shown) if shown is not None else None
        if data is not None:  # hidden or withdrawn since, or nothing to show: back to the activity
            activity_view = await w.activity_view(act.id) or {}
            fields = (activity_view.get("form") or {}).get("fields") or []
            out["view"] = "highlight"
            out["highlight"] = {"text": contribution_text(data, fields),
                                "role": shown.get("role")}
            return out
        view = "live"
    if view == "themes":
        out["view"] = "themes"
        out["themes"], out["themes_more"] = await _themes(w, act)
        return out
    out["view"] = "results" if view == "results" else "activity"
    if with_blocks or previous is None or (previous.get("activity") or {}).get("id") != act.id:
        out["results"], out["blocks"] = await _plugin_view(w, act.id)
    else:
        out["results"], out["blocks"] = previous.get("results", "none"), previous.get("blocks")
    return out
