"""Ethical compass: options, form (whole service or per carried-over item), means, gaps,
imbalances and concerns by role."""

from __future__ import annotations

import json

import pytest

from facilitation_kit.core.activity import Item
from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import BulletList, Chart, Table
from facilitation_kit.core.forms import Invalid

from .helpers import Room, agenda, info

PARAMS = ("significance", "responsibilities", "resources", "participation")


def ratings(today, desired, **extra):
    """Ratings for the four parameters, today and desired, in PARAMS order."""
    data = {}
    for p, t, d in zip(PARAMS, today, desired):
        data[f"{p}_today"], data[f"{p}_desired"] = t, d
    return {**data, **extra}


@pytest.fixture
def ec(plugins):
    return plugins.activity_type("ethical_compass").activity_type


@pytest.mark.parametrize("snippet, field, words", [
    ("points = 4", "points", "must be odd"),
    ("points = 11", "points", "at most 9"),
    ('parameters = ["significance", "happiness"]', "parameters", "'happiness' is not allowed"),
    ('parameters = ["resources", "resources"]', "parameters", "twice"),
    ("flag_imbalance = 2.5", "flag_imbalance", "at most 2 on a 5-point scale"),
    ("flag_imbalance = -1", "flag_imbalance", "at least 0"),
    ('user_label = "   "', "user_label", "1 to 60"),
    ('from = "nowhere"', "from", "earlier activity"),
])
def test_bad_options_name_the_activity_and_field(plugins, snippet, field, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "compass"\nplugin = "ethical_compass"\n{snippet}')
    assert (err.value.activity, err.value.field) == ("compass", field)
    assert words in str(err.value)


def test_whole_service_form_is_eight_scales_and_a_question(plugins, ec):
    fields = ec.form(info(plugins, 'id = "c"\nplugin = "ethical_compass"')).to_json()["fields"]
    assert [f["name"] for f in fields] == [f"{p}_{w}" for p in PARAMS for w in ("today", "desired")] + ["concern"]
    scale = fields[0]
    assert (scale["kind"], scale["min"], scale["max"]) == ("scale", 1, 5)
    assert (scale["min_label"], scale["max_label"]) == ("Mostly the professional", "Mostly the person")
    assert fields[-1]["required"] is False


def test_form_per_item_offers_the_items_and_the_service(plugins, ec):
    carried = (Item("u1:c1", "Being heard"), Item("u2:c1", "A normal life"))
    before = ('id = "cards"\nplugin = "value_mapping"',)
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\npoints = 7\n'
                      'parameters = ["participation"]', items=carried, before=before)
    form = ec.form(a)
    item = form.fields[0]
    assert item.name == "item" and item.options == (("u1:c1", "Being heard"), ("u2:c1", "A normal life"),
                                                    ("service", "The service as a whole"))
    assert [f.name for f in form.fields] == ["item", "participation_today", "participation_desired", "concern"]
    assert form.validate({"item": "u2:c1", "participation_today": 7, "participation_desired": 4}) == \
        {"item": "u2:c1", "participation_today": 7, "participation_desired": 4}
    for bad, field in [({"item": "zzz", "participation_today": 1, "participation_desired": 1}, "item"),
                       ({"participation_today": 1, "participation_desired": 1}, "item"),
                       ({"item": "service", "participation_today": 8, "participation_desired": 1}, "participation_today"),
                       ({"item": "service", "participation_today": 2}, "participation_desired")]:
        with pytest.raises(Invalid) as err:
            form.validate(bad)
        assert field in err.value.fields
    only_items = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\ninclude_service = false',
                      items=carried, before=before)
    assert [v for v, _ in ec.form(only_items).fields[0].options] == ["u1:c1", "u2:c1"]


@pytest.fixture
def room(plugins, ec):
    r = Room(ec, info(plugins, 'id = "compass"\nplugin = "ethical_compass"'))
    r.say("u1", "Service user", ratings((1, 2, 1, 1), (3, 3, 4, 3), concern="Decisions are made without me"))
    r.say("u2", "Service user", ratings((2, 3, 2, 1), (3, 3, 3, 4)))
    r.say("f1", "Front-line professional", ratings((3, 4, 3, 2), (3, 3, 3, 4), concern="More time for dialogue"))
    r.say("m1", "Manager", ratings((3, 3, 3, 3), (3, 3, 3, 3)))
    return r


def test_today_vs_desired_gap_and_imbalance_by_role(room):
    s = room.summary()
    json.dumps(s, allow_nan=False)
    assert s["count"] == 4 and s["by_role"] == {"Service user": 2, "Front-line professional": 1, "Manager": 1}
    assert s["scale"]["balanced"] == 3
    got = {p["parameter"]: (p["today"], p["desired"], p["gap"], p["imbalance"], p["leans"]) for p in s["parameters"]}
    assert got == {"significance": (2.25, 3.0, 0.75, 0.75, "professional"),
                   "responsibilities": (3.0, 3.0, 0.0, 0.0, "balanced"),
                   "resources": (2.25, 3.25, 1.0, 0.75, "professional"),
                   "participation": (1.75, 3.5, 1.75, 1.25, "professional")}
    participation = s["parameters"][3]["by_role"]
    assert participation == {
        "Service user": {"count": 2, "today": 1.0, "desired": 3.5, "dont_know": 0, "gap": 2.5, "imbalance": 2.0, "leans": "professional"},
        "Front-line professional": {"count": 1, "today": 2.0, "desired": 4.0, "dont_know": 0, "gap": 2.0, "imbalance": 1.0,
                                    "leans": "professional"},
        "Manager": {"count": 1, "today": 3.0, "desired": 3.0, "dont_know": 0, "gap": 0.0, "imbalance": 0.0, "leans": "balanced"},
    }
    assert s["parameters"][1]["by_role"]["Front-line professional"]["leans"] == "service user"


def test_largest_imbalance_is_flagged(room):
    flagged = room.summary()["flagged"]
    assert [(f["parameter"], f["imbalance"], f["largest"]) for f in flagged] == [("participation", 1.25, True)]


def test_concerns_are_listed_with_roles(room):
    assert room.summary()["concerns"] == [
        {"text": "Decisions are made without me", "role": "Service user", "subject": None},
        {"text": "More time for dialogue", "role": "Front-line professional", "subject": None}]


def test_per_item_results(plugins, ec):
    carried = (Item("u1:c1", "Being heard"), Item("u2:c1", "A normal life"))
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"\nfrom = "cards"\nflag_imbalance = 1.5',
             items=carried, before=('id = "cards"\nplugin = "value_mapping"',))
    r = Room(ec, a)
    r.say("u1", "Service user", ratings((1, 3, 1, 2), (3, 3, 3, 3), item="u1:c1", concern="Nobody asks"))
    r.say("f1", "Front-line professional", ratings((2, 3, 1, 2), (3, 3, 3, 3), item="u1:c1"))
    r.say("m1", "Manager", ratings((3, 5, 3, 3), (3, 3, 3, 3), item="service"))
    s = r.summary()
    assert [(x["id"], x["label"], x["count"]) for x in s["subjects"]] == [
        ("u1:c1", "Being heard", 2), ("service", "The service as a whole", 1)]
    assert [(p["parameter"], p["today"]) for p in s["subjects"][0]["parameters"]] == [
        ("significance", 1.5), ("responsibilities", 3.0), ("resources", 1.0), ("participation", 2.0)]
    assert [(f["subject"], f["parameter"], f["imbalance"], f["largest"]) for f in s["flagged"]] == [
        ("u1:c1", "resources", 2.0, True), ("service", "responsibilities", 2.0, True),
        ("u1:c1", "significance", 1.5, False)]
    assert s["concerns"] == [{"text": "Nobody asks", "role": "Service user", "subject": "Being heard"}]
    blocks = r.report()
    assert sum(isinstance(b, Chart) for b in blocks) == 2
    bullets = next(b for b in blocks if isinstance(b, BulletList)).items
    assert bullets[0] == ("Being heard: Whose skills count: today it is mostly with the professional "
                          "(average 1.0, 2 from the middle; wanted 3.0). This is the furthest.")


def test_report(room):
    blocks = room.report()
    chart = next(b for b in blocks if isinstance(b, Chart))
    assert 'role="img"' in chart.svg and "Who decides" in chart.svg
    means = next(b for b in blocks if isinstance(b, Table) and b.caption == "Averages per question")
    assert means.rows[3] == ["Who decides", "Everyone", 4, 1.75, 3.5, 1.75, 0]


def test_no_ratings_yet(plugins, ec):
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"')
    s = ec.summarise(a, [])
    assert s["flagged"] == [] and s["parameters"][0]["today"] is None
    assert ec.report(a, s, [])[0].text == "No ratings yet."


def test_dont_know_on_every_scale_is_never_averaged(plugins, ec):
    a = info(plugins, 'id = "c"\nplugin = "ethical_compass"')
    assert all(f.skip == "I don't know" for f in ec.form(a).fields if f.kind == "scale")
    r = Room(ec, a)
    r.say("u1", "Service user", ratings((1, None, 1, 1), (3, None, 3, 3)))
    r.say("u2", "Service user", ratings((3, 2, 1, 1), (3, 4, 3, None)))
    s = r.summary()
    resp = s["parameters"][1]
    assert (resp["today"], resp["desired"], resp["dont_know"]) == (2.0, 4.0, 2)
    part = s["parameters"][3]
    assert (part["desired"], part["dont_know"]) == (3.0, 1)
    assert any("was chosen 3 times" in b.text for b in r.report() if hasattr(b, "text"))


def test_plain_questions_in_every_language(plugins, ec):
    for lang, question in (("en", "Who gets to decide?"), ("fi", "Kuka saa päättää?"), ("sv", "Vem får bestämma?"),
                           ("nl", "Wie mag beslissen?"), ("es", "¿Quién puede decidir?"),
                           ("pl", "Kto może decydować?"), ("it", "Chi può decidere?"),
                           ("de", "Wer darf entscheiden?")):
        a = info(plugins, 'id = "c"\nplugin = "ethical_compass"', language=lang)
        labels = [f.label for f in ec.form(a).fields]
        assert any(label.startswith(question) for label in labels), lang
