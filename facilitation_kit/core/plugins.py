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
import threading
import time
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .activity import ActivityType

log = logging.getLogger("facilitation_kit.core.plugins")

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
        """JSON-able description of the loaded plugins (``facilitation-kit plugins``).

        Each entry has ``name`` (the entry-point name), ``package`` and ``version`` (of
        the distribution), ``builtin``, ``hooks`` (the hooks it implements), ``activities``
        (the activity types it registered) and, when something went wrong, ``error``.
        A plugin that failed to load has no hooks and is left out when ``hook`` is given.
        """
        errors: dict[str, list[str]] = {}
        for problem in self.problems:
            errors.setdefault(problem.plugin, []).append(problem.message)
        out = []
        listed = set()
        for name, plugin in sorted(self.pm.list_name_plugin()):
            if plugin is None:
                continue
            listed.add(name)
            dist, version = self.origins.get(name, (None, None))
            builtin = dist == BUILTIN_DIST
            if builtin and not include_builtins:
                continue
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            if hook and hook not in hooks:
                continue
            entry = {
                "name": name,
                "package": dist,
                "version": version,
                "builtin": builtin,
                "hooks": hooks,
                "activities": sorted(n for n, r in self.activity_types.items() if r.plugin == name),
            }
            if name in errors:
                entry["error"] = "; ".join(errors[name])
            out.append(entry)
        if hook:
            return out
        for name, messages in errors.items():
            if name in listed:
                continue
            dist, version = self.origins.get(name, (None, None))
            if dist == BUILTIN_DIST and not include_builtins:
                continue
            out.append({"name": name, "package": dist, "version": version,
                        "builtin": dist == BUILTIN_DIST, "hooks": [], "activities": [],
                        "error": "; ".join(messages)})
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


#: Seconds a plugin's ``register_activities`` may take before it counts as hung.
REGISTER_TIMEOUT = 10.0


def tracing() -> bool:
    """Whether ``FACILITATION_KIT_TRACE_PLUGINS`` asks for hook calls to be traced."""
    return os.environ.get("FACILITATION_KIT_TRACE_PLUGINS", "").strip() not in ("", "0")


def trace(message: str) -> None:
    """Print one trace line to stderr when tracing is on (see :func:`tracing`)."""
    if tracing():
        print(f"[plugins] {message}", file=sys.stderr, flush=True)


def short_repr(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def load_plugins(extra: Iterable[tuple[str, object]] = (), *, entry_points_group: str = GROUP,
                 register_timeout: float | None = None) -> PluginHost:
    """Load the plugins named by entry points (and ``extra`` ``(name, plugin)`` pairs,
    e.g. from tests), then collect every registered activity type.

    Never raises because of a plugin: whatever goes wrong is recorded in
    :attr:`PluginHost.problems` with the plugin's name.
    """
    pm = make_plugin_manager()
    host = PluginHost(pm)
    env = os.environ.get("FACILITATION_KIT_LOAD_PLUGINS")
    only = None if env is None else {n.strip() for n in env.split(",") if n.strip()}
    found: set[str] = set()
    for ep in sorted(entry_points(group=entry_points_group), key=lambda e: e.name):
        found.add(ep.name)
        if not _wanted(ep, only) or pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        host.origins[ep.name] = (ep.dist.name if ep.dist else None, ep.dist.version if ep.dist else None)
        trace(f"loading {ep.name} = {ep.value} ({host.origins[ep.name][0] or 'no package'})")
        try:
            pm.register(ep.load(), name=ep.name)
        except Exception as exc:  # a broken plugin must not stop the workshop
            host.problems.append(PluginProblem(ep.name, f"failed to load: {type(exc).__name__}: {exc}"))
            log.info("skipping plugin %s: %s: %s", ep.name, type(exc).__name__, exc)
            trace(f"{ep.name} failed to load: {type(exc).__name__}: {exc}")
    for name in sorted((only or set()) - found):
        host.problems.append(PluginProblem(
            name, "named in FACILITATION_KIT_LOAD_PLUGINS but no installed package provides it"))
    for name, plugin in extra:
        host.origins.setdefault(name, (None, None))
        try:
            pm.register(plugin, name=name)
        except Exception as exc:
            host.problems.append(PluginProblem(name, f"failed to register: {type(exc).__name__}: {exc}"))
    _check_unknown_hooks(host)
    if tracing():
        _trace(pm)
    _collect_activity_types(host, REGISTER_TIMEOUT if register_timeout is None else register_timeout)
    return host


def _check_unknown_hooks(host: PluginHost) -> None:
    """A hook implementation without a spec is usually a typo: name it, keep the rest."""
    known = sorted(n for n in dir(hookspecs) if callable(getattr(hookspecs, n, None))
                   and hasattr(getattr(hookspecs, n), "facilitation_kit_spec"))
    for name in dir(host.pm.hook):
        caller = getattr(host.pm.hook, name)
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
            continue
        for impl in caller.get_hookimpls():
            host.problems.append(PluginProblem(
                impl.plugin_name, f"implements {name}, which is not a facilitation-kit hook "
                                  f"(a typo?); the hooks are: {', '.join(known)}"))


def _collect_activity_types(host: PluginHost, timeout: float) -> None:
    for impl in host.pm.hook.register_activities.get_hookimpls():
        plugin_name = impl.plugin_name
        dist, version = host.origins.get(plugin_name, (None, None))
        pending: list[ActivityType] = []
        closed = threading.Event()

        def register(activity_type: Any, _plugin=plugin_name, _pending=pending, _closed=closed) -> None:
            if _closed.is_set():
                return  # too late: the plugin already timed out
            problem = _check_activity_type(activity_type)
            if problem:
                host.problems.append(PluginProblem(_plugin, problem))
                return
            _pending.append(activity_type)

        started = time.perf_counter()
        trace(f"register_activities -> {plugin_name}")
        box = _run_with_timeout(lambda: impl.function(register=register), timeout,
                                f"facilitation-kit-register-{plugin_name}")
        closed.set()
        elapsed = (time.perf_counter() - started) * 1000
        if "timeout" in box:
            message = f"register_activities did not finish within {timeout:g} s"
        elif "error" in box:
            exc = box["error"]
            message = f"register_activities raised {type(exc).__name__}: {exc}"
        elif box.get("value") is not None:
            message = ("register_activities returned a value; call register(activity_type) "
                       "for each activity type instead")
        else:
            message = None
        if message:
            host.problems.append(PluginProblem(plugin_name, message))
            log.info("plugin %s: %s", plugin_name, message)
            trace(f"register_activities <- {plugin_name}: {message} ({elapsed:.1f} ms)")
            continue
        names = []
        for activity_type in pending:
            existing = host.activity_types.get(activity_type.name)
            if existing is not None:
                host.problems.append(PluginProblem(
                    plugin_name, f"activity {activity_type.name!r} is already registered by {existing.plugin}"))
                continue
            host.activity_types[activity_type.name] = Registered(activity_type, plugin_name, dist, version)
            names.append(activity_type.name)
        trace(f"register_activities <- {plugin_name}: registered {names} ({elapsed:.1f} ms)")


def _run_with_timeout(fn, timeout: float, thread_name: str) -> dict[str, Any]:
    """Run ``fn()`` in a daemon thread; ``{"value": …}``, ``{"error": exc}`` or
    ``{"timeout": True}`` if it does not finish in ``timeout`` seconds."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # contained: reported as the plugin's problem
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, daemon=True, name=thread_name).start()
    if not done.wait(timeout):
        return {"timeout": True}
    return box


def _check_activity_type(obj: Any) -> str | None:
    if isinstance(obj, type) and issubclass(obj, ActivityType):
        return f"registered the class {obj.__name__}; register an instance: register({obj.__name__}())"
    if not isinstance(obj, ActivityType):
        return f"registered {type(obj).__name__!s}, which is not an ActivityType"
    if not isinstance(obj.name, str) or not obj.name.isidentifier():
        return f"{type(obj).__name__}.name must be an identifier, not {obj.name!r}"
    return None


def _trace(pm: pluggy.PluginManager) -> None:
    """Trace hooks called through ``pm.hook`` (the host calls most implementations one by
    one and traces them with :func:`trace`)."""
    def before(hook_name, hook_impls, kwargs):
        trace(f"{hook_name} -> {[i.plugin_name for i in hook_impls]} with {sorted(kwargs)}")

    def after(outcome, hook_name, hook_impls, kwargs):
        exc = outcome.exception
        trace(f"{hook_name} <- " + (f"raised {type(exc).__name__}: {exc}" if exc
                                    else short_repr(outcome.get_result())))

    pm.add_hookcall_monitoring(before, after)
