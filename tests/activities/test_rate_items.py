"""rate_items: everyone rates the same items, from a ranked source or the agenda; averages
per role group under the small-group rule; the largest difference in a sentence; the
chart; findings for the report's first page. Against a real host where it counts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from facilitation_kit import scale_averages
from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart
from facilitation_kit.report.results import session_results
from facilitation_kit.testing import agenda_toml

from .helpers import agenda, info

ITEMS = ["Same worker every time", "Time to talk", "Forms online"]
ROLES = ["Service user", "Front-line professional", "Manager"]


@pytest.fixture
def ri(plugins):
    return plugins.activity_type("rate_items").activity_type


def test_default_scales_each_with_dont_know(plugins, ri):
    a = info(plugins, 'id = "r"\nplugin = "rate_items"\nitems = ["Same worker every time", "Time to talk"]')
    fields = ri.form(a).to_json()["fields"]
    assert len(fields) == 4
    assert fields[0]["label"] == "Same worker every time — How important is it?"
    assert (fields[0]["min_label"], fields[0]["max_label"]) == ("Not important", "Very important")
    assert fields[1]["label"] == "Same worker every time — How well does the service do it today?"
    assert (fields[1]["min_label"], fields[1]["max_label"]) == ("Very badly", "Very well")
    assert all(f["kind"] == "scale" and f["skip"] == {"label": "I don't know"} and f["max"] == 5 for f in fields)
    fi = info(plugins, 'id = "r"\nplugin = "rate_items"\nitems = ["Aika"]', language="fi")
    assert [f.label for f in ri.form(fi).fields] == ["Aika — Kuinka tärkeää se on?",
                                                     "Aika — Kuinka hyvin palvelu tekee sen nyt?"]


def test_own_scales_by_language(plugins, ri):
    snippet = ('id = "r"\nplugin = "rate_items"\nitems = ["Peer groups"]\npoints = 4\n'
               'scales = [{ id = "fair", question = { en = "Is it fair?", fi = "Onko se reilua?" }, '
               'low = "Not fair", high = "Fair" }]')
    form = ri.form(info(plugins, snippet, language="fi")).fields
    assert [(f.name.split("/")[1], f.label, f.max, f.min_label) for f in form] == [
        ("fair", "Peer groups — Onko se reilua?", 4, "Not fair")]


@pytest.mark.parametrize("snippet, words", [
    ("", "nothing to rate"),
    ('items = ["A", "A"]', "twice"),
    ('items = ["A"]\nscales = [{ question = "Q", colour = "red" }]', "unknown key 'colour'"),
    ('items = ["A"]\nscales = [{ low = "x" }]', "needs a question"),
    ('items = ["A"]\nscales = [{ question = "Q", id = "a" }, { question = "R", id = "a" }]', "same id"),
    ('items = ["A"]\npoints = 9', "at most 7"),
    ("items = [" + ", ".join(f'"i{n}"' for n in range(16)) + "]", "at most 15"),
])
def test_bad_options_name_the_field(plugins, snippet, words):
    with pytest.raises(AgendaError) as err:
        agenda(plugins, f'id = "r"\nplugin = "rate_items"\n{snippet}')
    assert err.value.activity == "r" and words in str(err.value)


AGENDA = agenda_toml([
    {"id": "vote", "plugin": "dot_vote", "items": ITEMS, "dots": 3, "max_per_item": 3,
     "hide_results_until_closed": False},
    {"id": "rate", "plugin": "rate_items", "from": "vote", "min_difference": 1.0},
], roles=ROLES, min_group=3)


async def test_everyone_rates_the_ranked_items_on_a_real_host(workshop_host):
    host = await workshop_host(AGENDA)
    users = [await host.phone(role="Service user") for _ in range(3)]
    staff = [await host.phone(role="Front-line professional") for _ in range(3)]
    boss = await host.phone(role="Manager")  # a lone manager: never shown as a group
    await host.open()
    vote_items = {label: iid for iid, label in
                  ((i["id"], i["label"]) for i in users[0].activity["form"]["fields"][0]["items"])}
    for phone in users + staff + [boss]:   # "Time to talk" first, then "Same worker", "Forms online"
        ack = await phone.submit({"dots": {vote_items["Time to talk"]: 2, vote_items["Same worker every time"]: 1}})
        assert ack["type"] == "ack"
    await host.close()
    await host.goto("rate")
    await host.open()
    fields = users[0].activity["form"]["fields"]
    assert [f["label"].split(" — ")[0] for f in fields[::2]] == ["Time to talk", "Same worker every time",
                                                                 "Forms online"]  # ranked order
    names = [f["name"] for f in fields]
    # the vote's items reach rate_items with opaque ids of their own (issue 11, item 11)
    rated = {f["label"].split(" — ")[0]: f["name"].split("/")[0] for f in fields[::2]}

    def answers(same_worker_support, time_importance=4):
        out = {n: 3 for n in names}
        out[f"{rated['Same worker every time']}/support"] = same_worker_support
        out[f"{rated['Time to talk']}/importance"] = time_importance
        return out

    for phone, support in zip(users, (1, 2, 1)):
        assert (await phone.submit(answers(support)))["type"] == "ack"
    for phone, support in zip(staff, (4, 5, 4)):
        assert (await phone.submit(answers(support)))["type"] == "ack"
    assert (await boss.submit(answers(5, time_importance=1)))["type"] == "ack"
    # "don't know" counts as an answer, never as a number; only the last answers count
    assert (await users[2].submit(answers(None)))["type"] == "ack"
    bad = await users[0].submit({**answers(1), names[0]: 6})
    assert bad["type"] == "error" and bad["code"] == "invalid"

    s = await host.summary("rate")
    json.dumps(s, allow_nan=False)
    assert s["count"] == 7 and s["submissions"] == 8 and s["roles"] == ["Service user", "Front-line professional"]
    same = next(i for i in s["items"] if i["label"] == "Same worker every time")["scales"]["support"]
    assert (same["mean"], same["dont_know"]) == (3.5, 1)  # everyone, the manager included
    # two service users gave a number: fewer than min_group, so no average is shown for them
    assert same["by_role"]["Service user"] == {"mean": None, "count": 2, "dont_know": 1, "too_few": True}
    assert same["by_role"]["Front-line professional"]["mean"] == 4.33
    assert "Manager" not in json.dumps(s)

    # with the third user's number back, the difference is there, and said in a sentence
    assert (await users[2].submit(answers(1)))["type"] == "ack"
    s = await host.summary("rate")
    assert s["largest"]["item_label"] == "Same worker every time" and s["largest"]["scale"] == "support"
    assert (s["largest"]["a"], s["largest"]["b"]) == (1.33, 4.33)
    assert "hidden until this activity is closed" in host.report("md")  # not while people still rate
    await host.close()
    md = host.report("md")
    assert ("The biggest difference between roles: “Same worker every time”, how well it is done today: "
            "Service user 1.3, Front-line professional 4.3 on average (on a scale of 1 to 5).") in md
    assert "Manager 5" not in md

    results = session_results(host.export(), host.host.plugins)
    findings = results["rate"]["findings"]
    assert findings[0]["item"] == "Same worker every time"
    assert findings[0]["roles"] == ["Service user", "Front-line professional"]
    assert findings[0]["size"] == pytest.approx(3 / 4)
    assert all(f["size"] <= findings[0]["size"] for f in findings)
    charts = [b for b in results["rate"]["blocks"] if isinstance(b, Chart)]
    assert len(charts) == 2 and "How well does the service do it today? Average by role" in charts[1].svg
    # later activities get the items ranked by the first scale
    items = results["rate"]["items"]
    assert items[0].label == "Time to talk" and "how important it is: 3.6" in items[0].detail


async def test_results_stay_off_the_screen_until_closed(workshop_host, plugins):
    host = await workshop_host(agenda_toml([{"id": "rate", "plugin": "rate_items", "items": ["Peer groups"]}]))
    await host.open()
    assert (await host.results("rate"))["visible"] is False
    await host.close()
    assert (await host.results("rate"))["visible"] is True


EVIL = "<script>alert(1)</script> & a very long label that has to wrap over more than one line of the chart"


def test_the_chart_labels_every_point_wraps_labels_and_needs_no_colour():
    svg = scale_averages("How well? " + EVIL, [(EVIL, {"Everyone": 3.2, "Service user": 1.4, "Staff": None}),
                                              ("Time", {"Everyone": 4, "Service user": 4.5, "Staff": 3.5})],
                         ["Everyone", "Service user", "Staff"], low=1, high=5,
                         point_labels=["Very badly", "Badly", "So-so", "Well", "Very well"])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    for point in ("1 Very badly", "2 Badly", "3 So-so", "4 Well", "5 Very well"):
        assert texts.count(point) == 2, point   # top and bottom axis
    labels = [t for t in root.iter(ns + "text") if "<script>" in "".join(t.itertext())]
    assert len(labels) == 2   # the title and the item
    for label in labels:     # wrapped, not cut
        assert len(list(label.iter(ns + "tspan"))) >= 2
        assert "one line of the chart" in " ".join(t.text for t in label.iter(ns + "tspan"))
    assert "<script>" not in svg
    # each series has its own marker shape: circle, square, triangle (not only a colour)
    assert svg.count("<circle") >= 3 and svg.count("<rect") >= 3 and svg.count("<polygon") >= 2
    assert "–" in texts   # no answer: a dash, no marker
    assert "Service user 1.4" in root.find(ns + "desc").text
    with pytest.raises(ValueError, match="one per point"):
        scale_averages("x", [], ["a"], point_labels=["one"])
    empty = scale_averages("Nothing", [], [])
    assert "No data yet." in empty and ET.fromstring(empty) is not None
