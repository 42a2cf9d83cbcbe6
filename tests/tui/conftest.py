"""Fixtures for the facilitator TUI tests: a small agenda, deterministic clocks and codes."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

AGENDA = """\
title = "Test workshop"
roles = ["Service user", "Front-line professional", "Manager"]

[[activity]]
id = "opening"
plugin = "open_question"
title = "Opening round"
prompt = "What matters most to you?"
notes = "Read out two answers from different roles."

[[activity]]
id = "values"
plugin = "value_mapping"
title = "Value mapping"
prompt = "What does the service count, and what matters?"

[[activity]]
id = "closing"
plugin = "open_question"
title = "Closing round"
prompt = "What is the first step?"
"""


@pytest.fixture
def agenda_path(tmp_path) -> Path:
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    return path


@pytest.fixture
def deterministic(monkeypatch):
    """Fixed room code, session id, join link, timestamps (one second apart) and time zone."""
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
    yield
    monkeypatch.undo()
    time.tzset()
