"""Role redefinition: options, form, shift tables with barriers by role, items."""

from __future__ import annotations

import json

import pytest

from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart, Heading, ReportPart, Table
from facilitation_kit.core.forms import Invalid

from .helpers import Room, agenda, info


@pytest.fixture
def rr(plugins):
    return plugins.activity_type("role_redefinition").activity_type


def test_roles_default_to_the_session_roles_without_other(plugins, rr):
    a = info(plugins, 'id = "r"\nplugin = "role_redefinition"')
    choices = [o["value"] for o in rr.form(a).to_json()["fields"][0]["options"]]
    assert choices == ["Service user", "Family or peer", "Front-line professional", "Manager"]
    a = info(plugins, 'id = "r"\nplugin = "role_redefinition"', roles=["Other"])
    assert [o["value"] for o in rr.form(a).to_json()["fields"][0]["options"]] == [
        "Front-line professional", "Service user", "Manager"]
    a = info(plugins, 'id = "r"\nplugin = "role_redefinition"\nroles = ["Youth worker", "Young person"]')
    assert [o["value"] for o in rr.form(a).to_json()["fields"][0]["options"]] == ["Youth worker", "Young person"]


@pytest.mark.parametrize("snippet, field, words", [
    ('roles = ["Manager", "Manager"]', "roles", "twice"),
    ('roles = [""]', "roles", "1 to 60"),
    ("roles = [1, 2]", "roles", "list of strings"),
    ("ask_barriers = 1", "ask_barriers", "true or false"),
    ("max_length = 5000", "max_length", "at most 1000"),
])
def test_bad_options_name_the_activity_and_field(plugins, snippet, field, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "shifts"\nplugin = "role_redefinition"\n{snippet}')
    assert (err.value.activity, err.value.field) == ("shifts", field)
    assert words in str(err.value)


def test_form_and_cross_field_rule(plugins, rr):
    a = info(plugins, 'id = "r"\nplugin = "role_redefinition"\nmax_length = 40')
    form = rr.form(a)
    assert [f.name for f in form.fields] == ["role", "from_text", "to_text", "barriers", "note", "helps", "who"]
    labels = [f.label for f in form.fields]
    assert labels[4] == "Anything else about what stops it?"   # the page adds "(optional)" once
    assert "(optional)" not in " ".join(labels)
    who = form.fields[-1].options
    assert [v for v, _ in who] == ["me", "my_team", "management", "politicians", "rules_and_law"]
    barriers = [v for v, _ in form.fields[3].options]
    assert {"confidence", "trust", "fear_of_losing_support"} <= set(barriers)   # the person's own barriers
    good = {"role": "Manager", "from_text": "Controls", "to_text": "Enables", "barriers": ["habits", "time"]}
    assert form.validate(good) == good
    for bad, field in [({"role": "Manager", "from_text": "x"}, "to_text"),
                       ({"role": "Astronaut", "from_text": "x", "to_text": "y"}, "role"),
                       ({"role": "Manager", "from_text": "x" * 41, "to_text": "y"}, "from_text"),
                       ({"role": "Manager", "from_text": "x", "to_text": "y", "barriers": ["weather"]}, "barriers"),
                       ({"role": "Manager", "from_text": "x", "to_text": "y", "barriers": "habits"}, "barriers")]:
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert field in err.value.fields
    with pytest.raises(Invalid) as err:
        rr.validate(a, {"role": "Manager", "from_text": "Gatekeeper", "to_text": "gatekeeper"})
    assert set(err.value.fields) == {"to_text"}
    plain = rr.form(info(plugins, 'id = "r"\nplugin = "role_redefinition"\nask_barriers = false\n'
                                  'ask_enablers = false'))
    assert [f.name for f in plain.fields] == ["role", "from_text", "to_text"]


@pytest.fixture
def room(plugins, rr):
    r = Room(rr, info(plugins, 'id = "shifts"\nplugin = "role_redefinition"\n'
                               'roles = ["Front-line professional", "Service user", "Manager"]'))
    r.say("u1", "Service user", {"role": "Front-line professional", "from_text": "Eligibility gatekeeper",
                                 "to_text": "Enabler", "barriers": ["time"], "note": "Workload"})
    r.say("u2", "Service user", {"role": "Front-line professional", "from_text": "Problem fixer",
                                 "to_text": "Finds the person's assets", "barriers": ["habits", "time"]})
    r.say("f1", "Front-line professional", {"role": "Front-line professional", "from_text": "Follows procedure",
                                            "to_text": "Asks how to make it possible", "barriers": ["habits"]})
    r.say("f1", "Front-line professional", {"role": "Manager", "from_text": "Counts outputs",
                                            "to_text": "Asks about outcomes", "barriers": ["habits"]})
    r.say("m1", "Manager", {"role": "Manager", "from_text": "The organisation's agenda",
                            "to_text": "The citizen's agenda"})
    r.say("x1", None, {"role": "Service user", "from_text": "Receives", "to_text": "Co-designs",
                       "barriers": ["time"]})
    return r


def test_shift_table_with_barriers_split_by_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    assert s["count"] == 6 and s["participants"] == 5
    assert s["by_role"] == {"Service user": 2, "Front-line professional": 2, "Manager": 1, "No role given": 1}
    assert {b: v for b, v in s["barriers"].items() if v["total"]} == {
        "time": {"total": 3, "by_role": {"Service user": 2, "No role given": 1}},
        "habits": {"total": 3, "by_role": {"Service user": 1, "Front-line professional": 2}},
    }
    per_role = {r["role"]: r for r in s["roles"]}
    assert list(per_role) == ["Front-line professional", "Service user", "Manager"]
    flp = per_role["Front-line professional"]
    assert flp["count"] == 3
    assert flp["by_contributor"] == {"Service user": 2, "Front-line professional": 1}
    assert flp["barriers"]["time"] == {"total": 2, "by_role": {"Service user": 2}}
    assert flp["barriers"]["habits"] == {"total": 2, "by_role": {"Service user": 1, "Front-line professional": 1}}
    assert flp["no_barrier_named"] == 0
    manager = per_role["Manager"]
    assert (manager["count"], manager["no_barrier_named"]) == (2, 1)
    assert manager["barriers"]["habits"]["total"] == 1 and manager["barriers"]["time"]["total"] == 0
    assert flp["shifts"][1]["barriers"] == ["time", "habits"]  # the agenda's order, not as ticked


def test_items_offer_the_shifts(room, rr):
    items = rr.items(room.activity, room.contributions)
    assert [i.label for i in items][:2] == ["The worker: Eligibility gatekeeper → Enabler",
                                            "The worker: Problem fixer → Finds the person's assets"]
    assert items[0].id == "u1:c1" and items[0].detail == "Stopped by: Not enough time"
    assert items[4].detail == ""


def test_report(room):
    blocks = room.report()
    chart = next(b for b in blocks if isinstance(b, Chart))
    assert 'role="img"' in chart.svg and "The worker: Not enough time" in chart.svg
    table = next(b for b in blocks if isinstance(b, Table) and "Shifts" in b.columns)
    assert table.rows[0] == ["The worker", 3, 0, "Service user: 2, Front-line professional: 1"]
    assert not [b for b in blocks if isinstance(b, Heading)]
    appendix = next(b for b in blocks if isinstance(b, ReportPart))  # every shift once, in the appendix
    assert appendix.section == "appendix"
    assert [b.text for b in appendix.blocks if isinstance(b, Heading)] == ["The worker", "The person who uses the service",
                                                                          "The manager"]
    assert "Not enough time (3)" in blocks[0].text


def test_enablers_who_can_make_it_happen(plugins, rr):
    r = Room(rr, info(plugins, 'id = "r"\nplugin = "role_redefinition"'))
    r.say("u1", "Service user", {"role": "Front-line professional", "from_text": "Checks if I'm allowed help",
                                 "to_text": "Helps me find what I can do", "barriers": ["fear_of_losing_support"],
                                 "helps": "Time to talk", "who": ["management", "my_team"]})
    r.say("f1", "Front-line professional", {"role": "Front-line professional", "from_text": "Fixes problems",
                                            "to_text": "Finds strengths", "who": ["management"]})
    s = r.summary()
    assert s["who"]["management"] == {"total": 2, "by_role": {"Service user": 1, "Front-line professional": 1}}
    blocks = r.report()
    assert "Management (2)" in blocks[0].text
    who = next(b for b in blocks if isinstance(b, Table) and "Who can make it happen" in b.columns)
    assert who.rows[0][:2] == ["Management", 2]


def test_own_barrier_categories_and_polish_labels(plugins, rr):
    a = info(plugins, 'id = "r"\nplugin = "role_redefinition"\n'
                      'barriers = ["time", { en = "Transport", pl = "Dojazd" }]', language="pl")
    field = rr.form(a).fields[3]
    assert field.options == (("time", "Za mało czasu"), ("Transport", "Dojazd"))
    assert rr.form(a).fields[0].label == "Czyja rola?"
