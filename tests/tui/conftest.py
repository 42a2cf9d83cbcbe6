"""Fixtures for the facilitator TUI tests: a small agenda, deterministic clocks and codes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .helpers import make_deterministic

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
    make_deterministic(monkeypatch)
    yield
    monkeypatch.undo()
    time.tzset()
