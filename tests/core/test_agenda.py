"""Agenda loading and validation: every error names the file, line, activity and field."""

import pytest

from facilitation_kit.core.agenda import AgendaError, parse_agenda, parse_duration
from facilitation_kit.core.plugins import load_plugins

from pathlib import Path

DEFAULT_AGENDA = Path(__file__).resolve().parents[2] / "sessions" / "relational-service.toml"


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def parse(text, plugins):
    return parse_agenda(text, plugins, path="w.toml")


GOOD = '''
title = "Home care, together"
language = "fi"
roles = ["Service user", "Professional"]
anonymous = false

[[activity]]
id = "open"
plugin = "open_question"
title = "Opening"
prompt = "What matters?"
timebox = "2m30s"
auto_open = true
close_at_end = true
notes = "Read two answers aloud."
max_length = 200
'''


def test_good_agenda(plugins):
    agenda = parse(GOOD, plugins)
    assert agenda.title == "Home care, together" and agenda.language == "fi"
    assert agenda.roles == ("Service user", "Professional") and agenda.anonymous is False
    act = agenda.activities[0]
    assert (act.id, act.plugin, act.title, act.timebox, act.auto_open, act.close_at_end) == (
        "open", "open_question", "Opening", 150, True, True)
    assert act.options == {"max_length": 200, "multiline": True, "label": ""}  # "": "Your answer" in each phone's language
    assert act.notes == "Read two answers aloud."


def test_the_default_cosie_agenda_loads(plugins):
    from facilitation_kit.core.agenda import load_agenda

    agenda = load_agenda(DEFAULT_AGENDA, plugins)
    plugins_used = {a.plugin for a in agenda.activities}
    assert {"open_question", "value_mapping", "role_redefinition", "ethical_compass", "dot_vote"} <= plugins_used
    assert "Service user" in agenda.roles


@pytest.mark.parametrize("text, line, activity, field, words", [
    ('title = "T"\ncolour = "red"\n[[activity]]\nid="a"\nplugin="open_question"\n',
     2, None, "colour", "unknown setting"),
    ('[[activity]]\nid="a"\nplugin="open_question"\n', None, None, "title", "needs a title"),
    ('title = "T"\nroles = ["A", "A"]\n[[activity]]\nid="a"\nplugin="open_question"\n',
     2, None, "roles", "listed twice"),
    ('title = "T"\n', None, None, "activity", "at least one"),
    ('title = "T"\n[[activity]]\nplugin="open_question"\n', 2, "#1", "id", "needs an id"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\n[[activity]]\nid="a"\nplugin="open_question"\n',
     6, "a", "id", "used by an earlier"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="word_cloud"\n', 4, "a", "plugin",
     "no activity plugin 'word_cloud' is installed; installed: "),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\nmax_length = 0\n', 5, "a",
     "max_length", "must be at least 1"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\nmultiline = "yes"\n', 5, "a",
     "multiline", "must be true or false"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\ntimebox = "soon"\n', 5, "a",
     "timebox", "duration"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\nfrom = "b"\n', 5, "a",
     "from", "does not take items"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="dot_vote"\nfrom = "later"\n[[activity]]\nid="later"\nplugin="open_question"\n',
     5, "a", "from", "earlier activity"),
])
def test_errors_name_where(plugins, text, line, activity, field, words):
    with pytest.raises(AgendaError) as info:
        parse(text, plugins)
    err = info.value
    assert (err.file, err.line, err.activity, err.field) == ("w.toml", line, activity, field)
    assert words in str(err)
    assert str(err).startswith("w.toml" + (f":{line}" if line else "") + ":")


def test_toml_syntax_error_has_line(plugins):
    with pytest.raises(AgendaError) as info:
        parse('title = "T"\n\n[[activity]\n', plugins)
    assert info.value.line == 3 and "not valid TOML" in str(info.value)


@pytest.mark.parametrize("value, seconds", [(300, 300), ("5m", 300), ("90s", 90), ("1m30s", 90),
                                            ("1h", 3600), ("10 min", 600)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", [0, -5, "", "5 minutes please", True, 1.5])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)
