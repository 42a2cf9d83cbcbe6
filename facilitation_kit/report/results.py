"""Results of a workshop: from the host's JSON export to each activity's summary.

:func:`activity_info` turns one agenda activity (its JSON form) into the
:class:`~facilitation_kit.core.activity.ActivityInfo` plugins receive; the live host uses it
too. :func:`session_results` runs every activity's plugin over the export: items carried
over with ``from``, then ``summarise`` and ``report``, each call contained so that a
plugin that raises, hangs or returns garbage costs its own activity an ``{"error": …}``
and nothing else. Hidden contributions never reach a plugin.

The helpers at the end (:func:`role_of`, :func:`role_order`, :func:`mean`,
:func:`latest_per_participant`) are what the built-in activities share to split results
by role.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..core.roles import NO_ROLE, latest_per_participant, mean, role_of, role_order  # noqa: F401
from ..core.activity import (
    ActivityInfo, ActivityType, Item, OptionError, opaque_item, resolve_options, select_items, source_method,
)
from ..core.blocks import Block
from ..core.caller import PluginCaller, PluginFailure
from ..core.forms import Invalid
from ..core.themes import export_theme_items
from ..core import i18n

__all__ = ["activity_info", "session_results", "contributions_for", "NO_ROLE", "role_of",
           "role_order", "mean", "latest_per_participant", "PluginCallError"]

#: Seconds a plugin method may take in :func:`session_results` before it counts as hung.
CALL_TIMEOUT = 10.0


class PluginCallError(Exception):
    """A plugin method raised, hung or returned something it should not have."""


def activity_info(agenda_activity_json: Mapping[str, Any], *, roles: Sequence[str],
                  items: Iterable[Item] = (), state: str = "closed",
                  language: str = "en", min_group: int = 3, lang: str | None = None) -> ActivityInfo:
    """The :class:`ActivityInfo` of one agenda activity in its JSON form
    (``Agenda.to_json()["activities"][i]``, as found in an export); with ``lang``, its
    texts in that language where the agenda gives them (``texts``)."""
    a = agenda_activity_json
    texts = a.get("texts") if isinstance(a.get("texts"), dict) else {}

    def own(key: str, default: str) -> str:
        value = str(a.get(key) or default)
        return i18n.text(texts[key], lang, language) if lang and isinstance(texts.get(key), dict) else value

    return ActivityInfo(
        id=str(a["id"]), plugin=str(a["plugin"]), title=own("title", str(a["id"])),
        prompt=own("prompt", ""), options=dict(a.get("options") or {}),
        roles=tuple(roles), items=tuple(items), source=a.get("from"),
        notes=own("notes", ""), language=language, state=state, min_group=min_group,
        lang=i18n.base(lang) if lang else "")


def contributions_for(export: Mapping[str, Any], activity_id: str) -> list[dict[str, Any]]:
    """The activity's contributions as plugins receive them: hidden ones left out, each
    with the contributor's ``role`` (from the contribution, else the participant)."""
    roles = {p.get("id"): p.get("role") for p in export.get("participants", [])}
    out = []
    for c in export.get("contributions", []):
        if c.get("activity") != activity_id or c.get("hidden"):
            continue
        role = c["role"] if "role" in c else roles.get(c.get("participant"))
        out.append({"id": c.get("id"), "participant": c.get("participant"),
                    "activity": activity_id, "data": c.get("data"),
                    "created_at": c.get("created_at"), "role": role})
    out.sort(key=lambda c: str(c.get("created_at") or ""))
    return out


def session_results(export: Mapping[str, Any], plugins, *, lang: str | None = None) -> dict[str, dict[str, Any]]:
    """Every activity's results, keyed by activity id, in agenda order.

    A break or an input (``kind`` in the agenda) gets only ``title``, ``kind`` and ``state``.
    Every other value has ``title``, ``plugin``, ``state``, ``info`` (the ActivityInfo),
    ``contributions`` (what the plugin was given), ``skipped`` (contributions whose data
    no longer fits the form) and ``visible`` (the plugin's ``results_visible``), then
    either ``summary`` (from ``summarise``), ``blocks`` (from ``report``), ``items``
    (offered to later activities) and ``findings`` (from ``findings``, checked; none while
    the results are hidden), or ``error`` with a sentence saying what went wrong.
    """
    session = export.get("session") or {}
    agenda = export.get("agenda") or {}
    roles = tuple(session.get("roles") or agenda.get("roles") or ())
    language = session.get("language") or agenda.get("language") or "en"
    states = {a.get("id"): a.get("state", "pending") for a in export.get("activities", [])}
    offered: dict[str, tuple[Item, ...]] = {}
    legacy: dict[str, dict[str, str]] = {}  # per source: its items' own ids -> hashed ids
    ranked: dict[str, tuple[Item, ...]] = {}  # the same, in the order of the source's results (for top)
    results: dict[str, dict[str, Any]] = {}
    caller = PluginCaller(timeout=CALL_TIMEOUT)  # one for the whole report: a hung plugin cools down
    call = lambda fn, *args: _call(fn, *args, caller=caller)  # noqa: E731
    for spec in agenda.get("activities", []):
        act_id = spec["id"]
        entry: dict[str, Any] = {"title": spec.get("title") or act_id, "plugin": spec.get("plugin"),
                                 "state": states.get(act_id, "pending"), "contributions": [],
                                 "skipped": 0, "visible": True}
        results[act_id] = entry
        if spec.get("kind"):  # a break or an input: in the outline, with no results of its own
            entry["kind"] = spec["kind"]
            texts = spec.get("texts") if isinstance(spec.get("texts"), dict) else {}
            if lang and isinstance(texts.get("title"), dict):
                entry["title"] = i18n.text(texts["title"], lang, language)
            continue
        registered = plugins.activity_type(spec.get("plugin"))
        if registered is None:
            entry["error"] = f"the activity plugin {spec.get('plugin')!r} is not installed"
            continue
        atype: ActivityType = registered.activity_type
        source = spec.get("from")
        try:
            options = resolve_options(atype.options, spec.get("options") or {})
        except OptionError as exc:
            entry["error"] = f"{spec.get('plugin')}: option {exc.option!r}: {exc}"
            continue
        spec = {**spec, "options": options}
        top = spec.get("top")
        if source and spec.get("from_themes"):  # the source's confirmed themes, as the live host gives them
            taken = export_theme_items(export, source)
        else:
            taken = select_items((ranked if top else offered).get(source, ()), top, spec.get("from_kinds") or ())
        info = activity_info(spec, roles=roles, items=taken if source else (),
                             state=entry["state"], language=language,
                             min_group=int(agenda.get("min_group") or 3), lang=lang)
        entry["info"] = info
        given = contributions_for(export, act_id)
        if source and not spec.get("from_themes") and legacy.get(source):  # recorded before item ids were hashed
            given = [{**c, "data": _renamed(c["data"], legacy[source])} for c in given]
            entry["given"] = given  # what the report lists, read with the same ids
        entry["title"] = info.title
        try:
            contributions, skipped = _fitting(atype, info, given, caller)
            entry["contributions"], entry["skipped"] = contributions, skipped
            entry["visible"] = bool(call(atype.results_visible, info))
            summary = call(atype.summarise, info, contributions)
            _check_json(summary, "summarise")
            items = call(atype.items, info, contributions)
            if not isinstance(items, (list, tuple)) or not all(isinstance(i, Item) for i in items):
                raise PluginCallError("items() must return a list of Item")
            in_order = (call(atype.ranked_items, info, contributions)
                        if source_method(atype, 1) == "ranked_items" else items)
            if not isinstance(in_order, (list, tuple)) or not all(isinstance(i, Item) for i in in_order):
                raise PluginCallError("ranked_items() must return a list of Item")
            blocks = call(atype.report, info, summary, contributions)
            if not isinstance(blocks, (list, tuple)) or not all(isinstance(b, Block) for b in blocks):
                raise PluginCallError("report() must return a list of report blocks")
        except PluginCallError as exc:
            entry["error"] = f"{spec.get('plugin')}: {exc}"
            continue
        entry.update(summary=summary, blocks=list(blocks), items=list(items),
                     findings=_findings(atype, info, summary, caller) if entry["visible"] else [])
        # as the live host hands them on: ids hashed, so later activities' data maps back
        salt = str(session.get("id") or "")
        offered[act_id] = tuple(opaque_item(i, salt) for i in items)
        ranked[act_id] = tuple(opaque_item(i, salt) for i in in_order)
        legacy[act_id] = {raw.id: new.id for raw, new in zip(items, offered[act_id])}
    return results


def _renamed(data: Any, ids: Mapping[str, str]) -> Any:
    """Data stored before item ids were hashed names items by their source's own ids (a
    vote's keys, a chosen item): map those to the hashed ids the activity is given now."""
    if isinstance(data, dict):
        return {ids.get(k, k) if isinstance(k, str) else k: _renamed(v, ids) for k, v in data.items()}
    if isinstance(data, list):
        return [_renamed(v, ids) for v in data]
    return ids.get(data, data) if isinstance(data, str) else data


def _findings(atype: ActivityType, info: ActivityInfo, summary: Any, caller: PluginCaller) -> list[dict[str, Any]]:
    """The plugin's :meth:`ActivityType.findings`, checked: a list of ``{"text", "size",
    "item", "roles"}``; a plugin whose findings fail or do not fit gives none (its
    results still stand)."""
    method = getattr(atype, "findings", None)
    if method is None:
        return []
    try:
        found = _call(method, info, summary, caller=caller)
    except PluginCallError:
        return []
    out = []
    for f in found if isinstance(found, (list, tuple)) else []:
        if not isinstance(f, Mapping) or not isinstance(f.get("text"), str) or not f["text"].strip():
            continue
        size = f.get("size")
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0 <= size < float("inf"):
            continue
        roles = f.get("roles") or []
        out.append({"text": f["text"], "size": float(size),
                    "item": f.get("item") if isinstance(f.get("item"), str) else None,
                    "roles": [str(r) for r in roles] if isinstance(roles, (list, tuple)) else []})
    return out


def _fitting(atype: ActivityType, info: ActivityInfo, contributions: list[dict[str, Any]],
             caller: PluginCaller | None = None):
    """Keep the contributions whose data fits the activity's form (an export may come
    from an older agenda); count the others."""
    form = _call(atype.form, info, caller=caller)
    kept, skipped = [], 0
    for c in contributions:
        try:
            kept.append({**c, "data": form.validate(c["data"])})
        except Invalid:
            skipped += 1
    return kept, skipped


def _call(fn: Callable[..., Any], *args: Any, timeout: float | None = None,
          caller: PluginCaller | None = None) -> Any:
    """Call a plugin method through the plugin caller's synchronous entry point (a worker
    thread, awaiting what it returns if awaitable, the one timeout); raise
    :class:`PluginCallError` if it raises or does not finish in time."""
    name = getattr(fn, "__name__", None) or "a plugin method"
    owner = getattr(fn, "__self__", None)
    key = getattr(owner, "name", None) or name
    caller = caller or PluginCaller(timeout=CALL_TIMEOUT)
    try:
        return caller.call_sync(key, f"{key}.{name}", fn, *args,
                                timeout=CALL_TIMEOUT if timeout is None else timeout)
    except PluginFailure as exc:
        if exc.timed_out:
            raise PluginCallError(f"{name}() did not finish in time") from None
        error = exc.__cause__
        raise PluginCallError(f"{name}() failed: {type(error).__name__}: {error}") from error
    except (Invalid, OptionError) as exc:  # a plugin refusing its own input here is a failure too
        raise PluginCallError(f"{name}() failed: {type(exc).__name__}: {exc}") from exc


def _check_json(value: Any, what: str) -> None:
    if not isinstance(value, dict):
        raise PluginCallError(f"{what}() must return a dict, not {type(value).__name__}")
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise PluginCallError(f"{what}() returned data that is not JSON: {exc}") from None
