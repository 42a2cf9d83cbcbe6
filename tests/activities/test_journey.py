"""journey: touchpoints per stage on a face scale with a word at every point and "don't
know"; results per stage and role group, lowest-rated first, with quotes and a chart.
Against a real host."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from facilitation_kit.core.agenda import AgendaError
from facilitation_kit.core.blocks import Chart, Quote
from facilitation_kit.report.results import session_results
from facilitation_kit.testing import agenda_toml

from .helpers import agenda, info


def test_the_face_scale_has_a_word_at_every_point_and_dont_know(plugins):
    jt = plugins.activity_type("journey").activity_type
    form = {f.name: f for f in jt.form(info(plugins, 'id = "j"\nplugin = "journey"')).fields}
    assert [label for _, label in form["stage"].options] == ["First contact", "Assessment", "Plan", "Support",
                                                             "Leaving the service"]
    assert form["felt"].options == (("1", "😞 Very bad"), ("2", "🙁 Bad"), ("3", "😐 Neither good nor bad"),
                                    ("4", "🙂 Good"), ("5", "😄 Very good"), ("dont_know", "I don't know"))
    de = {f.name: f for f in jt.form(info(plugins, 'id = "j"\nplugin = "journey"', language="de")).fields}
    assert de["felt"].label == "Wie hat es sich angefühlt?" and de["felt"].options[-1][1] == "Weiß ich nicht"
    with pytest.raises(AgendaError, match="twice"):
        agenda(plugins, 'id = "j"\nplugin = "journey"\nstages = ["Plan", "Plan"]')


AGENDA = agenda_toml([{"id": "journey", "plugin": "journey",
                       "stages": ["First call", "Assessment", "Support at home"]}],
                     roles=["Service user", "Front-line professional", "Manager"], min_group=3)


async def test_stages_lowest_rated_first_per_role_with_quotes(workshop_host):
    host = await workshop_host(AGENDA)
    users = [await host.phone(role="Service user") for _ in range(3)]
    staff = [await host.phone(role="Front-line professional") for _ in range(3)]
    boss = await host.phone(role="Manager")
    await host.open()
    stages = {label: value for value, label in
              ((o["value"], o["label"]) for o in users[0].activity["form"]["fields"][0]["options"])}

    async def moment(phone, stage, felt, happened, mattered=None):
        data = {"stage": stages[stage], "happened": happened, "felt": felt}
        if mattered:
            data["mattered"] = mattered
        ack = await phone.submit(data)
        assert ack["type"] == "ack", ack
        return ack

    for n, phone in enumerate(users):
        await moment(phone, "Assessment", "1", f"I had to tell my story again ({n})", "being believed")
        await moment(phone, "First call", "4", f"Someone called back the same day ({n})")
    for n, phone in enumerate(staff):
        await moment(phone, "Assessment", "4", f"The form covers everything ({n})")
        await moment(phone, "First call", "dont_know", f"I do not see the first call ({n})")
    await moment(boss, "Assessment", "5", "Our assessment is thorough")
    bad = await users[0].submit({"stage": stages["Assessment"], "happened": "x", "felt": "7"})
    assert bad["type"] == "error" and bad["code"] == "invalid"

    s = await host.summary("journey")
    json.dumps(s, allow_nan=False)
    by = {st["label"]: st for st in s["stages"]}
    assert [by_id["label"] for by_id in (next(x for x in s["stages"] if x["id"] == i) for i in s["ranked"])] == [
        "Assessment", "First call", "Support at home"]          # lowest first, unrated last
    assert by["Assessment"]["felt"]["mean"] == 2.86             # everyone, the manager too
    assert by["Assessment"]["felt"]["by_role"]["Service user"]["mean"] == 1
    assert by["Assessment"]["felt"]["by_role"]["Front-line professional"]["mean"] == 4
    assert by["First call"]["felt"]["dont_know"] == 3 and by["First call"]["felt"]["mean"] == 4
    assert by["First call"]["felt"]["by_role"]["Front-line professional"]["mean"] is None
    assert "Manager" not in json.dumps(s)
    assert by["Assessment"]["quotes"][0]["felt"] == 1           # the worst moments first

    results = session_results(host.export(), host.host.plugins)["journey"]
    md = host.report("md")
    assert "Lowest-rated stage: “Assessment”, 2.9 on average (1 = very bad, 5 = very good)." in md
    assert "At “Assessment” the roles differ most: Service user 1, Front-line professional 4 on average." in md
    chart = next(b for b in results["blocks"] if isinstance(b, Chart))
    ns = "{http://www.w3.org/2000/svg}"
    texts = [" ".join(span.text for span in t.iter(ns + "tspan")) for t in ET.fromstring(chart.svg).iter(ns + "text")]
    for word in ("1 Very bad", "2 Bad", "3 Neither good nor bad", "4 Good", "5 Very good"):
        assert texts.count(word) == 2, word   # a word at every point, top and bottom
    quotes = [b for b in results["blocks"] if isinstance(b, Quote)]
    assert quotes[0].text.startswith("I had to tell my story again") and "What mattered: being believed" in quotes[0].text
    assert quotes[0].role == "Service user" and "Manager" not in {q.role for q in quotes}
    assert [f["item"] for f in results["findings"]] == ["Assessment", "Assessment"]
    assert results["findings"][0]["roles"] == ["Service user", "Front-line professional"]
    assert [i.label for i in results["items"]] == ["Assessment", "First call"]
    assert results["items"][0].detail == "felt 2.9 on average, 7 moments"
