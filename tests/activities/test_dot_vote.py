"""Dot vote: options, form, last vote counts, totals ranked and split by role, hidden results."""

from __future__ import annotations

import dataclasses
import json

import pytest

from facilitation_kit.core.activity import Item
from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart, Table
from facilitation_kit.core.forms import Invalid

from .helpers import Room, agenda, info

ITEMS = 'items = ["More time per person", "One contact person", "Peer groups", "Flexible hours"]'


@pytest.fixture
def dv(plugins):
    return plugins.activity_type("dot_vote").activity_type


def test_defaults(plugins):
    a = info(plugins, f'id = "vote"\nplugin = "dot_vote"\n{ITEMS}')
    assert (a.options["dots"], a.options["max_per_item"], a.options["hide_results_until_closed"]) == (5, 3, True)


@pytest.mark.parametrize("snippet, field, words", [
    ("dots = 0", "dots", "at least 1"),
    ("dots = 2\nmax_per_item = 3", "max_per_item", "at most dots (2)"),
    ('items = ["A", "A"]', "items", "twice"),
    ('items = [" "]', "items", "1 to 200"),
    ('items = "A, B"', "items", "must be a list of text"),
    ("hide_results_until_closed = 0", "hide_results_until_closed", "true or false"),
    ("dots = 3", "items", "needs something to vote on"),
])
def test_bad_options_name_the_activity_and_field(plugins, snippet, field, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "vote"\nplugin = "dot_vote"\n{snippet}')
    assert (err.value.activity, err.value.field) == ("vote", field)
    assert words in str(err.value)


def test_from_needs_an_earlier_activity(plugins):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, 'id = "vote"\nplugin = "dot_vote"\nfrom = "later"')
    assert (err.value.activity, err.value.field) == ("vote", "from")
    parsed = agenda(plugins, 'id = "cards"\nplugin = "value_mapping"',
                    'id = "vote"\nplugin = "dot_vote"\nfrom = "cards"')
    assert parsed.activities[1].source == "cards"


def test_form_takes_items_from_both_places(plugins, dv):
    carried = (Item("u1:c1", "Being heard"), Item("u2:c1", "A normal life"))
    a = info(plugins, 'id = "vote"\nplugin = "dot_vote"\nitems = ["Time"]\ndots = 4\nmax_per_item = 2',
             items=carried, before=('id = "cards"\nplugin = "value_mapping"',))
    field = dv.form(a).to_json()["fields"][0]
    assert field["kind"] == "vote" and (field["dots"], field["max_per_item"]) == (4, 2)
    assert [i["label"] for i in field["items"]] == ["Being heard", "A normal life", "Time"]
    assert field["items"][0]["id"] == "u1:c1" and field["items"][2]["id"].startswith("i-")


def test_form_validation(plugins, dv):
    a = info(plugins, f'id = "vote"\nplugin = "dot_vote"\n{ITEMS}')
    form = dv.form(a)
    ids = [i for i, _ in form.fields[0].items]
    assert form.validate({"dots": {ids[0]: 3, ids[1]: 2, ids[2]: 0}}) == {"dots": {ids[0]: 3, ids[1]: 2}}
    for bad in [{"dots": {ids[0]: 4}}, {"dots": {ids[0]: 3, ids[1]: 3}}, {"dots": {"nope": 1}},
                {"dots": {ids[0]: -1}}, {"dots": {ids[0]: 1.5}}, {"dots": {}}, {}]:
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert "dots" in err.value.fields, bad


def test_item_ids_survive_reordering(plugins, dv):
    one = dv.form(info(plugins, 'id = "v"\nplugin = "dot_vote"\nitems = ["A", "B"]')).fields[0].items
    two = dv.form(info(plugins, 'id = "v"\nplugin = "dot_vote"\nitems = ["B", "A"]')).fields[0].items
    assert dict(one) == {i: label for i, label in two}


@pytest.fixture
def room(plugins, dv):
    r = Room(dv, info(plugins, f'id = "vote"\nplugin = "dot_vote"\n{ITEMS}'))
    time, contact, peers, hours = (i for i, _ in dv.form(r.activity).fields[0].items)
    r.ids = (time, contact, peers, hours)
    r.say("u1", "Service user", {"dots": {time: 3, contact: 2}})
    r.say("u2", "Service user", {"dots": {contact: 3, peers: 2}})
    r.say("f1", "Front-line professional", {"dots": {time: 3, hours: 2}})
    r.say("m1", "Manager", {"dots": {hours: 3, time: 1}})
    r.say("u1", "Service user", {"dots": {peers: 3, time: 2}})  # u1 changes their mind
    r.say("x1", None, {"dots": {contact: 1}})
    return r


def test_only_the_last_vote_counts_totals_ranked_by_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    time, contact, peers, hours = room.ids
    assert (s["voters"], s["submissions"], s["dots_cast"]) == (5, 6, 20)
    assert s["voters_by_role"] == {"Service user": 2, "Front-line professional": 1, "Manager": 1, "No role given": 1}
    assert s["dots_by_role"] == {"Service user": 10, "Front-line professional": 5, "Manager": 4, "No role given": 1}
    assert [(i["label"], i["dots"], i["rank"], i["by_role"]) for i in s["items"]] == [
        ("More time per person", 6, 1, {"Service user": 2, "Front-line professional": 3, "Manager": 1}),
        ("Peer groups", 5, 2, {"Service user": 5}),
        ("Flexible hours", 5, 2, {"Front-line professional": 2, "Manager": 3}),
        ("One contact person", 4, 4, {"Service user": 3, "No role given": 1}),
    ]


def test_results_hidden_until_closed(plugins, dv):
    hidden = info(plugins, f'id = "v"\nplugin = "dot_vote"\n{ITEMS}', state="open")
    assert dv.results_visible(hidden) is False
    assert dv.results_visible(dataclasses.replace(hidden, state="closed")) is True
    shown = info(plugins, f'id = "v"\nplugin = "dot_vote"\n{ITEMS}\nhide_results_until_closed = false', state="open")
    assert dv.results_visible(shown) is True
    assert dv.extras(hidden) == {"hide_results_until_closed": True}


def test_items_are_ranked(room, dv):
    items = dv.items(room.activity, room.contributions)
    assert [(i.label, i.detail) for i in items] == [
        ("More time per person", "6 dots, rank 1"), ("Peer groups", "5 dots, rank 2"),
        ("Flexible hours", "5 dots, rank 2"), ("One contact person", "4 dots, rank 4")]


def test_report(room):
    blocks = room.report()
    assert "Dots given: 20. Each person had 5, at most 3 on one thing. Only each person's last vote counts." in blocks[0].text
    chart = next(b for b in blocks if isinstance(b, Chart))
    assert chart.svg.count("<rect") > 8 and "Dots per item, by role" in chart.svg
    table = next(b for b in blocks if isinstance(b, Table) and b.columns[0] == "Rank")
    assert table.columns == ["Rank", "Item", "Dots", "Service user", "Front-line professional", "Manager",
                             "No role given"]
    assert table.rows[0] == [1, "More time per person", 6, 2, 3, 1, 0]


def test_nothing_to_vote_on(plugins, dv):
    """The earlier activity gave no items (nobody posted a card): the report says so."""
    a = info(plugins, 'id = "v"\nplugin = "dot_vote"\nfrom = "cards"',
             before=('id = "cards"\nplugin = "value_mapping"',))
    s = dv.summarise(a, [])
    assert s["items"] == [] and s["voters"] == 0
    assert "Nothing to vote on" in dv.report(a, s, [])[0].text


def vote_room(plugins, dv, extra=""):
    r = Room(dv, info(plugins, 'id = "v"\nplugin = "dot_vote"\nitems = ["Peer groups", "More time", "Forms online"]\n'
                               "dots = 3\nmax_per_item = 3\n" + extra, min_group=3))
    peers, time, forms = [i for i, _ in dv._items(r.activity)]
    for n in range(6):   # six service users: all on peer groups
        r.say(f"u{n}", "Service user", {"dots": {peers: 3}})
    for n in range(3):   # three staff: all on forms online
        r.say(f"f{n}", "Front-line professional", {"dots": {forms: 2, time: 1}})
    r.say("m1", "Manager", {"dots": {time: 3}})   # a lone manager: never shown as a group
    return r


def test_each_roles_top_3_and_where_roles_diverge(plugins, dv):
    r = vote_room(plugins, dv)
    s = r.summary()
    assert s["roles"] == ["Service user", "Front-line professional"]
    assert [t["label"] for t in s["top_by_role"]["Service user"]] == ["Peer groups"]
    assert [t["label"] for t in s["top_by_role"]["Front-line professional"]] == ["Forms online", "More time"]
    assert s["roles_agree"] is False
    text = " ".join(b.text for b in r.report() if hasattr(b, "text"))
    assert "Roles put different things first. Service user: Peer groups; Front-line professional: Forms online." in text
    assert "The top item, Peer groups, got no dots from: Front-line professional." in text
    assert "Manager" not in json.dumps([b.to_json() for b in r.report()])
    top = next(b for b in r.report() if isinstance(b, Table) and b.columns[0] == "Place")
    assert top.rows[0] == [1, "Peer groups (18)", "Forms online (6)"]


def test_equal_per_role_weighting(plugins, dv):
    raw = vote_room(plugins, dv).summary()
    assert raw["items"][0]["label"] == "Peer groups"          # 18 dots from the biggest group
    weighted = vote_room(plugins, dv, 'weighting = "equal_per_role"').summary()
    scores = {i["label"]: i["score"] for i in weighted["items"]}
    assert scores == {"Peer groups": 50.0, "Forms online": 33.3, "More time": 16.7}
    assert weighted["weighting"] == "equal_per_role"


def test_plural_labels_and_a_polish_phone(plugins, dv):
    one = info(plugins, f'id = "v"\nplugin = "dot_vote"\n{ITEMS}\ndots = 1\nmax_per_item = 1')
    assert dv.form(one).fields[0].label == "You have 1 dot. Give it to what matters most."
    for dots, words in ((2, "Masz 2 kropki."), (5, "Masz 5 kropek.")):
        pl = info(plugins, f'id = "v"\nplugin = "dot_vote"\n{ITEMS}\ndots = {dots}\nmax_per_item = 1', language="pl")
        assert dv.form(pl).fields[0].label.startswith(words)
