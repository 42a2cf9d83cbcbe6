"""Fixtures for the activity, results and report tests."""

from __future__ import annotations

import pytest

from facilitation_kit.core.plugins import load_plugins

from . import simulated_workshop


@pytest.fixture(scope="session")
def plugins():
    return load_plugins()


@pytest.fixture
def workshop_export(plugins):
    """The scripted CoSIE workshop with known answers (see simulated_workshop.py)."""
    return simulated_workshop.export(plugins)
