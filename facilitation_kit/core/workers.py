"""CPU work that must not run on the host's event loop: a worker process.

``suggest_themes`` embeds and clusters hundreds of texts (seconds of CPU). In a thread it
would still compete for the interpreter with the loop that answers phones; so it runs in
one worker process (``concurrent.futures.ProcessPoolExecutor``, started with ``spawn`` so
that no thread or socket of the host is inherited), at a lower scheduling priority
(``nice`` 10): the host's loop is served first whenever it has work.
The pool starts on first use and is kept for the session (the model loads once).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Sequence

from . import suggest

__all__ = ["run_suggest", "shutdown", "TIMEOUT"]

#: Seconds a suggestion may take before the command answers ``unavailable``.
TIMEOUT = 180.0

_pool: ProcessPoolExecutor | None = None


def _init_worker() -> None:
    try:
        os.nice(10)  # phones first
    except (AttributeError, OSError):
        pass


def _pool_() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                    initializer=_init_worker)
    return _pool


async def run_suggest(entries: Sequence[tuple[str, str, str | None]], **kw: Any) -> dict[str, Any]:
    """:func:`core.suggest.suggest` in the worker process."""
    global _pool
    try:
        with _real_stderr():  # the worker starts here, on the first request
            future = _pool_().submit(_call, list(entries), kw)
        return await asyncio.wait_for(asyncio.wrap_future(future), TIMEOUT)
    except Exception:
        # a broken or hung worker is replaced on the next request
        pool, _pool = _pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        raise


@contextlib.contextmanager
def _real_stderr():
    """Starting a process passes ``sys.stderr``'s file descriptor on; inside the TUI
    (``run --in-process``) Textual replaces ``sys.stderr`` with an object whose
    ``fileno()`` is -1, which ``spawn`` refuses. Start it with the real one."""
    replaced = sys.stderr
    try:
        if sys.__stderr__ is not None and replaced is not sys.__stderr__:
            try:
                bad = replaced.fileno() < 0
            except Exception:
                bad = True
            if bad:
                sys.stderr = sys.__stderr__
        yield
    finally:
        sys.stderr = replaced


def _call(entries, kw):
    return suggest.suggest(entries, **kw)


def shutdown() -> None:
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)
