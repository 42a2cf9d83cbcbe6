"""Helpers for the TUI tests: read what the screen shows, as text."""

from __future__ import annotations

import asyncio
import itertools
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


async def wait_text(pilot, *texts: str, timeout: float = 10.0) -> str:
    """The screen's text once every one of ``texts`` is on the same screen (parts of the
    screen repaint one flush apart: waiting for one, then the next, can see a mix)."""

    def seen() -> str | None:
        screen = screen_text(pilot.app)
        return screen if all(text in screen for text in texts) else None

    return await wait_for(pilot, seen, timeout, what=" and ".join(map(repr, texts)))


def widget_text(widget) -> str:
    """The plain text a Static was given."""
    content = widget.content
    return getattr(content, "plain", None) or str(content)


def make_deterministic(monkeypatch) -> None:
    """Fix the room code, session id, join link, timestamps (one second apart) and time
    zone (the snapshot tests, and tests/docs_screens.py for the docs' pictures). Undo
    with ``monkeypatch.undo()`` and then ``time.tzset()``."""
    from facilitation_kit.core import engine, record
    from facilitation_kit.host import assembly as host

    monkeypatch.setattr(engine, "new_room_code", lambda length=6: "ABC234")
    monkeypatch.setattr(host, "new_session_id", lambda title: "20250506-1000-test-workshop-0000")
    monkeypatch.setattr(host.Host, "base_url", property(lambda self: "http://192.168.1.23:8765"))
    counter = itertools.count()

    def fake_iso(ts=None):
        n = next(counter)
        return f"2025-05-06T10:{n // 60 % 60:02d}:{n % 60:02d}.000Z"

    # every core module that stamps times took utc_iso from core.record
    import facilitation_kit.core as core_pkg
    import importlib
    import pkgutil
    for info in pkgutil.iter_modules(core_pkg.__path__):
        module = importlib.import_module(f"facilitation_kit.core.{info.name}")
        if getattr(module, "utc_iso", None) is record.utc_iso:
            monkeypatch.setattr(module, "utc_iso", fake_iso)
    monkeypatch.setattr(record, "utc_iso", fake_iso)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
