"""Which asyncio event loop the host runs on.

The standard library's loop, or uvloop (libuv) when the environment variable
``FACILITATION_KIT_LOOP=uvloop`` asks for it (``pip install uvloop``). Measured on the
host and on the bare echo, each on the same loop (docs/performance.md), uvloop made the
echo much faster but the host's durable acks no faster beyond the run-to-run noise, so
it is not the default. The benchmarks use the variable to run the host and the echo on
the same loop.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, Coroutine


def choice(requested: str | None = None) -> str:
    """The loop that ``run`` uses: "uvloop" or "asyncio"."""
    requested = (requested or os.environ.get("FACILITATION_KIT_LOOP") or "asyncio").strip().lower()
    if requested != "uvloop":
        return "asyncio"
    try:
        import uvloop  # noqa: F401
    except ImportError:
        raise RuntimeError("FACILITATION_KIT_LOOP=uvloop, but uvloop is not installed") from None
    return "uvloop"


def run(main: Coroutine[Any, Any, Any]) -> Any:
    """``asyncio.run(main)`` on the chosen loop."""
    if choice() == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
