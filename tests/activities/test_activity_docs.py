"""Every agenda snippet in docs/activities.md must load, and every option the built-in
activities declare must be documented there with its default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from facilitation_kit.core.agenda import parse_agenda

DOC = Path(__file__).resolve().parents[2] / "docs" / "activities.md"
SNIPPETS = re.findall(r"```toml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
BUILTIN = ("open_question", "value_mapping", "role_redefinition", "ethical_compass", "dot_vote", "rate_items", "story", "journey",
           "actions")


def test_there_is_a_snippet_per_activity():
    plugins_used = {p for s in SNIPPETS for p in re.findall(r'plugin = "(\w+)"', s)}
    assert plugins_used >= set(BUILTIN) | {"open_question"}


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[re.search(r'title = "(.*)"', s).group(1) for s in SNIPPETS])
def test_snippet_parses(plugins, snippet):
    agenda = parse_agenda(snippet, plugins, path="docs/activities.md")
    assert agenda.activities


@pytest.mark.parametrize("name", BUILTIN)
def test_every_option_is_documented(plugins, name):
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"(`{name}`)")[1].split("\n## ")[0]
    for option in plugins.activity_type(name).activity_type.options:
        assert f"| `{option.name}` |" in section, f"{name}: option {option.name} is not documented"
