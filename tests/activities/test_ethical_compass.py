"""Ethical compass v2: each parameter rated for the person and for the worker, today and
as it should be, in one grid per parameter with "I don't know"; flags by the wanted change
and by disagreement between role groups (after min_group), never by distance from a middle;
an optional "How could it be fairer?" per parameter."""

from __future__ import annotations

import json

import pytest

from facilitation_kit.core.activity import Item
from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import BulletList, Chart, Paragraph, Table
from facilitation_kit.core.forms import Invalid, field_from_json

from .helpers import Room, agenda, info

PARAMS = ("significance", "responsibilities", "resources", "participation")
ROWS = ("person_today", "person_wanted", "professional_today", "professional_wanted")


def grid(*values):
    """One parameter's answers: person today, person wanted, worker today, worker wanted."""
    return {r: str(v) for r, v in zip(ROWS, values)}


def ratings(*grids, **extra):
    """Answers for the parameters in PARAMS order (as many as given)."""
    return {**{p: grid(*g) for p, g in zip(PARAMS, grids)}, **extra}


SAME = (3, 3, 3, 3)


@pytest.fixture
def ec(plugins):
    return plugins.activity_type("ethical_compass").activity_type


@pytest.mark.parametrize("snippet, field, words", [
    ("points = 11", "points", "at most 7"),
    ('parameters = ["significance", "happiness"]', "parameters", "'happiness' is not allowed"),
    ('parameters = ["resources", "resources"]', "parameters", "twice"),
    ("flag_change = 5", "flag_change", "at most 4 on a 5-point scale"),
    ("flag_disagreement = -1", "flag_disagreement", "at least 0"),
    ("flag_imbalance = 1", "flag_imbalance", "has no option"),
    ('from = "nowhere"', "from", "earlier activity"),
])
def test_bad_options_name_the_activity_and_field(plugins, snippet, field, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "compass"\nplugin = "ethical_compass"\n{snippet}')
    assert (err.value.activity, err.value.field) == ("compass", field)
    assert words in str(err.value)


def test_one_compact_grid_per_parameter_with_dont_know_and_an_optional_fairer(plugins, ec):
    fields = ec.form(info(plugins, 'id = "c"\nplugin = "ethical_compass"')).to_json()["fields"]
    assert [f["name"] for f in fields] == [n for p in PARAMS for n in (p, f"{p}_fairer")]
    g = fields[0]
    assert (g["kind"], g["label"], g["required"]) == ("matrix", "Who has most to gain or lose?", True)
    assert [r["label"] for r in g["rows"]] == [
        "The person who uses the service: today", "The person who uses the service: as it should be",
        "The worker: today", "The worker: as it should be"]
    assert [c["value"] for c in g["columns"]] == ["1", "2", "3", "4", "5", "dont_know"]
    assert g["columns"][-1]["label"] == "I don't know"
    assert (g["min_label"], g["max_label"]) == ("Very little", "A lot")   # a grid of scales
    assert [f["label"] for f in fields[::2]] == ["Who has most to gain or lose?", "Who is expected to do the work?",
                                                 "Whose skills and contacts count?", "Who gets to decide?"]
    fairer = fields[1]
    assert (fairer["kind"], fairer["label"], fairer["required"]) == ("text", "How could it be fairer?", False)
    # the wire form round-trips (simulated phones rebuild it)
    assert field_from_json(g).to_json() == {k: v for k, v in g.items() if k != "help"}
    no_fairer = ec.form(info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfairer = false'))
    assert [f.name for f in no_fairer.fields] == list(PARAMS)


def test_every_row_needs_an_answer_and_dont_know_is_one(plugins, ec):
    form = ec.form(info(plugins, 'id = "c"\nplugin = "ethical_compass"\nparameters = ["participation"]'))
    ok = {"participation": grid(1, 4, "dont_know", 3)}
    assert form.validate(ok) == ok
    for bad in ({"participation": {"person_today": "1"}},
                {"participation": grid(1, 4, 6, 3)},
                {"participation": {**grid(1, 2, 3, 4), "manager_today": "2"}}):
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert "participation" in err.value.fields


def test_form_per_item_offers_the_items_and_the_service(plugins, ec):
    carried = (Item("u1:c1", "Being heard"), Item("u2:c1", "A normal life"))
    before = ('id = "cards"\nplugin = "value_mapping"',)
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\npoints = 7\n'
                      'parameters = ["participation"]', items=carried, before=before)
    form = ec.form(a)
    item = form.fields[0]
    assert item.name == "item" and item.options == (("u1:c1", "Being heard"), ("u2:c1", "A normal life"),
                                                    ("service", "The service as a whole"))
    assert [f.name for f in form.fields] == ["item", "participation", "participation_fairer"]
    assert [v for v, _ in form.fields[1].columns][-2:] == ["7", "dont_know"]
    with pytest.raises(Invalid) as err:
        form.validate({"participation": grid(1, 1, 1, 1)})
    assert "item" in err.value.fields
    only_items = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\ninclude_service = false',
                      items=carried, before=before)
    assert [v for v, _ in ec.form(only_items).fields[0].options] == ["u1:c1", "u2:c1"]


@pytest.fixture
def room(plugins, ec):
    r = Room(ec, info(plugins, 'id = "compass"\nplugin = "ethical_compass"'))
    # participation: people who use the service say they have little say today, staff say more
    r.say("u1", "Service user", ratings(SAME, SAME, (2, 3, 2, 3), (1, 4, 4, 3),
                                        participation_fairer="Ask me before deciding"))
    r.say("u2", "Service user", ratings(SAME, SAME, (2, 3, 2, 3), (1, 4, 4, 3)))
    r.say("f1", "Front-line professional", ratings(SAME, SAME, (2, 3, 2, 3), (3, 4, 4, 3)))
    r.say("f2", "Front-line professional", ratings(SAME, SAME, (2, 3, "dont_know", 3), (3, 4, 4, "dont_know")))
    return r


def test_both_sides_today_and_wanted_by_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    assert s["count"] == 4 and s["by_role"] == {"Service user": 2, "Front-line professional": 2}
    part = s["parameters"][3]
    assert part["person"] == {"today": 2.0, "wanted": 4.0, "change": 2.0, "dont_know": 0}
    assert part["professional"] == {"today": 4.0, "wanted": 3.0, "change": -1.0, "dont_know": 1}
    assert part["by_role"]["Service user"]["person"]["today"] == 1.0
    assert part["by_role"]["Front-line professional"]["person"]["today"] == 3.0
    # resources low for both: no middle, no "leans"
    res = s["parameters"][2]
    assert (res["person"]["today"], res["professional"]["today"]) == (2.0, 2.0)
    assert "leans" not in str(s) and "imbalance" not in str(s)


def test_flags_are_wanted_changes_and_disagreements_between_roles(room):
    flags = room.summary()["flagged"]
    got = [(f["kind"], f["parameter"], f["side"], f.get("when"), f["size"]) for f in flags]
    assert got == [
        ("change", "participation", "person", None, 2.0),
        ("disagreement", "participation", "person", "today", 2.0),
        ("change", "resources", "person", None, 1.0),
        ("change", "resources", "professional", None, 1.0),
        ("change", "participation", "professional", None, 1.0),
    ]
    # the same ratings everywhere (3 = 3) are never flagged, whatever the middle is
    assert not [f for f in flags if f["parameter"] in ("significance", "responsibilities")]
    disagree = flags[1]
    assert disagree["by_role"] == {"Service user": 1.0, "Front-line professional": 3.0}


def test_disagreement_honours_min_group(plugins, ec):
    """With min_group 3, two people per role are too few: no split, no disagreement, and
    no role name anywhere in the results."""
    a = info(plugins, 'id = "compass"\nplugin = "ethical_compass"', min_group=3)
    r = Room(ec, a)
    for pid, role, today in (("u1", "Service user", 1), ("u2", "Service user", 1),
                             ("f1", "Front-line professional", 5), ("f2", "Front-line professional", 5)):
        r.say(pid, role, ratings(SAME, SAME, SAME, (today, 3, 3, 3)))
    s = r.summary()
    assert s["roles"] == ["Other roles"]          # 1 + 5 averaged: nobody is singled out
    assert s["flagged"] == []                        # one group: no disagreement to show
    text = str(s) + str([getattr(b, "text", "") or getattr(b, "rows", "") for b in r.report()])
    assert "Service user" not in text and "Front-line professional" not in text


def test_report(room):
    blocks = room.report()
    assert blocks[0].text.startswith("Ratings: 4. Each question was rated for the person who uses the service "
                                     "and for the worker")
    assert any(isinstance(b, Paragraph) and "chosen 2 times" in b.text for b in blocks)
    bullets = next(b for b in blocks if isinstance(b, BulletList)).items
    assert bullets[0] == ("Who decides (the person): 2 today, 4 as it should be. People want more (+2).")
    assert bullets[1] == ("Who decides (the person), today: roles see it differently "
                          "(Service user 1; Front-line professional 3).")
    assert bullets[4] == ("Who decides (the worker): 4 today, 3 as it should be. People want less (-1).")
    chart = next(b for b in blocks if isinstance(b, Chart))
    assert 'role="img"' in chart.svg and "Who decides: the person" in chart.svg
    assert "stroke-dasharray" not in chart.svg    # no "balanced middle" line
    means = next(b for b in blocks if isinstance(b, Table) and b.caption == "Averages per question")
    assert means.columns == ["Question", "For", "Role", "Ratings", "Today", "Should be", "Change", "I don't know"]
    assert ["Who decides", "the person", "Everyone", 4, 2.0, 4.0, 2.0, 0] in means.rows
    assert ["Who decides", "the worker", "Front-line professional", 2, 4.0, 3.0, -1.0, 1] in means.rows
    fairer = [b for b in blocks if isinstance(b, Table)][-1]
    assert fairer.rows == [["Who decides", "Ask me before deciding", "Service user"]]


def test_per_item_results_and_flags(plugins, ec):
    carried = (Item("u1:c1", "Being heard"), Item("u2:c1", "A normal life"))
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\nflag_change = 1.5\nflag_disagreement = 1.5',
             items=carried, before=('id = "cards"\nplugin = "value_mapping"',))
    r = Room(ec, a)
    r.say("u1", "Service user", ratings(SAME, SAME, SAME, (1, 4, 3, 3), item="u1:c1",
                                        significance_fairer="Nobody asks"))
    r.say("f1", "Front-line professional", ratings(SAME, SAME, SAME, (2, 3, 3, 3), item="u1:c1"))
    r.say("m1", "Manager", ratings(SAME, SAME, SAME, SAME, item="service"))
    s = r.summary()
    assert [(x["id"], x["label"], x["count"]) for x in s["subjects"]] == [
        ("u1:c1", "Being heard", 2), ("service", "The service as a whole", 1)]
    assert s["subjects"][0]["parameters"][3]["person"] == {"today": 1.5, "wanted": 3.5, "change": 2.0,
                                                           "dont_know": 0}
    assert [(f["subject"], f["kind"], f["parameter"], f["side"]) for f in s["flagged"]] == [
        ("u1:c1", "change", "participation", "person")]
    assert s["fairer"] == [{"parameter": "significance", "label": "What is at stake", "text": "Nobody asks",
                            "role": "Service user", "subject": "Being heard"}]
    blocks = r.report()
    assert sum(isinstance(b, Chart) for b in blocks) == 2
    bullets = next(b for b in blocks if isinstance(b, BulletList)).items
    assert bullets == ["Being heard: Who decides (the person): 1.5 today, 3.5 as it should be. People want more (+2)."]


def test_no_ratings_yet(plugins, ec):
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"')
    s = ec.summarise(a, [])
    assert s["flagged"] == [] and s["parameters"][0]["person"]["today"] is None
    assert ec.report(a, s, [])[0].text == "No ratings yet."
    assert ec.screen(a, [])[0].text == "No ratings yet."


def test_nothing_flagged_says_so(plugins, ec):
    r = Room(ec, info(plugins, 'id = "c"\nplugin = "ethical_compass"'))
    r.say("u1", "Service user", ratings(SAME, SAME, SAME, SAME))
    assert any(isinstance(b, Paragraph) and b.text.startswith("No big wanted change") for b in r.report())


def test_screen_shows_everyone_and_what_stands_out(plugins, ec, room):
    blocks = ec.screen(room.activity, room.contributions)
    assert isinstance(blocks[0], Chart) and "Who decides: the worker" in blocks[0].svg
    assert isinstance(blocks[1], BulletList) and blocks[1].items[0].startswith("Who decides (the person)")


def test_plain_questions_and_rows_in_every_language(plugins, ec):
    for lang, question, row in (
            ("en", "Who gets to decide?", "The worker: today"), ("fi", "Kuka saa päättää?", "Työntekijä: nyt"),
            ("sv", "Vem får bestämma?", "Personalen: i dag"), ("nl", "Wie mag beslissen?", "De medewerker: nu"),
            ("es", "¿Quién puede decidir?", "El profesional: hoy"), ("pl", "Kto może decydować?", "Pracownik: dziś"),
            ("it", "Chi può decidere?", "L'operatore: oggi"), ("de", "Wer darf entscheiden?", "Die Fachkraft: heute")):
        a = info(plugins, 'id = "c"\nplugin = "ethical_compass"', language=lang)
        fields = ec.form(a).fields
        assert fields[6].label == question, lang
        assert fields[6].rows[2][1] == row, lang
        r = Room(ec, a)
        r.say("u1", "Service user", ratings(SAME, SAME, SAME, (1, 4, 3, 3)))
        bullets = next(b for b in r.report() if isinstance(b, BulletList)).items
        assert "+3" in bullets[0] and "{" not in bullets[0], lang
