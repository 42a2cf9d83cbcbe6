"""Activity timers: one loop timer per activity whose countdown runs.

The stored state (``ends_at``, ``paused_remaining``, ``close_at_end`` in the activity's
row) is the truth; :class:`Timers` only keeps an event-loop timer for each running
countdown and calls ``fired(activity_id, ends_at)`` when one runs out. The engine decides
what that means (close the activity if ``close_at_end``) and emits the event.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

__all__ = ["Timers"]


class Timers:
    def __init__(self, fired: Callable[[str, float], Awaitable[None]]):
        self._fired = fired
        self._handles: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Task] = set()

    def schedule(self, activity_id: str, state: dict[str, Any]) -> None:
        """(Re)start the loop timer for an activity from its stored ``state``."""
        self.cancel(activity_id)
        ends_at = state.get("ends_at")
        if ends_at:
            delay = max(0.0, ends_at - time.time())
            self._handles[activity_id] = asyncio.get_running_loop().call_later(
                delay, self._fire, activity_id, ends_at)

    def _fire(self, activity_id: str, ends_at: float) -> None:
        self._handles.pop(activity_id, None)
        task = asyncio.ensure_future(self._fired(activity_id, ends_at))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self, activity_id: str) -> None:
        handle = self._handles.pop(activity_id, None)
        if handle:
            handle.cancel()

    def close(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
        for task in list(self._tasks):
            task.cancel()
