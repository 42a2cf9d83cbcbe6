"""Which asyncio event loop the host runs on.

uvloop (libuv) where it is installed, else the standard library's loop. The environment
variable ``FACILITATION_KIT_LOOP`` (``uvloop``, ``asyncio`` or ``auto``, the default)
chooses; the benchmarks use it to run the host and the bare echo on the same loop.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Coroutine


def choice(requested: str | None = None) -> str:
    """The loop that ``run`` uses: "uvloop" or "asyncio"."""
    requested = (requested or os.environ.get("FACILITATION_KIT_LOOP") or "auto").strip().lower()
    if requested == "asyncio":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        if requested == "uvloop":
            raise RuntimeError("FACILITATION_KIT_LOOP=uvloop, but uvloop is not installed") from None
        return "asyncio"
    return "uvloop"


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run(main)`` on the chosen loop."""
    if choice() == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
