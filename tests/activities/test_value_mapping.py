"""Value mapping: options, form, results by role, items and report."""

from __future__ import annotations

import json

import pytest

from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart, Table
from facilitation_kit.core.forms import Invalid

from .helpers import Room, agenda, info


@pytest.fixture
def vm(plugins):
    return plugins.activity_type("value_mapping").activity_type


def test_defaults_fill_in(plugins):
    a = info(plugins, 'id = "values"\nplugin = "value_mapping"')
    assert a.options == {"kinds": ["created", "output", "outcome", "missed", "destroyed", "idea"],
                         "ask_kind": True, "stakeholders": [], "ask_stakeholder": True,
                         "ratings": True, "max_length": 280}
    assert a.title == "Value mapping"


@pytest.mark.parametrize("snippet, field, words", [
    ('kinds = ["outcome", "feelings"]', "kinds", "'feelings' is not allowed"),
    ("kinds = []", "kinds", "at least 1"),
    ('kinds = ["outcome", "outcome"]', "kinds", "twice"),
    ('stakeholders = ["Service user", "Service user"]', "stakeholders", "twice"),
    ('stakeholders = ["   "]', "stakeholders", "1 to 60"),
    ('ratings = "yes"', "ratings", "true or false"),
    ("max_length = 5", "max_length", "at least 20"),
    ("colour = 3", "colour", "no option 'colour'"),
])
def test_bad_options_name_the_activity_and_field(plugins, snippet, field, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "values"\nplugin = "value_mapping"\n{snippet}')
    assert err.value.activity == "values"
    assert err.value.field == field
    assert words in str(err.value)
    assert "test.toml:" in str(err.value)


def test_form_follows_the_options(plugins, vm):
    full = vm.form(info(plugins, 'id = "v"\nplugin = "value_mapping"')).to_json()
    assert [f["name"] for f in full["fields"]] == ["text", "kind", "stakeholder", "importance", "support"]
    # the kind can be skipped: a service user often does not know what the service counts
    assert [f["required"] for f in full["fields"]] == [True, False, False, False, False]
    # who it matters to: the session's roles, in plain words
    assert [(o["value"], o["label"]) for o in full["fields"][2]["options"]] == [
        ("Service user", "The person who uses the service"), ("Family or peer", "Family and friends"),
        ("Front-line professional", "The staff who work with people"), ("Manager", "Managers and planners")]
    assert full["fields"][3]["skip"] == {"label": "I don't know"}
    plain = vm.form(info(plugins, 'id = "v"\nplugin = "value_mapping"\nratings = false\nask_stakeholder = false\n'
                                  'kinds = ["outcome", "output"]')).to_json()
    assert [f["name"] for f in plain["fields"]] == ["text", "kind"]
    assert [o["value"] for o in plain["fields"][1]["options"]] == ["outcome", "output"]


def test_form_accepts_good_cards_and_refuses_bad_ones(plugins, vm):
    a = info(plugins, 'id = "v"\nplugin = "value_mapping"\nmax_length = 30')
    form = vm.form(a)
    assert form.validate({"text": " Being heard ", "kind": "outcome"}) == {"text": "Being heard", "kind": "outcome"}
    good = {"text": "Being heard", "kind": "outcome", "stakeholder": "Service user", "importance": 5, "support": 1}
    assert form.validate(good) == good
    assert form.validate({"text": "x", "importance": None, "support": 2}) == {"text": "x", "importance": None,
                                                                           "support": 2}
    for bad, field in [({"kind": "outcome"}, "text"),
                       ({"text": "x" * 31, "kind": "outcome"}, "text"),
                       ({"text": "x", "kind": "feeling"}, "kind"),
                       ({"text": "x", "kind": "outcome", "stakeholder": "Martians"}, "stakeholder"),
                       ({"text": "x", "kind": "outcome", "importance": 6, "support": 1}, "importance"),
                       ({"text": "x", "kind": "outcome", "support": "3", "importance": 1}, "support"),
                       ({"text": "x", "kind": "outcome", "colour": "red"}, "colour")]:
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert field in err.value.fields, bad


def test_importance_and_support_go_together(plugins, vm):
    a = info(plugins, 'id = "v"\nplugin = "value_mapping"')
    assert vm.validate(a, {"text": "x", "kind": "outcome", "importance": 4, "support": 2}) is None
    assert vm.validate(a, {"text": "x", "kind": "outcome"}) is None
    with pytest.raises(Invalid) as err:
        vm.validate(a, {"text": "x", "kind": "outcome", "importance": 4})
    assert set(err.value.fields) == {"support"}
    with pytest.raises(Invalid) as err:
        vm.validate(a, {"text": "x", "kind": "outcome", "support": 4})
    assert set(err.value.fields) == {"importance"}


@pytest.fixture
def room(plugins, vm):
    r = Room(vm, info(plugins, 'id = "values"\nplugin = "value_mapping"'))
    r.say("u1", "Service user", {"text": "Being listened to", "kind": "outcome", "stakeholder": "Service user",
                                 "importance": 5, "support": 1})
    r.say("u1", "Service user", {"text": "Meetings held", "kind": "output", "importance": 2, "support": 5})
    r.say("u2", "Service user", {"text": "A normal life", "kind": "outcome", "stakeholder": "Service user",
                                 "importance": 4, "support": 2})
    r.say("f1", "Front-line professional", {"text": "Forms processed", "kind": "output",
                                            "stakeholder": "Front-line professional", "importance": 4, "support": 4})
    r.say("f1", "Front-line professional", {"text": "Staff turnover breaks trust", "kind": "missed",
                                            "stakeholder": "Service user", "importance": 5, "support": 2})
    r.say("m1", "Manager", {"text": "Cases closed on time", "kind": "output", "importance": 5, "support": 3})
    r.say("x1", None, {"text": "Peer groups", "kind": "idea", "stakeholder": "Family or peer"})
    return r


def test_results_by_kind_stakeholder_and_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    assert s["count"] == 7 and s["participants"] == 5
    assert s["roles"] == ["Service user", "Front-line professional", "Manager", "No role given"]
    assert s["by_role"] == {"Service user": 3, "Front-line professional": 2, "Manager": 1, "No role given": 1}
    assert {k["kind"]: (k["count"], k["by_role"]) for k in s["kinds"] if k["count"]} == {
        "output": (3, {"Service user": 1, "Front-line professional": 1, "Manager": 1}),
        "outcome": (2, {"Service user": 2}),
        "missed": (1, {"Front-line professional": 1}),
        "idea": (1, {"No role given": 1}),
    }
    counts = {x["stakeholder"]: x["count"] for x in s["stakeholders"]}
    assert counts["Service user"] == 3 and counts["Not said"] == 2 and counts["Manager"] == 0
    groups = {(g["kind"], g["stakeholder"]): g["count"] for g in s["grouped"]}
    assert groups == {("output", "Front-line professional"): 1, ("output", "Not said"): 2,
                      ("outcome", "Service user"): 2, ("missed", "Service user"): 1,
                      ("idea", "Family or peer"): 1}


def test_outputs_vs_outcomes_by_role(room):
    rows = {r["role"]: (r["outputs"], r["outcomes"], r["outcome_share"]) for r in room.summary()["outputs_vs_outcomes"]}
    assert rows == {"Service user": (1, 2, 0.67), "Front-line professional": (1, 0, 0.0),
                    "Manager": (1, 0, 0.0), "No role given": (0, 0, None), "Everyone": (3, 2, 0.4)}


def test_map_flags_important_but_badly_supported(room):
    m = room.summary()["map"]
    assert m["rule"] == {"importance_at_least": 4, "support_at_most": 2}
    assert m["rated"] == 6
    assert m["gaps"] == ["u1:c1", "u2:c3", "f1:c5"]
    assert m["by_role"] == {
        "Service user": {"rated": 3, "importance": 3.67, "support": 2.67, "gaps": 2},
        "Front-line professional": {"rated": 2, "importance": 4.5, "support": 3.0, "gaps": 1},
        "Manager": {"rated": 1, "importance": 5.0, "support": 3.0, "gaps": 0},
    }
    assert {(p["importance"], p["support"], p["role"]): p["count"] for p in m["points"]} == {
        (5, 1, "Service user"): 1, (2, 5, "Service user"): 1, (4, 2, "Service user"): 1,
        (4, 4, "Front-line professional"): 1, (5, 2, "Front-line professional"): 1, (5, 3, "Manager"): 1}


def test_edges_of_the_gap_rule(plugins, vm):
    from facilitation_kit_plugins.value_mapping import is_gap
    assert is_gap(4, 2) and is_gap(5, 1)
    assert not is_gap(3, 1) and not is_gap(4, 3) and not is_gap(None, 1) and not is_gap(5, None)


def test_items_offer_every_card(room, vm):
    items = vm.items(room.activity, room.contributions)
    assert [(i.id, i.label) for i in items][:2] == [("u1:c1", "Being listened to"), ("u1:c2", "Meetings held")]
    assert items[0].detail == "Something that matters in a person's life · The person who uses the service"
    assert items[-1].detail == "An idea · Family and friends"


def test_report_has_charts_and_tables(room):
    blocks = room.report()
    charts = [b for b in blocks if isinstance(b, Chart)]
    assert len(charts) == 2
    assert all('role="img"' in c.svg and "<title" in c.svg for c in charts)
    assert "important but badly supported" in charts[1].svg
    table = next(b for b in blocks if isinstance(b, Table) and "Counted by the service" in b.columns)
    assert table.rows[-1] == ["Everyone", 3, 2, "40%"]


def test_no_cards_yet(plugins, vm):
    a = info(plugins, 'id = "v"\nplugin = "value_mapping"')
    s = vm.summarise(a, [])
    assert s["count"] == 0 and s["map"]["rated"] == 0
    assert [b.text for b in vm.report(a, s, [])] == ["No value cards yet."]


def test_dont_know_is_counted_never_averaged(plugins, vm):
    r = Room(vm, info(plugins, 'id = "v"\nplugin = "value_mapping"'))
    r.say("u1", "Service user", {"text": "Same worker every time", "importance": 5, "support": None})
    r.say("u2", "Service user", {"text": "Being believed", "importance": None, "support": 1})
    r.say("u3", "Service user", {"text": "Help on time", "importance": 4, "support": 2})
    s = r.summary()
    assert s["dont_know"] == {"importance": 1, "support": 1}
    assert s["map"]["rated"] == 1 and s["map"]["by_role"]["Service user"]["importance"] == 4.0
    assert any("I don't know" in b.text for b in r.report() if hasattr(b, "text"))


def test_small_role_groups_are_counted_together(plugins, vm):
    a = info(plugins, 'id = "v"\nplugin = "value_mapping"', min_group=3)
    r = Room(vm, a)
    for pid in ("u1", "u2", "u3"):
        r.say(pid, "Service user", {"text": f"card {pid}", "kind": "outcome"})
    r.say("m1", "Manager", {"text": "Sanctions", "kind": "destroyed"})
    r.say("f1", "Front-line professional", {"text": "Targets", "kind": "output"})
    s = r.summary()
    assert s["roles"] == ["Service user"]          # manager + worker = 2 < 3: left out of splits
    assert s["by_role"] == {"Service user": 3} and s["count"] == 5
    text = json.dumps([b.to_json() for b in r.report()])
    assert "Manager" not in text and "Front-line professional" not in text
    r.say("x1", None, {"text": "Peer groups", "kind": "idea"})
    s = r.summary()                                # now 3 in the small roles together
    assert s["roles"] == ["Service user", "Other roles"] and s["by_role"]["Other roles"] == 3


def test_a_finnish_form_and_report(plugins, vm):
    a = info(plugins, 'id = "v"\nplugin = "value_mapping"', language="fi")
    fields = vm.form(a).to_json()["fields"]
    assert fields[0]["label"] == "Korttisi"
    assert fields[1]["options"][1]["label"] == "Jotain, mitä palvelu laskee tai tarkistaa"
    assert fields[3]["skip"] == {"label": "En osaa sanoa"}
    r = Room(vm, a)
    r.say("u1", "Service user", {"text": "Kuulluksi tuleminen", "kind": "outcome"})
    assert r.report()[0].text == "Arvokortteja: 1. Kirjoittajia: 1."
