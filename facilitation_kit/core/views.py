"""What phones see of an activity: its ACTIVITY frame and form, built by its plugin.

:class:`ActivityViews` builds an activity's :class:`~facilitation_kit.core.activity.ActivityInfo`
(with the items it takes ``from`` another activity) and its protocol ACTIVITY object,
through the plugin caller, and caches both until the activity or its source changes: a
submission must not cost a plugin call to rebuild the form.
"""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime
from typing import Any, Callable

from . import i18n
from .activity import ActivityInfo, Item, opaque_item, select_items, source_method
from .caller import PluginFailure
from .forms import Form
from .record import utc_iso
from .state import WorkshopState
from .themes import theme_items

__all__ = ["ActivityViews", "PluginFailure", "require_json", "step_until", "until_timestamp"]

log = logging.getLogger("facilitation_kit.core.views")


def require_json(value: Any, what: str) -> None:
    """Plugin data goes over the wire and into the journal as JSON: refuse what would
    not get there (a set, NaN, a lone surrogate, nesting too deep), as the store would,
    so that it is the plugin's failure and never a storage failure."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError) as exc:
        raise PluginFailure(f"{what} returned data that is not JSON: {exc}") from None


def step_until(act, st: dict[str, Any]) -> str | None:
    """A break's end as the room's clock shows it (``"HH:MM"``, the host's local time):
    from its timer while one runs, else the agenda's ``until``; None for other steps."""
    if act.kind != "break":
        return None
    if st.get("ends_at"):
        return time.strftime("%H:%M", time.localtime(st["ends_at"]))
    return act.until


def until_timestamp(until: str, now: float | None = None) -> float | None:
    """The next moment today that the host's clock shows ``"HH:MM"``; None if it has passed."""
    now = time.time() if now is None else now
    hours, minutes = (int(p) for p in until.split(":"))
    at = datetime.fromtimestamp(now).replace(hour=hours, minute=minutes, second=0, microsecond=0).timestamp()
    return at if at > now else None


class ActivityViews:
    """Activity infos and views, cached per activity version."""

    def __init__(self, state: WorkshopState, plugins, caller,
                 failed: Callable[[str, str, str], None],
                 built: Callable[[str, Form], None] | None = None):
        self.state = state
        self._built = built  # told each form freshly built (the engine records its text fields)
        self.plugins = plugins
        self.caller = caller
        self._failed = failed
        self._views = i18n.ViewCache()  # per activity, version and phone language
        self._infos: dict[str, tuple[int, ActivityInfo]] = {}
        self._versions: dict[str, int] = {}

    def invalidate(self, activity_id: str) -> None:
        self._versions[activity_id] = self._versions.get(activity_id, 0) + 1
        self._views.pop(activity_id, None)

    async def info(self, activity_id: str, lang: str | None = None) -> ActivityInfo:
        """The activity as its plugin sees it, for a phone in ``lang`` (not cached)."""
        agenda = self.state.agenda
        act = agenda.activity(activity_id)
        items: tuple[Item, ...] = ()
        if act.source and act.from_themes:
            items = tuple(theme_items(self.state, act.source))
        elif act.source:
            items = tuple(select_items(await self._items_of(act.source, act.top), act.top, act.from_kinds))
        info = ActivityInfo(
            id=act.id, plugin=act.plugin, title=act.title, prompt=act.prompt,
            options=dict(act.options), roles=tuple(agenda.roles), items=items,
            source=act.source, notes=act.notes, language=agenda.language,
            state=self.state.tables["activities"][act.id]["state"], min_group=agenda.min_group)
        return i18n.in_language(info, act, agenda, lang) if lang else info

    async def cached_info(self, activity_id: str, lang: str | None = None) -> ActivityInfo:
        """:meth:`info`, cached until the activity's state or its source changes."""
        version = self._versions.get(activity_id, 0)
        cached = self._infos.get(activity_id)
        if cached is not None and cached[0] == version:
            info = cached[1]
        else:
            info = await self.info(activity_id)
            if self._versions.get(activity_id, 0) == version:
                self._infos[activity_id] = (version, info)
        agenda = self.state.agenda
        return i18n.in_language(info, agenda.activity(activity_id), agenda, lang) if lang else info

    async def _items_of(self, activity_id: str, top: int | None = None) -> list[Item]:
        """A source's items (ranked, for ``top``: see ActivityType.ranked_items)."""
        act = self.state.agenda.activity(activity_id)
        registered = self.plugins.activity_type(act.plugin)
        if registered is None:
            return []
        info = await self.info(activity_id)
        method = source_method(registered.activity_type, top)
        try:
            items = await self.caller.call(registered.activity_type, method, info,
                                           self.state.contributions(activity_id))
            items = [i if isinstance(i, Item) else Item(str(i["id"]), str(i["label"])) for i in items or []]
            items = [opaque_item(i, self.state.session_id) for i in items]  # no author ids to phones
        except Exception as exc:
            self._failed(activity_id, act.plugin, f"{method}: {exc}")
            return []
        return items

    async def view_and_form(self, activity_id: str, lang: str | None = None
                            ) -> tuple[dict[str, Any], Form | None]:
        """The ACTIVITY object and the form for a phone in ``lang`` (default: the
        agenda's language), cached per activity version and language."""
        agenda = self.state.agenda
        lang = self.state.lang_of(lang)
        version = self._versions.get(activity_id, 0)
        cached = self._views.get(activity_id, version, lang)
        if cached is not None:
            return cached
        act = agenda.activity(activity_id)
        st = self.state.tables["activities"][activity_id]
        view: dict[str, Any] = {"id": act.id, "plugin": act.plugin,
                                "title": act.text("title", lang, agenda.language),
                                "prompt": act.text("prompt", lang, agenda.language), "state": st["state"],
                                "ends_at": utc_iso(st["ends_at"]) if st.get("ends_at") else None,
                                "form": {"fields": []}}
        form: Form | None = None
        if not act.collects:  # a break or an input: no plugin, no form (docs/protocol.md)
            view["kind"] = act.kind
            if act.kind == "break":
                view["until"] = step_until(act, st)
            if self._versions.get(activity_id, 0) == version:
                self._views.put(activity_id, version, lang, view, None)
            return view, None
        registered = self.plugins.activity_type(act.plugin)
        try:
            if registered is None:
                raise PluginFailure(f"the plugin {act.plugin!r} is not loaded")
            info = await self.cached_info(activity_id, lang)
            form = await self.caller.call(registered.activity_type, "form", info)
            if not isinstance(form, Form):
                raise PluginFailure(f"{act.plugin}.form returned {type(form).__name__}, not a Form")
            view["form"] = form.to_json()
            extras = await self.caller.call(registered.activity_type, "extras", info)
            if not isinstance(extras, dict):
                raise PluginFailure(f"{act.plugin}.extras returned {type(extras).__name__}, not a dict")
            require_json(extras, f"{act.plugin}.extras")
            for key, value in extras.items():
                view.setdefault(str(key), value)
        except Exception as exc:
            view["form"] = {"fields": []}
            view["error"] = "This activity is not available right now."
            self._failed(activity_id, act.plugin, str(exc))
            # do not cache a failure: the next call tries again
            return view, None
        if self._versions.get(activity_id, 0) == version:
            self._views.put(activity_id, version, lang, view, form)
        if self._built is not None:
            self._built(activity_id, form)
        return view, form
