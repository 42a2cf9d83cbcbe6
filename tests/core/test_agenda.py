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
    assert {"open_question", "story", "value_mapping", "role_redefinition", "ethical_compass", "dot_vote",
            "actions"} <= plugins_used
    assert "Service user" in agenda.roles


def test_the_default_agenda_is_a_session_for_a_mixed_room(plugins):
    """Issue 12: about 115 minutes, from consent to "did you feel heard?", with the
    facilitator-only steps shown, notes for every step and phone texts in eight languages."""
    from facilitation_kit.core.agenda import load_agenda
    from facilitation_kit.core.i18n import LANGUAGES

    agenda = load_agenda(DEFAULT_AGENDA, plugins)
    steps = [(a.id, a.kind if not a.collects else a.plugin) for a in agenda.activities]
    assert steps == [("welcome", "input"), ("checkin", "open_question"), ("stories", "story"),
                     ("values", "value_mapping"), ("plenary", "input"), ("card_vote", "dot_vote"),
                     ("break", "break"), ("shifts", "role_redefinition"), ("compass", "ethical_compass"),
                     ("shift_vote", "dot_vote"), ("first_steps", "actions"), ("closing", "open_question")]
    minutes = sum(a.timebox for a in agenda.activities) / 60
    assert 105 <= minutes <= 125, minutes
    assert all(a.timebox for a in agenda.activities) and all(a.notes for a in agenda.activities)
    assert agenda.consent == {"text": {}, "required": True} and agenda.min_group == 3
    compass = agenda.activity("compass")
    assert (compass.source, compass.top) == ("card_vote", 3)
    assert agenda.activity("shift_vote").source == "shifts"
    assert agenda.activity("first_steps").source == "shift_vote"
    assert agenda.activity("stories").moderated
    assert all(agenda.activity(v).options["weighting"] == "equal_per_role" for v in ("card_vote", "shift_vote"))
    assert "heard" in agenda.activity("closing").prompt
    for act in agenda.activities:  # what phones show, in every language of the page
        for key in ("title", "prompt") if act.id != "break" else ("title",):
            assert set(act.texts[key]) == set(LANGUAGES), (act.id, key)
            assert len(set(act.texts[key].values())) == len(LANGUAGES), (act.id, key)  # not copies
    assert agenda.service and agenda.follow_up


def test_check_accepts_the_default_agenda_and_lists_its_steps():
    from tests.faults.helpers import run_cli

    result = run_cli("check", DEFAULT_AGENDA)
    assert result.returncode == 0, result.stderr
    assert "12 activities" in result.stdout
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.startswith("  ")}
    assert "(break: no answers)" in lines["break"] and "(input: no answers)" in lines["welcome"]
    assert "ethical_compass" in lines["compass"] and "from card_vote" in lines["compass"]


def test_steps_that_collect_no_answers(plugins):
    agenda = parse('''
title = "T"

[[activity]]
id = "talk"
kind = "input"
title = { en = "A talk", fi = "Alustus" }
prompt = "Listen to Maria."
timebox = "10m"
notes = "Maria from the user council, 10 minutes."

[[activity]]
id = "coffee"
kind = "break"
until = "9:05"
auto_open = true
''', plugins)
    talk, coffee = agenda.activities
    assert (talk.kind, talk.plugin, talk.collects, talk.timebox, talk.options) == ("input", "", False, 600, {})
    assert talk.text("title", "fi") == "Alustus" and talk.notes.startswith("Maria")
    assert (coffee.kind, coffee.until, coffee.auto_open, coffee.title) == ("break", "09:05", True, "Break")
    assert coffee.text("title", "sv") == "Paus"
    assert coffee.to_json()["kind"] == "break" and coffee.to_json()["until"] == "09:05"
    assert "kind" not in parse(GOOD, plugins).activities[0].to_json()


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
    # facilitator-only steps (kind = "break" / "input", no plugin)
    ('title = "T"\n[[activity]]\nid="a"\ntitle="Coffee"\n', 2, "a", "plugin", 'kind = "break"'),
    ('title = "T"\n[[activity]]\nid="a"\nkind="pause"\n', 4, "a", "kind", "must be one of break, input"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="break"\ndots = 3\n', 5, "a", "dots",
     "a break step collects no answers and takes no 'dots'"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="input"\nuntil = "11:20"\n', 5, "a", "until", "takes no 'until'"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="break"\nuntil = "25:00"\n', 5, "a", "until", "time of day"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="break"\nuntil = 1120\n', 5, "a", "until", "time of day"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="break"\ntimebox = "soon"\n', 5, "a", "timebox", "duration"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="input"\nauto_open = "yes"\n', 5, "a", "auto_open", "true or false"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="input"\ntitle = 3\n', 5, "a", "title", "must be text"),
    ('title = "T"\n[[activity]]\nid="a"\nplugin="open_question"\nkind="break"\n', 4, "a", "plugin",
     "a break step has no plugin"),
    ('title = "T"\n[[activity]]\nid="a"\nkind="input"\n[[activity]]\nid="v"\nplugin="dot_vote"\nfrom="a"\n',
     8, "v", "from", "collects no answers"),
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


def test_a_recorded_agenda_keeps_its_steps_without_checking_plugins():
    """The export of a session whose plugin is missing here still knows its steps."""
    import tomllib

    from facilitation_kit.core.agenda import recorded_agenda_json

    data = tomllib.loads('title = "T"\n[[activity]]\nid = "b"\nkind = "break"\nuntil = "11:20"\n'
                         'timebox = "10m"\n[[activity]]\nid = "x"\nplugin = "not_here"\nkind = "mine"\n')
    step, other = recorded_agenda_json(data, None)["activities"]
    assert (step["kind"], step["until"], step["plugin"], step["options"], step["timebox"]) == (
        "break", "11:20", "", {}, 600)
    assert "kind" not in other and other["options"] == {"kind": "mine"}  # a plugin's own option
