"""Fixtures for the participant page tests: a real host on a free port, a phone-sized
headless Chromium (Debian's, no ``playwright install``), and a throwaway activity type
whose form has every field kind of protocol v1 plus one kind no page knows.

The browser fixture fails when Chromium is missing and ``CI`` is set, and skips otherwise.
"""

from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import ClassVar

import pytest

from facilitation_kit import hookimpl
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import (ChoiceField, Field, Form, Invalid, MatrixField, ScaleField,
                                    TextField, VoteField)
from facilitation_kit.host.assembly import Host
from facilitation_kit.core.plugins import load_plugins

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "test-artifacts" / "screens"

from participant_page_helpers import PHONE, XSS, Phone, chromium


# --------------------------------------------------------------------------- test plugin
@dataclass(frozen=True)
class SketchField(Field):
    """A field kind from some future protocol version: the page must not know it."""

    kind: ClassVar[str] = "sketch"

    def clean(self, value):
        return value


class AllKinds(ActivityType):
    name = "all_kinds_test"
    title = "Every field kind"
    description = "Test activity whose form has one field of every kind."
    default_prompt = "Fill in everything."

    def form(self, activity):
        return Form([
            TextField("title", label="Short title", max_length=40, multiline=False),
            TextField("story", label="Tell us more", max_length=300, multiline=True, required=False),
            ChoiceField("kind", label="Kind of value",
                        options=[("output", "Output we count today"), ("outcome", "Outcome that matters")]),
            ChoiceField("who", label="Who it concerns", multiple=True, required=False,
                        options=[("user", "Service user"), ("pro", "Front-line professional"),
                                 ("mgr", "Manager")]),
            ScaleField("importance", label="How important", min=1, max=5,
                       min_label="Not at all", max_label="Very"),
            VoteField("priorities", label="Priorities", dots=3, max_per_item=2,
                      items=[("time", "More time"), ("trust", "More trust"), ("money", "More money")]),
            MatrixField("balance", label="Balance today",
                        rows=[("significance", "Significance"), ("resources", "Resources")],
                        columns=[("pro", "With the professional"), ("even", "Balanced"),
                                 ("user", "With the service user")]),
            SketchField("drawing", label="Draw it", required=False),
        ])

    def validate(self, activity, data):
        # A check only the host makes, so the page has to show the host's reason.
        if "forbidden" in data["title"].lower():
            raise Invalid({"title": "please use another word than 'forbidden'"})
        return None


plugin_module = ModuleType("all_kinds_test_plugin")


@hookimpl
def register_activities(register):
    register(AllKinds())


plugin_module.register_activities = register_activities
sys.modules[plugin_module.__name__] = plugin_module


AGENDA = """
title = "Browser test workshop"
language = "en"
anonymous = true
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "opening"
plugin = "open_question"
title = "Opening round"
prompt = "What matters most to you in this service?"
max_length = 200

[[activity]]
id = "everything"
plugin = "all_kinds_test"
title = "Every kind of question"
prompt = "Answer each question."

[[activity]]
id = "hostile"
plugin = "open_question"
title = "Hostile prompt"
prompt = {xss}
"""


@pytest.fixture
def agenda_file(tmp_path):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA.replace("{xss}", json.dumps(XSS)), encoding="utf-8")
    return path


@pytest.fixture
def plugins():
    return load_plugins(extra=[("all_kinds_test", plugin_module)])


@pytest.fixture
async def host(agenda_file, tmp_path, plugins):
    async with Host.start(agenda_file, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                          plugins=plugins) as h:
        yield h


# --------------------------------------------------------------------------- browser
@pytest.fixture
async def browser():
    async with chromium("the participant page tests") as b:
        yield b


@pytest.fixture
async def phone(browser):
    context = await browser.new_context(**PHONE, locale="en-GB")
    page = await context.new_page()
    p = Phone(context, page)
    yield p
    await context.close()


@pytest.fixture
def new_phone(browser):
    """Make more phones (e.g. a second person, or another language)."""
    made = []

    async def make(locale="en-GB", **extra):
        context = await browser.new_context(**{**PHONE, **extra}, locale=locale)
        page = await context.new_page()
        made.append(context)
        return Phone(context, page)

    yield make


@pytest.fixture
def screens():
    SCREENS.mkdir(parents=True, exist_ok=True)

    async def shot(page, name):
        await page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)

    return shot
