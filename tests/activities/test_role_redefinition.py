"""Role redefinition: options, form, shift tables with barriers by role, items."""

from __future__ import annotations

import json

import pytest

from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart, Heading, Table
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
    assert [f.name for f in form.fields] == ["role", "from_text", "to_text", "barriers", "note"]
    good = {"role": "Manager", "from_text": "Controls", "to_text": "Enables", "barriers": ["cultural", "structural"]}
    assert form.validate(good) == good
    for bad, field in [({"role": "Manager", "from_text": "x"}, "to_text"),
                       ({"role": "Astronaut", "from_text": "x", "to_text": "y"}, "role"),
                       ({"role": "Manager", "from_text": "x" * 41, "to_text": "y"}, "from_text"),
                       ({"role": "Manager", "from_text": "x", "to_text": "y", "barriers": ["money"]}, "barriers"),
                       ({"role": "Manager", "from_text": "x", "to_text": "y", "barriers": "cultural"}, "barriers")]:
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert field in err.value.fields
    with pytest.raises(Invalid) as err:
        rr.validate(a, {"role": "Manager", "from_text": "Gatekeeper", "to_text": "gatekeeper"})
    assert set(err.value.fields) == {"to_text"}
    plain = rr.form(info(plugins, 'id = "r"\nplugin = "role_redefinition"\nask_barriers = false'))
    assert [f.name for f in plain.fields] == ["role", "from_text", "to_text"]


@pytest.fixture
def room(plugins, rr):
    r = Room(rr, info(plugins, 'id = "shifts"\nplugin = "role_redefinition"\n'
                               'roles = ["Front-line professional", "Service user", "Manager"]'))
    r.say("u1", "Service user", {"role": "Front-line professional", "from_text": "Eligibility gatekeeper",
                                 "to_text": "Enabler", "barriers": ["structural"], "note": "Workload"})
    r.say("u2", "Service user", {"role": "Front-line professional", "from_text": "Problem fixer",
                                 "to_text": "Finds the person's assets", "barriers": ["cultural", "structural"]})
    r.say("f1", "Front-line professional", {"role": "Front-line professional", "from_text": "Follows procedure",
                                            "to_text": "Asks how to make it possible", "barriers": ["cultural"]})
    r.say("f1", "Front-line professional", {"role": "Manager", "from_text": "Counts outputs",
                                            "to_text": "Asks about outcomes", "barriers": ["cultural"]})
    r.say("m1", "Manager", {"role": "Manager", "from_text": "The organisation's agenda",
                            "to_text": "The citizen's agenda"})
    r.say("x1", None, {"role": "Service user", "from_text": "Receives", "to_text": "Co-designs",
                       "barriers": ["structural"]})
    return r


def test_shift_table_with_barriers_split_by_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    assert s["count"] == 6 and s["participants"] == 5
    assert s["by_role"] == {"Service user": 2, "Front-line professional": 2, "Manager": 1, "No role given": 1}
    assert s["barriers"] == {
        "structural": {"total": 3, "by_role": {"Service user": 2, "No role given": 1}},
        "cultural": {"total": 3, "by_role": {"Service user": 1, "Front-line professional": 2}},
    }
    per_role = {r["role"]: r for r in s["roles"]}
    assert list(per_role) == ["Front-line professional", "Service user", "Manager"]
    flp = per_role["Front-line professional"]
    assert flp["count"] == 3
    assert flp["by_contributor"] == {"Service user": 2, "Front-line professional": 1}
    assert flp["barriers"]["structural"] == {"total": 2, "by_role": {"Service user": 2}}
    assert flp["barriers"]["cultural"] == {"total": 2, "by_role": {"Service user": 1, "Front-line professional": 1}}
    assert flp["no_barrier_named"] == 0
    manager = per_role["Manager"]
    assert (manager["count"], manager["no_barrier_named"]) == (2, 1)
    assert manager["barriers"]["cultural"]["total"] == 1 and manager["barriers"]["structural"]["total"] == 0
    assert flp["shifts"][1]["barriers"] == ["structural", "cultural"]  # fixed order, not as ticked


def test_items_offer_the_shifts(room, rr):
    items = rr.items(room.activity, room.contributions)
    assert [i.label for i in items][:2] == ["Front-line professional: Eligibility gatekeeper → Enabler",
                                            "Front-line professional: Problem fixer → Finds the person's assets"]
    assert items[0].id == "u1:c1" and items[0].detail == "stopped by: structural"
    assert items[4].detail == ""


def test_report(room):
    blocks = room.report()
    chart = next(b for b in blocks if isinstance(b, Chart))
    assert 'role="img"' in chart.svg and "Front-line professional: structural" in chart.svg
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.rows[0] == ["Front-line professional", 3, 2, 2, 0, "Service user: 2, Front-line professional: 1"]
    assert [b.text for b in blocks if isinstance(b, Heading)] == ["Front-line professional", "Service user", "Manager"]
