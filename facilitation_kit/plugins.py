"""Loading plugins and the activity types they register.

Built-in activities live in ``plugins/facilitation_kit_plugins`` and are listed under
the same ``facilitation_kit`` entry-point group as any third-party package, so they load
through the same door. A plugin that fails to import or to register is recorded in
:attr:`PluginHost.problems` and skipped: it costs its own activities, not the workshop.

Environment:

``FACILITATION_KIT_LOAD_PLUGINS``
    Comma-separated entry-point names of third-party plugins to load; an empty value
    loads only the built-ins. Unset: load everything installed.
``FACILITATION_KIT_TRACE_PLUGINS``
    Set to ``1`` to log every hook call, its arguments and results to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .activity import ActivityType

log = logging.getLogger("facilitation_kit.plugins")

GROUP = "facilitation_kit"
BUILTIN_DIST = "facilitation-kit"


@dataclass
class PluginProblem:
    plugin: str
    message: str

    def __str__(self) -> str:
        return f"{self.plugin}: {self.message}"


@dataclass
class Registered:
    """An activity type and the plugin it came from."""

    activity_type: ActivityType
    plugin: str
    dist: str | None
    version: str | None

    @property
    def builtin(self) -> bool:
        return self.dist == BUILTIN_DIST


@dataclass
class PluginHost:
    """The plugin manager plus what it loaded."""

    pm: pluggy.PluginManager
    activity_types: dict[str, Registered] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)
    origins: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)

    def activity_type(self, name: str) -> Registered | None:
        return self.activity_types.get(name)

    def plugin_names(self) -> list[str]:
        return [name for name, plugin in self.pm.list_name_plugin() if plugin is not None]

    def describe(self, include_builtins: bool = True, hook: str | None = None) -> list[dict[str, Any]]:
        """JSON-able description of the loaded plugins (``facilitation-kit plugins``)."""
        out = []
        for name, plugin in sorted(self.pm.list_name_plugin()):
            if plugin is None:
                continue
            dist, version = self.origins.get(name, (None, None))
            builtin = dist == BUILTIN_DIST
            if builtin and not include_builtins:
                continue
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            if hook and hook not in hooks:
                continue
            out.append({
                "name": name,
                "package": dist,
                "version": version,
                "builtin": builtin,
                "hooks": hooks,
                "activities": sorted(n for n, r in self.activity_types.items() if r.plugin == name),
            })
        for problem in self.problems:
            dist, version = self.origins.get(problem.plugin, (None, None))
            if hook or (dist == BUILTIN_DIST and not include_builtins):
                continue
            out.append({"name": problem.plugin, "package": dist, "version": version,
                        "builtin": dist == BUILTIN_DIST, "hooks": [], "activities": [],
                        "error": problem.message})
        return out


def make_plugin_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(GROUP)
    pm.add_hookspecs(hookspecs)
    return pm


def _wanted(ep: EntryPoint, only: set[str] | None) -> bool:
    dist = ep.dist.name if ep.dist else None
    if dist == BUILTIN_DIST:
        return True
    return only is None or ep.name in only


def load_plugins(extra: Iterable[tuple[str, object]] = (), *, entry_points_group: str = GROUP) -> PluginHost:
    """Load the plugins named by entry points (and ``extra`` ``(name, module)`` pairs,
    e.g. from tests), then collect every registered activity type."""
    pm = make_plugin_manager()
    host = PluginHost(pm)
    env = os.environ.get("FACILITATION_KIT_LOAD_PLUGINS")
    only = None if env is None else {n.strip() for n in env.split(",") if n.strip()}
    for ep in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
        if not _wanted(ep, only) or pm.get_plugin(ep.name) is not None:
            continue
        host.origins[ep.name] = (ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not stop the workshop
            host.problems.append(PluginProblem(ep.name, f"failed to load: {type(exc).__name__}: {exc}"))
            log.warning("skipping plugin %s: %s", ep.name, exc)
    for name, module in extra:
        host.origins.setdefault(name, (None, None))
        try:
            pm.register(module, name=name)
        except Exception as exc:
            host.problems.append(PluginProblem(name, f"failed to register: {exc}"))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        host.problems.append(PluginProblem(getattr(exc, "plugin_name", "?"), str(exc)))
    if os.environ.get("FACILITATION_KIT_TRACE_PLUGINS"):
        _trace(pm)
    _collect_activity_types(host)
    return host


def _collect_activity_types(host: PluginHost) -> None:
    for impl in host.pm.hook.register_activities.get_hookimpls():
        plugin_name = impl.plugin_name
        dist, version = host.origins.get(plugin_name, (None, None))

        def register(activity_type: Any, _plugin=plugin_name, _dist=dist, _version=version) -> None:
            problem = _check_activity_type(activity_type)
            if problem:
                host.problems.append(PluginProblem(_plugin, problem))
                return
            existing = host.activity_types.get(activity_type.name)
            if existing is not None:
                host.problems.append(PluginProblem(
                    _plugin, f"activity {activity_type.name!r} is already registered by {existing.plugin}"))
                return
            host.activity_types[activity_type.name] = Registered(activity_type, _plugin, _dist, _version)

        try:
            impl.function(register=register)
        except Exception as exc:
            host.problems.append(PluginProblem(plugin_name, f"register_activities raised {type(exc).__name__}: {exc}"))


def _check_activity_type(obj: Any) -> str | None:
    if isinstance(obj, type) and issubclass(obj, ActivityType):
        return f"registered the class {obj.__name__}; register an instance: register({obj.__name__}())"
    if not isinstance(obj, ActivityType):
        return f"registered {type(obj).__name__!s}, which is not an ActivityType"
    if not isinstance(obj.name, str) or not obj.name.isidentifier():
        return f"{type(obj).__name__}.name must be an identifier, not {obj.name!r}"
    return None


def _trace(pm: pluggy.PluginManager) -> None:
    def before(hook_name, hook_impls, kwargs):
        print(f"[plugins] {hook_name} -> {[i.plugin_name for i in hook_impls]} {sorted(kwargs)}",
              file=sys.stderr)

    def after(outcome, hook_name, hook_impls, kwargs):
        print(f"[plugins] {hook_name} returned {outcome.get_result()!r:.200}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)
