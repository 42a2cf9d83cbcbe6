"""Helpers for the TUI tests: read what the screen shows, as text."""

from __future__ import annotations

import asyncio
import time


def screen_text(app) -> str:
    """The whole current screen as plain text, one line per terminal row."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(seg.text for seg in strip).rstrip() for strip in strips)


async def wait_for(pilot, predicate, timeout: float = 10.0, what: str = "condition"):
    """Pause the pilot until ``predicate()`` is true (the app flushes events at 4 Hz)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; screen:\n{screen_text(pilot.app)}")
        await asyncio.sleep(0.05)


async def wait_text(pilot, text: str, timeout: float = 10.0) -> str:
    return await wait_for(pilot, lambda: text in screen_text(pilot.app) and screen_text(pilot.app),
                          timeout, what=repr(text))


def widget_text(widget) -> str:
    """The plain text a Static was given."""
    content = widget.content
    return getattr(content, "plain", None) or str(content)
