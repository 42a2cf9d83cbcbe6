"""Fixtures of the fault tests (helpers in helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import AGENDA


@pytest.fixture
def agenda_file(tmp_path) -> Path:
    path = tmp_path / "fault-drill.toml"
    path.write_text(AGENDA, encoding="utf-8")
    return path
