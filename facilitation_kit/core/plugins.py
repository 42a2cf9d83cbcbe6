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

``load_plugins(plugins_dir=DIR)`` (``--plugins-dir DIR`` on the command line) also loads
every ``.py`` file in DIR as a plugin module named after the file, as datasette does:
a one-file plugin can be tried without packaging it. :func:`explain` is
``facilitation-kit plugins --why NAME``: where a plugin was looked for and what was found.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, distributions, entry_points
from pathlib import Path
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .activity import ActivityType, option_problems
from .caller import PluginCaller, PluginFailure, short_repr, trace, tracing  # noqa: F401

log = logging.getLogger("facilitation_kit.core.plugins")

GROUP = "facilitation_kit"
BUILTIN_DIST = "facilitation-kit"


@dataclass
class PluginProblem:
    """Something wrong with a plugin: ``level`` is ``error`` (it lost an activity type or
    did not load) or ``warning`` (it loaded, but something looks like a mistake)."""

    plugin: str
    message: str
    traceback: str | None = None
    level: str = "error"
    #: The activity type the problem is about, when it is about one.
    activity: str | None = None

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
    #: Plugins loaded from ``--plugins-dir`` files: name → path.
    files: dict[str, Path] = field(default_factory=dict)
    plugins_dirs: list[Path] = field(default_factory=list)

    @property
    def errors(self) -> list[PluginProblem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[PluginProblem]:
        return [p for p in self.problems if p.level == "warning"]

    def problems_of(self, name: str) -> list[PluginProblem]:
        """The problems of a plugin, or of the activity type ``name``."""
        return [p for p in self.problems if p.plugin == name or p.activity == name]

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
        warnings: dict[str, list[str]] = {}
        for problem in self.problems:
            (warnings if problem.level == "warning" else errors).setdefault(
                problem.plugin, []).append(problem.message)
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
            if name in self.files:
                entry["file"] = str(self.files[name])
            if name in errors:
                entry["error"] = "; ".join(errors[name])
            if name in warnings:
                entry["warnings"] = warnings[name]
            out.append(entry)
        if hook:
            return out
        for name, messages in errors.items():
            if name in listed:
                continue
            dist, version = self.origins.get(name, (None, None))
            if dist == BUILTIN_DIST and not include_builtins:
                continue
            entry = {"name": name, "package": dist, "version": version,
                     "builtin": dist == BUILTIN_DIST, "hooks": [], "activities": [],
                     "error": "; ".join(messages)}
            if name in self.files:
                entry["file"] = str(self.files[name])
            out.append(entry)
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


def _dirs(plugins_dir: Any) -> list[Path]:
    if plugins_dir is None:
        return []
    if isinstance(plugins_dir, (str, os.PathLike)):
        return [Path(plugins_dir)]
    return [Path(d) for d in plugins_dir]


def _register(host: PluginHost, name: str, plugin: object, verb: str = "failed to register") -> None:
    try:
        host.pm.register(plugin, name=name)
    except Exception as exc:
        host.problems.append(PluginProblem(name, f"{verb}: {type(exc).__name__}: {exc}",
                                           traceback=traceback.format_exc()))
        return
    _check_unmarked_hooks(host, name, plugin)


def load_plugins(extra: Iterable[tuple[str, object]] = (), *, entry_points_group: str = GROUP,
                 register_timeout: float | None = None, plugins_dir: Any = None) -> PluginHost:
    """Load the plugins named by entry points, the ``.py`` files of ``plugins_dir`` (a
    folder or a list of folders) and ``extra`` ``(name, plugin)`` pairs (e.g. from
    tests), then collect every registered activity type.

    Never raises because of a plugin: whatever goes wrong is recorded in
    :attr:`PluginHost.problems` with the plugin's name (and the traceback).
    """
    pm = make_plugin_manager()
    host = PluginHost(pm, plugins_dirs=_dirs(plugins_dir))
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
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not stop the workshop
            host.problems.append(PluginProblem(ep.name, f"failed to load: {type(exc).__name__}: {exc}",
                                               traceback=traceback.format_exc()))
            log.info("skipping plugin %s: %s: %s", ep.name, type(exc).__name__, exc)
            trace(f"{ep.name} failed to load: {type(exc).__name__}: {exc}")
            continue
        _register(host, ep.name, plugin, "failed to load")
    for name in sorted((only or set()) - found):
        host.problems.append(PluginProblem(
            name, "named in FACILITATION_KIT_LOAD_PLUGINS but no installed package provides it "
                  f"(facilitation-kit plugins --why {name} says where it looked)"))
    for folder in host.plugins_dirs:
        _load_folder(host, folder)
    for name, plugin in extra:
        host.origins.setdefault(name, (None, None))
        _register(host, name, plugin)
    _check_unknown_hooks(host)
    if tracing():
        _trace(pm)
    _collect_activity_types(host, REGISTER_TIMEOUT if register_timeout is None else register_timeout)
    return host


def _load_folder(host: PluginHost, folder: Path) -> None:
    """Every ``*.py`` file of ``folder`` as a plugin module named after the file."""
    if not folder.is_dir():
        host.problems.append(PluginProblem(
            str(folder), f"--plugins-dir {folder}: no such folder" if not folder.exists()
            else f"--plugins-dir {folder}: not a folder"))
        return
    for path in sorted(folder.glob("*.py")):
        name = path.stem
        if name.startswith("_"):
            continue
        if host.pm.get_plugin(name) is not None:
            host.problems.append(PluginProblem(
                name, f"{path}: a plugin named {name!r} is already loaded; rename the file"))
            continue
        host.origins[name] = (None, None)
        host.files[name] = path
        trace(f"loading {name} from {path}")
        try:
            spec = importlib.util.spec_from_file_location(f"facilitation_kit_plugins_dir_{name}", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        except Exception as exc:
            host.problems.append(PluginProblem(name, f"failed to load {path}: {type(exc).__name__}: {exc}",
                                               traceback=traceback.format_exc()))
            trace(f"{name} failed to load: {type(exc).__name__}: {exc}")
            continue
        _register(host, name, module, "failed to load")


def hook_names() -> list[str]:
    """The names of facilitation-kit's hooks."""
    return sorted(n for n in dir(hookspecs) if callable(getattr(hookspecs, n, None))
                  and hasattr(getattr(hookspecs, n), "facilitation_kit_spec"))


def _check_unmarked_hooks(host: PluginHost, name: str, plugin: object) -> None:
    """A function named like a hook but without ``@hookimpl`` is never called: warn."""
    unmarked = []
    for hook in hook_names():
        fn = getattr(plugin, hook, None)
        if fn is None or not callable(fn) or isinstance(fn, type):
            continue
        if getattr(fn, f"{GROUP}_impl", None) is None:
            unmarked.append(hook)
    for hook in unmarked:
        host.problems.append(PluginProblem(
            name, f"{hook} has no @hookimpl, so facilitation-kit never calls it: put "
                  f"`@fk.hookimpl` on the line above `def {hook}` (import facilitation_kit as fk)",
            level="warning"))
    if not unmarked and not host.pm.get_hookcallers(plugin):
        host.problems.append(PluginProblem(
            name, "implements no facilitation-kit hook: an activity plugin needs "
                  "`@fk.hookimpl def register_activities(register): register(MyActivity())`",
            level="warning"))


def _check_unknown_hooks(host: PluginHost) -> None:
    """A hook implementation without a spec is usually a typo: name it, keep the rest."""
    known = hook_names()
    for name in dir(host.pm.hook):
        caller = getattr(host.pm.hook, name)
        if not isinstance(caller, pluggy.HookCaller) or caller.spec is not None:
            continue
        for impl in caller.get_hookimpls():
            host.problems.append(PluginProblem(
                impl.plugin_name, f"implements {name}, which is not a facilitation-kit hook "
                                  f"(a typo?); the hooks are: {', '.join(known)}"))


def _collect_activity_types(host: PluginHost, timeout: float) -> None:
    caller = PluginCaller(timeout=timeout)
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
                host.problems.append(PluginProblem(_plugin, problem,
                                                   activity=getattr(activity_type, "name", None)))
                return
            if callable(getattr(activity_type, "results_widget", None)):
                host.problems.append(PluginProblem(
                    _plugin, f"{type(activity_type).__name__}.results_widget is never called: the "
                             "terminal app draws the report() blocks the host computes (it runs no "
                             "plugin code); delete results_widget and put what it showed in report()",
                    activity=activity_type.name, level="warning"))
            _pending.append(activity_type)

        started = time.perf_counter()
        trace(f"register_activities -> {plugin_name}")
        message = tb = None
        try:
            value = caller.call_sync(plugin_name, "register_activities", impl.function, register=register)
        except PluginFailure as exc:
            if exc.timed_out:
                message = f"register_activities did not finish within {timeout:g} s"
            else:
                message, tb = str(exc), exc.traceback
        else:
            if value is not None:
                message = ("register_activities returned a value; call register(activity_type) "
                           "for each activity type instead")
        closed.set()
        elapsed = (time.perf_counter() - started) * 1000
        if message:
            host.problems.append(PluginProblem(plugin_name, message, traceback=tb))
            log.info("plugin %s: %s", plugin_name, message)
            trace(f"register_activities <- {plugin_name}: {message} ({elapsed:.1f} ms)")
            continue
        names = []
        for activity_type in pending:
            existing = host.activity_types.get(activity_type.name)
            if existing is not None:
                host.problems.append(PluginProblem(
                    plugin_name, f"activity {activity_type.name!r} is already registered by {existing.plugin}",
                    activity=activity_type.name))
                continue
            host.activity_types[activity_type.name] = Registered(activity_type, plugin_name, dist, version)
            names.append(activity_type.name)
        trace(f"register_activities <- {plugin_name}: registered {names} ({elapsed:.1f} ms)")


def _check_activity_type(obj: Any) -> str | None:
    if isinstance(obj, type) and issubclass(obj, ActivityType):
        return f"registered the class {obj.__name__}; register an instance: register({obj.__name__}())"
    if not isinstance(obj, ActivityType):
        return f"registered {type(obj).__name__!s}, which is not an ActivityType"
    cls = type(obj).__name__
    if not isinstance(obj.name, str) or not obj.name.isidentifier():
        return f"{cls}.name must be an identifier, not {obj.name!r}"
    if getattr(type(obj), "form", None) is ActivityType.form and "form" not in vars(obj):
        return (f"activity {obj.name!r}: {cls} has no form(): define `def form(self, activity): "
                "return fk.Form([...])` listing the fields participants fill in")
    problems = option_problems(obj.options)
    if problems:
        return f"activity {obj.name!r}: " + "; ".join(problems)
    return None


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def explain(name: str, *, plugins_dir: Any = None, group: str = GROUP) -> list[str]:
    """``facilitation-kit plugins --why NAME``: lines saying where the plugin (or activity
    type) ``name`` was looked for, what was found, and what to do about it."""
    host = load_plugins(plugins_dir=plugins_dir, entry_points_group=group)
    wanted = _normal(name)
    dists = list(distributions())
    in_group = []
    elsewhere = []  # (dist, group, entry point name) with the name in another group
    matching_dists = []
    for dist in dists:
        dist_name = dist.metadata["Name"] or "?"
        eps = list(dist.entry_points)
        ours = [ep for ep in eps if ep.group == group]
        if ours:
            in_group.append((dist_name, dist.version, ours))
        for ep in eps:
            if ep.group != group and _normal(ep.name) == wanted and ep.group not in ("console_scripts", "gui_scripts"):
                elsewhere.append((dist_name, ep))
        if wanted in _normal(dist_name) and not ours and dist_name != BUILTIN_DIST:
            matching_dists.append((dist_name, dist.version, eps))
    lines = [f"Looking for the plugin {name!r} with {sys.executable}:"]
    lines.append(f"- the entry-point group {group!r} of the {len(dists)} installed distributions; "
                 f"{len(in_group)} declare entry points in it:")
    for dist_name, version, eps in sorted(in_group, key=lambda d: d[0].lower()):
        lines.append(f"    {dist_name} {version}: " + ", ".join(f"{ep.name} = {ep.value}" for ep in eps))
    if host.plugins_dirs:
        for folder in host.plugins_dirs:
            files = sorted(p.name for p in folder.glob("*.py")) if folder.is_dir() else []
            state = "no such folder" if not folder.exists() else ", ".join(files) or "no .py files"
            lines.append(f"- --plugins-dir {folder}: {state}")
    else:
        lines.append("- no --plugins-dir was given (one-file plugins: --plugins-dir DIR loads DIR/*.py)")
    env = os.environ.get("FACILITATION_KIT_LOAD_PLUGINS")
    if env is not None:
        lines.append(f"- FACILITATION_KIT_LOAD_PLUGINS={env!r}: only these third-party plugins load")
    found = []
    registered = host.activity_types.get(name)
    if registered is not None:
        found.append(f"Found: {name!r} is an activity type registered by the plugin {registered.plugin!r}"
                     + (f" ({registered.dist} {registered.version})" if registered.dist else ""))
    plugin = host.pm.get_plugin(name)
    candidates = {n for n in host.origins if _normal(n) == wanted} | (
        {name} if plugin is not None else set())
    for plugin_name in sorted(candidates):
        dist, version = host.origins.get(plugin_name, (None, None))
        where = (f"the file {host.files[plugin_name]}" if plugin_name in host.files
                 else f"the distribution {dist} {version}" if dist else "the caller")
        loaded = host.pm.get_plugin(plugin_name)
        if loaded is not None:
            hooks = sorted(h.name for h in host.pm.get_hookcallers(loaded) or [])
            acts = sorted(n for n, r in host.activity_types.items() if r.plugin == plugin_name)
            found.append(f"Found: the plugin {plugin_name!r} in {where}: loaded; hooks: "
                         f"{', '.join(hooks) or 'none'}; activity types: {', '.join(acts) or 'none'}")
        else:
            found.append(f"Found: the plugin {plugin_name!r} in {where}, but it did not load")
    for problem in host.problems_of(name):
        found.append(f"{'Problem' if problem.level == 'error' else 'Warning'}: {problem}")
        if problem.traceback:
            found.extend("    " + line for line in problem.traceback.rstrip().splitlines())
    if env is not None and plugin is None and any(
            ep.name == name for _, _, eps in in_group for ep in eps):
        found.append(f"Hint: it is installed but FACILITATION_KIT_LOAD_PLUGINS does not name it: "
                     f"add {name} to it, or unset it to load every installed plugin")
    if not found:
        found.append(f"Not found: no plugin or activity type {name!r}.")
        for dist_name, ep in elsewhere:
            found.append(f"Hint: {dist_name} declares {ep.name} = {ep.value} in the entry-point group "
                         f"{ep.group!r}, not {group!r}: in its pyproject.toml write "
                         f"[project.entry-points.{group}] and reinstall it (pip install -e .)")
        for dist_name, version, eps in matching_dists:
            others = ", ".join(sorted({ep.group for ep in eps})) or "none"
            found.append(f"Hint: {dist_name} {version} is installed but declares no entry point in "
                         f"the group {group!r} (its entry-point groups: {others}). Add to its "
                         f"pyproject.toml:\n    [project.entry-points.{group}]\n"
                         f"    {_normal(name)} = \"your_module\"\n  and reinstall it (pip install -e .)")
        if not elsewhere and not matching_dists:
            found.append(f"Hint: install the plugin's package into the environment of {sys.executable} "
                         f"(pip install -e . in its folder), or pass --plugins-dir with the folder "
                         f"of a one-file plugin; `facilitation-kit plugins` lists what is loaded.")
    return lines + found


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
