"""The one way plugin code is called: :class:`PluginCaller`.

Everything a plugin provides runs through it: activity-type methods (the engine, the
report, the agenda's ``check_options``, the TUI's results widget), hook implementations
(``register_activities`` while loading, ``startup``, ``contribution_stored``) and
anything else. The rules are the same everywhere:

- a synchronous function runs in a worker thread, so one that blocks cannot stall the
  event loop; an ``async`` one is awaited on the loop;
- one timeout (``timeout`` seconds) for every call;
- a plugin that timed out gets a cool-down (``cooldown`` seconds) during which calls
  fail at once, and while a thread is still stuck in it new calls fail at once too;
- one plugin may use at most ``per_plugin`` worker threads at once;
- whatever it raises (except :class:`~facilitation_kit.core.forms.Invalid`, its way of
  refusing a submission) becomes a :class:`PluginFailure` naming the call, the
  exception type and message, and the log file that holds the traceback;
- an ``async`` call that holds the event loop longer than ``slow`` seconds in one step
  (a blocking call inside ``async def``) is reported through ``on_slow`` and logged.

:meth:`PluginCaller.call` and :meth:`PluginCaller.call_function` are for code on the event
loop; :meth:`PluginCaller.call_sync` is the same for code outside one (the report, loading
plugins, checking an agenda).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
import os
import sys
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from .activity import ActivityInfo, ActivityType, OptionError
from .forms import Invalid

__all__ = ["PluginCaller", "PluginFailure", "TRACEBACKS", "DEFAULT_TIMEOUT", "SLOW_STEP",
           "tracing", "trace", "short_repr"]

log = logging.getLogger("facilitation_kit.core.caller")
#: Plugin tracebacks are logged here, never to the terminal: the session's log file
#: (see :func:`facilitation_kit.host.logs.open_session_log`) is its only handler.
TRACEBACKS = logging.getLogger("facilitation_kit.plugin_tracebacks")
TRACEBACKS.propagate = False
TRACEBACKS.addHandler(logging.NullHandler())

#: Seconds a plugin call may take (``Host(plugin_timeout=)`` changes it for a session).
DEFAULT_TIMEOUT = 5.0
#: Seconds an ``async`` plugin call may hold the event loop in one step before it is
#: reported as slow (a blocking call inside ``async def``).
SLOW_STEP = 0.1


@functools.cache
def tracing() -> bool:
    """Whether ``FACILITATION_KIT_TRACE_PLUGINS`` asks for hook calls to be traced, as the
    environment said when this process first asked: it is asked on every plugin call, and
    reading ``os.environ`` each time cost 5 % of the host's CPU at saturation
    (``python -m bench profile``)."""
    return os.environ.get("FACILITATION_KIT_TRACE_PLUGINS", "").strip() not in ("", "0")


def trace(message: str) -> None:
    """Print one trace line to stderr when tracing is on (see :func:`tracing`)."""
    if tracing():
        print(f"[plugins] {message}", file=sys.stderr, flush=True)


def short_repr(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PluginFailure(Exception):
    """A plugin raised, hung or returned something it should not have. ``str()`` is a
    sentence for the facilitator and the plugin's author; ``plugin`` names the plugin,
    ``traceback`` holds the traceback text when it raised."""

    def __init__(self, message: str, *, plugin: str | None = None, traceback: str | None = None,
                 timed_out: bool = False):
        super().__init__(message)
        self.plugin = plugin
        self.traceback = traceback
        #: True when the call did not finish in time (or was refused while cooling down).
        self.timed_out = timed_out


SlowHandler = Callable[[str, str, float, "str | None"], None]


class PluginCaller:
    """Calls plugin code under the rules of this module (see its docstring)."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, cooldown: float = 30.0, workers: int = 8,
                 per_plugin: int = 2, *, slow: float = SLOW_STEP, log_file: str | Path | None = None,
                 on_slow: SlowHandler | None = None):
        self.timeout = timeout
        self.cooldown = cooldown
        self.per_plugin = per_plugin
        self.slow = slow
        #: The session's log file, named in failure messages (set by the host).
        self.log_file: Path | None = Path(log_file) if log_file else None
        #: ``on_slow(plugin, label, seconds, activity_id)``: an async call held the loop.
        self.on_slow = on_slow
        #: Extra fields for the traceback log records (the host sets the session id).
        self.log_extra: dict[str, Any] = {}
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._cooling: dict[str, float] = {}
        self._stuck: dict[str, Any] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._sync_slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    # -- on the event loop -------------------------------------------------------------
    async def call(self, atype: ActivityType, method: str, *args: Any) -> Any:
        """Call ``atype.method(*args)``."""
        fn = getattr(atype, method)
        if getattr(fn, "__func__", None) is getattr(ActivityType, method, None) and not tracing():
            # ActivityType's own default (e.g. validate → None): our code, trivial, cannot
            # hang. Sending it through a worker thread cost ~4x the CPU of a whole ack
            # (bench/profile_submit.py), so it runs inline.
            return fn(*args)
        return await self.call_function(atype.name, f"{atype.name}.{method}", fn, *args)

    async def call_function(self, key: str, label: str, fn: Callable[..., Any], *args: Any,
                            **kwargs: Any) -> Any:
        """Call ``fn`` (a plugin's method or hook implementation); ``key`` names the
        plugin for the limits (``hook:NAME`` for a hook), ``label`` the call in messages."""
        self._check_available(key, label)
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(key, asyncio.Semaphore(self.per_plugin))
        activity = _activity_of(args)
        started = time.perf_counter()
        trace_on = tracing()
        if trace_on:
            trace(f"{label} called")
        future = None
        try:
            async with asyncio.timeout(self.timeout):
                await slots.acquire()
                handed_over = False
                try:
                    if inspect.iscoroutinefunction(fn):
                        result = await self._timed(fn(*args, **kwargs), key, label, activity)
                    else:
                        ctx = contextvars.copy_context()
                        future = self._executor().submit(ctx.run, fn, *args, **kwargs)
                        # the slot is free again only when the thread is
                        future.add_done_callback(lambda _f: _release_threadsafe(loop, slots))
                        handed_over = True
                        result = await asyncio.wrap_future(future, loop=loop)
                        if inspect.isawaitable(result):
                            result = await self._timed(result, key, label, activity)
                finally:
                    if not handed_over:
                        slots.release()
        except TimeoutError:
            self._cooling[key] = time.monotonic() + self.cooldown
            if future is not None and not future.done():
                self._stuck[key] = future
            raise self._timed_out(key, label) from None
        except Exception as exc:
            raise self._failed(key, label, exc) from exc
        self._cooling.pop(key, None)
        if trace_on:
            trace(f"{label} returned {short_repr(result)} ({(time.perf_counter() - started) * 1000:.1f} ms)")
        return result

    # -- outside an event loop ---------------------------------------------------------
    def call_sync(self, key: str, label: str, fn: Callable[..., Any], *args: Any,
                  timeout: float | None = None, **kwargs: Any) -> Any:
        """:meth:`call_function` for code that is not on an event loop: ``fn`` runs in a
        daemon thread (a plugin that hangs cannot keep the process from exiting), an
        awaitable it returns is run to completion there; the same timeout, cool-down,
        per-plugin limit, tracing and failures."""
        timeout = self.timeout if timeout is None else timeout
        self._check_available(key, label)
        slots = self._sync_slots.setdefault(key, threading.BoundedSemaphore(self.per_plugin))
        if not slots.acquire(timeout=timeout):
            raise PluginFailure(f"{label}: the plugin is still busy with earlier calls",
                                plugin=_plugin_of(key))
        trace_on = tracing()
        if trace_on:
            trace(f"{label} called")
        started = time.perf_counter()
        box: dict[str, Any] = {}
        done = threading.Event()
        activity = _activity_of(args)
        ctx = contextvars.copy_context()

        def run() -> None:
            try:
                value = ctx.run(fn, *args, **kwargs)
                if inspect.isawaitable(value):
                    async def wait(v=value):
                        return await self._timed(v, key, label, activity)
                    value = asyncio.run(wait())
                box["value"] = value
            except BaseException as exc:  # contained: reported as the plugin's failure
                box["error"] = exc
            finally:
                slots.release()
                done.set()

        thread = threading.Thread(target=run, daemon=True, name=f"facilitation-kit-plugin-{key}")
        thread.start()
        if not done.wait(timeout):
            self._cooling[key] = time.monotonic() + self.cooldown
            self._stuck[key] = done
            raise self._timed_out(key, label, timeout)
        if "error" in box:
            exc = box["error"]
            if not isinstance(exc, Exception):
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
            raise self._failed(key, label, exc) from exc
        self._cooling.pop(key, None)
        if trace_on:
            trace(f"{label} returned {short_repr(box['value'])} "
                  f"({(time.perf_counter() - started) * 1000:.1f} ms)")
        return box["value"]

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # -- the rules -----------------------------------------------------------------------
    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._workers,
                                                thread_name_prefix="facilitation-kit-plugin")
            return self._pool

    def _check_available(self, key: str, label: str) -> None:
        until = self._cooling.get(key)
        if until is not None and time.monotonic() < until:
            raise PluginFailure(f"{label}: the plugin timed out recently; retrying shortly",
                                plugin=_plugin_of(key))
        stuck = self._stuck.get(key)
        if stuck is not None:
            finished = stuck.is_set() if isinstance(stuck, threading.Event) else stuck.done()
            if not finished:  # a thread is still blocked in it: do not feed it another
                raise PluginFailure(f"{label}: the plugin is still stuck in an earlier call",
                                    plugin=_plugin_of(key))
            del self._stuck[key]

    def _timed_out(self, key: str, label: str, timeout: float | None = None) -> PluginFailure:
        timeout = self.timeout if timeout is None else timeout
        message = f"{label} took longer than {timeout:g} s"
        if tracing():
            trace(f"{label} timed out after {timeout:g} s")
        TRACEBACKS.warning("plugin %s: %s", _plugin_of(key), message, extra=self.log_extra)
        return PluginFailure(message, plugin=_plugin_of(key), timed_out=True)

    def _failed(self, key: str, label: str, exc: Exception) -> Exception:
        """What to raise for an exception from plugin code: ``Invalid`` and ``OptionError``
        (a plugin refusing input) and the engine's own errors (which carry a protocol code)
        pass through; anything else becomes a
        :class:`PluginFailure` whose traceback goes to the session's log file."""
        if isinstance(exc, (Invalid, OptionError)) or hasattr(exc, "to_frame"):
            if tracing():
                trace(f"{label} rejected the input: {exc}")
            return exc
        if isinstance(exc, PluginFailure):
            return exc
        if tracing():
            trace(f"{label} raised {type(exc).__name__}: {exc}")
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        TRACEBACKS.error("plugin %s: %s raised %s: %s\n%s", _plugin_of(key), label,
                         type(exc).__name__, exc, text.rstrip(), extra=self.log_extra)
        message = f"{label} raised {type(exc).__name__}: {exc}"
        if self.log_file is not None:
            message += f" (the traceback is in {self.log_file})"
        return PluginFailure(message, plugin=_plugin_of(key), traceback=text)

    async def _timed(self, awaitable: Any, key: str, label: str, activity: str | None) -> Any:
        """Await ``awaitable`` one step at a time and report the first step that holds
        the loop longer than :attr:`slow` (a lag monitor exactly around the plugin's code)."""
        if not inspect.iscoroutine(awaitable):
            return await awaitable
        return await _Stepper(awaitable, self.slow,
                              lambda held: self._report_slow(key, label, held, activity))

    def _report_slow(self, key: str, label: str, held: float, activity: str | None) -> None:
        plugin = _plugin_of(key)
        message = (f"{label} held the event loop for {held * 1000:.0f} ms (more than "
                   f"{self.slow * 1000:.0f} ms): every phone waited meanwhile. Do not block "
                   "inside async def: use a plain def (it runs in a worker thread) or await "
                   "asyncio.to_thread(...)")
        log.warning("plugin %s: %s", plugin, message)
        TRACEBACKS.warning("plugin %s: %s", plugin, message, extra=self.log_extra)
        if tracing():
            trace(f"{label} was slow: held the loop {held * 1000:.0f} ms")
        if self.on_slow is not None:
            try:
                self.on_slow(plugin, label, held, activity)
            except Exception:  # reporting must not fail the call
                log.exception("reporting a slow plugin failed")


class _Stepper:
    """Drives a coroutine as ``await`` does, timing each step it runs on the loop;
    ``on_slow(seconds)`` is called once, right after the first step longer than ``slow``."""

    def __init__(self, coro, slow: float, on_slow: Callable[[float], None]):
        self.coro, self.slow, self.on_slow = coro, slow, on_slow

    def __await__(self):
        coro = self.coro
        reported = False
        send: Any = None
        throw: BaseException | None = None
        try:
            while True:
                started = time.perf_counter()
                try:
                    yielded = coro.throw(throw) if throw is not None else coro.send(send)
                except StopIteration as stop:
                    held = time.perf_counter() - started
                    if held > self.slow and not reported:
                        self.on_slow(held)
                    return stop.value
                except BaseException:
                    held = time.perf_counter() - started
                    if held > self.slow and not reported:
                        self.on_slow(held)
                    raise
                held = time.perf_counter() - started
                if held > self.slow and not reported:
                    reported = True
                    self.on_slow(held)
                send, throw = None, None
                try:
                    send = yield yielded
                except BaseException as exc:  # cancellation, timeouts: hand them in
                    throw = exc
        finally:
            coro.close()


def _activity_of(args: tuple) -> str | None:
    return args[0].id if args and isinstance(args[0], ActivityInfo) else None


def _plugin_of(key: str) -> str:
    return key.removeprefix("hook:")


def _release_threadsafe(loop: asyncio.AbstractEventLoop, slots: asyncio.Semaphore) -> None:
    try:
        loop.call_soon_threadsafe(slots.release)
    except RuntimeError:  # the loop is closed: nobody waits for the slot any more
        pass
