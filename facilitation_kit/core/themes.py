"""Themes: the facilitator's groups of an activity's contributions (docs/themes.md).

A theme is a row of the ``themes`` table (journalled like every table)::

    {"id": "t-…", "activity": A, "label": TEXT, "contributions": [[participant, id], …],
     "confirmed": bool, "created_at": ISO}

Each contribution with words is in at most one theme. Only **confirmed** themes leave
the facilitator's screen: the room's screen, the report, and the items of an activity
that takes them (agenda ``from = "<activity id>"`` with ``from_themes = true``). A
contribution withdrawn or erased since drops out of every view of a theme.

A contribution's **words** are the answers of its form's text fields and nothing else
(:func:`text_answers`): the host records each activity's text field names in its row of
the ``activities`` table (``text_fields``) when it first builds the form, so the TUI and
the report, which never run plugin code, know them too.

This module computes the operations of each change (:func:`create`, :func:`rename`, …)
and answers the queries; the engine stores the operations (``Workshop.theme_*``).
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Iterable, Mapping, Sequence

from .activity import Item
from .forms import TextField, clean_text
from .ops import Op, delete, put
from .record import utc_iso
from .state import WorkshopState, contribution_key

__all__ = ["ThemeError", "LABEL_MAX", "MAX_THEMES", "themes_of", "theme_members", "create", "rename",
           "merge", "move", "ungroup", "confirm", "theme_items", "export_theme_items", "theme_summary",
           "drop_participant", "text_field_names", "text_fields", "export_text_fields", "text_answers",
           "words_of", "words"]

LABEL_MAX = 80
#: A choice's value (``value_missed``, ``worker``), not words someone wrote: the guess
#: :func:`text_answers` falls back on for sessions recorded without their text fields.
_CHOICE_VALUE = re.compile(r"[a-z0-9_\-]+")
#: Themes per activity.
MAX_THEMES = 500


class ThemeError(Exception):
    """A theme command cannot be done; ``code`` is the protocol error code."""

    def __init__(self, code: str, message: str):
        self.code, self.message = code, message
        super().__init__(f"{code}: {message}")


# -- queries ------------------------------------------------------------------------------
def themes_of(state: WorkshopState, activity_id: str, *, confirmed_only: bool = False) -> list[dict[str, Any]]:
    """An activity's themes, oldest first."""
    rows = [t for t in state.tables["themes"].values() if t.get("activity") == activity_id
            and (t.get("confirmed") or not confirmed_only)]
    rows.sort(key=lambda t: (t.get("created_at") or "", t.get("n", 0), t["id"]))
    return rows


def theme_members(state: WorkshopState, theme: Mapping[str, Any], *,
                  include_hidden: bool = False) -> list[dict[str, Any]]:
    """A theme's contributions as ``WorkshopState.contributions`` gives them (with
    ``role``): withdrawn ones never, hidden ones on request."""
    out = []
    for pid, cid in theme.get("contributions") or ():
        doc = state.contribution(pid, cid)
        if doc is None or doc.get("withdrawn") or (doc.get("hidden") and not include_hidden):
            continue
        out.append({**state.contribution_view(doc), "role": state.role_of(pid)})
    return out


def theme_items(state: WorkshopState, activity_id: str) -> list[Item]:
    """The items an activity with ``from = activity_id`` and ``from_themes = true`` gets:
    the confirmed themes (id: the theme's id, label: its label), one item per theme."""
    out = []
    for row in themes_of(state, activity_id, confirmed_only=True):
        count = len(theme_members(state, row))
        if count:
            out.append(Item(row["id"], row["label"]))
    return out


def text_field_names(form: Any) -> list[str]:
    """The names of a form's text fields (``TextField``, ``kind == "text"`` in the form's
    JSON), in form order: the fields whose answers are someone's own words."""
    return [f.name for f in getattr(form, "fields", ()) if isinstance(f, TextField)]


def _names(value: Any) -> list[str] | None:
    if isinstance(value, (list, tuple)) and all(isinstance(n, str) for n in value):
        return list(value)
    return None


def text_fields(state: WorkshopState, activity_id: str) -> list[str] | None:
    """The text fields the host recorded for an activity (``text_fields`` in its row of
    the ``activities`` table, written when its form was first built), or ``None`` for a
    session recorded before they were."""
    return _names((state.tables["activities"].get(activity_id) or {}).get("text_fields"))


def export_text_fields(export: Mapping[str, Any], activity_id: str) -> list[str] | None:
    """:func:`text_fields` from a JSON export (``text_fields`` of its ``activities``)."""
    row = next((a for a in export.get("activities") or () if a.get("id") == activity_id), None)
    return _names((row or {}).get("text_fields"))


def text_answers(data: Any, fields: Sequence[str] | None) -> list[str]:
    """A contribution's own words: the answers of its form's text fields ``fields``, in
    form order, stripped, empty ones left out. Choices, ratings and dots are never words,
    even when a choice is stored as a readable name (a stakeholder "Manager", a role).

    The one rule for what someone wrote: the Themes view, theme suggestions, the room's
    screen, starred quotes and the report all use it. ``fields`` is ``None`` only for a
    session recorded before activities recorded their text fields; there, and only there,
    the old guess stands in: every text value that does not look like a choice's id
    (``value_missed``), which also takes a choice stored as a readable name for words."""
    if isinstance(data, str):
        return [data.strip()] if data.strip() else []
    if not isinstance(data, Mapping):
        return []
    if fields is None:
        values = [v for v in data.values() if isinstance(v, str) and not _CHOICE_VALUE.fullmatch(v)]
    else:
        values = [data.get(name) for name in fields]
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


def words_of(data: Any, fields: Sequence[str] | None) -> str:
    """:func:`text_answers`, one per line."""
    return "\n".join(text_answers(data, fields))


def words(state: WorkshopState, contribution: Mapping[str, Any]) -> str:
    """A stored contribution's own words (:func:`words_of` with its activity's recorded
    text fields)."""
    return words_of(contribution.get("data"), text_fields(state, contribution.get("activity")))


# -- checks -------------------------------------------------------------------------------
def _label(label: Any) -> str:
    if not isinstance(label, str):
        raise ThemeError("bad_message", "label must be text")
    cleaned = clean_text(label[: LABEL_MAX * 4], multiline=False)[:LABEL_MAX].strip()
    if not cleaned:
        raise ThemeError("invalid", f"a theme needs a label of 1 to {LABEL_MAX} characters")
    return cleaned


def _theme(state: WorkshopState, theme_id: Any) -> dict[str, Any]:
    row = state.tables["themes"].get(theme_id) if isinstance(theme_id, str) else None
    if row is None:
        raise ThemeError("unknown_theme", "no such theme")
    return row


def _refs(state: WorkshopState, activity_id: str, refs: Any) -> list[list[str]]:
    """``[{"participant": P, "id": ID}, …]`` checked: contributions of the activity, with
    words, each once."""
    if not isinstance(refs, list) or not refs or len(refs) > 10_000:
        raise ThemeError("bad_message", "contributions must be a list of 1 to 10000 {participant, id}")
    out, seen = [], set()
    for ref in refs:
        if not isinstance(ref, Mapping) or not isinstance(ref.get("participant"), str) \
                or not isinstance(ref.get("id"), str):
            raise ThemeError("bad_message", "each contribution is {\"participant\": P, \"id\": ID}")
        doc = state.contribution(ref["participant"], ref["id"])
        if doc is None or doc.get("withdrawn") or doc.get("activity") != activity_id:
            raise ThemeError("unknown_contribution", f"no contribution {ref['id'][:40]!r} of that "
                                                     "participant in this activity")
        if not words(state, doc):
            raise ThemeError("invalid", "only contributions with words can be grouped")
        key = (ref["participant"], ref["id"])
        if key not in seen:
            seen.add(key)
            out.append(list(key))
    return out


def _without(state: WorkshopState, activity_id: str, refs: Iterable[Sequence[str]],
             keep: str | None = None) -> list[Op]:
    """Operations taking ``refs`` out of the activity's other themes (one theme each)."""
    taken = {tuple(r) for r in refs}
    ops: list[Op] = []
    for row in themes_of(state, activity_id):
        if row["id"] == keep:
            continue
        left = [r for r in row["contributions"] if tuple(r) not in taken]
        if len(left) != len(row["contributions"]):
            ops.append(put("themes", row["id"], {**row, "contributions": left}))
    return ops


# -- changes: each returns (operations, the theme as it will be) ----------------------------
def create(state: WorkshopState, activity_id: str, label: Any, refs: Any,
           confirmed: bool = False) -> tuple[list[Op], dict[str, Any]]:
    if len(themes_of(state, activity_id)) >= MAX_THEMES:
        raise ThemeError("too_many", f"an activity has at most {MAX_THEMES} themes")
    label = _label(label)
    members = _refs(state, activity_id, refs)
    theme_id = "t-" + secrets.token_hex(5)
    while theme_id in state.tables["themes"]:
        theme_id = "t-" + secrets.token_hex(5)
    n = 1 + max((t.get("n", 0) for t in state.tables["themes"].values()), default=0)  # order within a second
    row = {"id": theme_id, "activity": activity_id, "label": label, "contributions": members,
           "confirmed": bool(confirmed), "created_at": utc_iso(), "n": n}
    return [*_without(state, activity_id, members), put("themes", theme_id, row)], row


def rename(state: WorkshopState, theme_id: Any, label: Any) -> tuple[list[Op], dict[str, Any]]:
    row = {**_theme(state, theme_id), "label": _label(label)}
    return [put("themes", row["id"], row)], row


def merge(state: WorkshopState, theme_id: Any, into: Any) -> tuple[list[Op], dict[str, Any]]:
    """``theme_id``'s contributions join ``into``; ``theme_id`` is gone."""
    source, target = _theme(state, theme_id), _theme(state, into)
    if source["id"] == target["id"]:
        raise ThemeError("invalid", "a theme cannot be merged into itself")
    if source["activity"] != target["activity"]:
        raise ThemeError("invalid", "both themes must be of the same activity")
    have = {tuple(r) for r in target["contributions"]}
    row = {**target, "contributions": target["contributions"]
           + [r for r in source["contributions"] if tuple(r) not in have]}
    return [delete("themes", source["id"]), put("themes", row["id"], row)], row


def move(state: WorkshopState, refs: Any, theme_id: Any, activity_id: Any = None
         ) -> tuple[list[Op], dict[str, Any] | None]:
    """Move contributions into ``theme_id`` (out of any other theme), or out of every
    theme of ``activity_id`` when ``theme_id`` is None."""
    if theme_id is None:
        if not isinstance(activity_id, str) or state.agenda.activity(activity_id) is None:
            raise ThemeError("bad_message", "to take contributions out of their themes, name the activity")
        return _without(state, activity_id, _refs(state, activity_id, refs)), None
    target = _theme(state, theme_id)
    members = _refs(state, target["activity"], refs)
    have = {tuple(r) for r in target["contributions"]}
    row = {**target, "contributions": target["contributions"] + [r for r in members if tuple(r) not in have]}
    return [*_without(state, target["activity"], members, keep=row["id"]), put("themes", row["id"], row)], row


def ungroup(state: WorkshopState, theme_id: Any) -> tuple[list[Op], dict[str, Any]]:
    row = _theme(state, theme_id)
    return [delete("themes", row["id"])], row


def confirm(state: WorkshopState, theme_id: Any, confirmed: bool = True) -> tuple[list[Op], dict[str, Any]]:
    row = {**_theme(state, theme_id), "confirmed": bool(confirmed)}
    return [put("themes", row["id"], row)], row


def drop_participant(state: WorkshopState, participant_id: str) -> list[Op]:
    """Operations taking an erased participant's contributions out of every theme."""
    ops: list[Op] = []
    for row in state.tables["themes"].values():
        left = [r for r in row.get("contributions") or () if r[0] != participant_id]
        if len(left) != len(row.get("contributions") or ()):
            ops.append(put("themes", row["id"], {**row, "contributions": left}))
    return ops


def suggestion_entries(state: WorkshopState, activity_id: str) -> list[tuple[str, str, str | None]]:
    """What ``suggest_themes`` clusters: ``(key, words, the phone's language)`` for each
    shown contribution of the activity with words."""
    out = []
    for c in state.contributions(activity_id):
        text = words(state, c)
        if text:
            lang = (state.tables["participants"].get(c["participant"]) or {}).get("lang")
            out.append((contribution_key(c["participant"], c["id"]), text, lang))
    return out


def _word_set(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\w+", text) if len(w) > 2}


def _confirmed_in_export(export: Mapping[str, Any], activity_id: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """An export's confirmed themes of one activity with their shown (not hidden, not
    withdrawn) contributions, oldest first; themes without any are left out (as
    :func:`theme_items` leaves them out live)."""
    shown = {(c.get("participant"), c.get("id")): c for c in export.get("contributions") or []
             if c.get("activity") == activity_id and not c.get("hidden") and not c.get("withdrawn")}
    out = []
    for theme in export.get("themes") or []:
        if theme.get("activity") != activity_id or not theme.get("confirmed"):
            continue
        members = [shown[tuple(r)] for r in theme.get("contributions") or () if tuple(r) in shown]
        if members:
            out.append((theme, members))
    return out


def export_theme_items(export: Mapping[str, Any], activity_id: str) -> list[Item]:
    """:func:`theme_items` read from a recorded session (the JSON export): what an
    activity with ``from = activity_id`` and ``from_themes = true`` was given, for the
    report."""
    return [Item(str(theme.get("id")), str(theme.get("label") or "")) for theme, _ in _confirmed_in_export(export, activity_id)]


def theme_summary(export: Mapping[str, Any], activity_id: str, roles: Sequence[str] = (),
                  min_group: int = 3, *, withheld: Iterable[tuple[str, str]] = ()) -> list[dict[str, Any]]:
    """The report's view of an activity's confirmed themes (from the JSON export): per
    theme its ``label``, ``count`` of shown contributions, ``by_role`` (role group →
    count, after the ``min_group`` rule: fk.role_groups) and ``quote``: a starred member's
    words if any, else the member sharing the most words with the others (its own words,
    never a name; never a member in ``withheld``, the ``(participant, id)`` of
    contributions whose plugin withholds their words, such as a story not to be quoted:
    ``""`` if every member is). Largest theme first."""
    withheld = set(withheld)
    from .activity import ActivityInfo
    from .roles import role_groups
    info = ActivityInfo(id=activity_id, plugin="", title="", prompt="", options={}, roles=tuple(roles),
                        min_group=min_group)
    fields = export_text_fields(export, activity_id)
    out = []
    for theme, members in _confirmed_in_export(export, activity_id):
        groups = role_groups(info, members)
        by_role: dict[str, int] = {}
        for c in members:
            group = groups.of(c)
            if group is not None:
                by_role[group] = by_role.get(group, 0) + 1
        quotable = [c for c in members if (c.get("participant"), c.get("id")) not in withheld]
        words = [words_of(c.get("data"), fields) for c in quotable]
        starred = [w for c, w in zip(quotable, words) if c.get("starred") and w]
        if starred:
            quote = starred[0]
        elif words:
            sets = [_word_set(w) for w in words]
            scores = [sum(len(a & b) / (len(a | b) or 1) for j, b in enumerate(sets) if j != i)
                      for i, a in enumerate(sets)]
            quote = words[max(range(len(words)), key=lambda i: (scores[i], -i))]
        else:
            quote = ""
        out.append({"id": theme.get("id"), "label": theme.get("label"), "count": len(members),
                    "by_role": {r: by_role[r] for r in groups.order if r in by_role}, "quote": quote})
    out.sort(key=lambda t: -t["count"])
    return out
