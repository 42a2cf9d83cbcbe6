"""`from` v2: ``top = N`` takes the first N of the source's ranking (the plugin API
``ranked_items``; a dot vote ranks by dots) and ``from_kinds`` keeps only items of some
kinds (value cards); live in the engine and in the report from an export."""

from __future__ import annotations

import pytest

from facilitation_kit.core.activity import ActivityType, Item, select_items, source_method
from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.engine import Workshop
from facilitation_kit.core.memory_store import MemoryStore
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.report.results import session_results

AGENDA = """
title = "Top three"
roles = ["Service user", "Manager"]
min_group = 1
[[activity]]
id = "values"
plugin = "value_mapping"
[[activity]]
id = "vote"
plugin = "dot_vote"
from = "values"
from_kinds = ["missed", "destroyed"]
dots = 5
[[activity]]
id = "compass"
plugin = "ethical_compass"
from = "vote"
top = 2
include_service = false
"""

CARDS = [("Same worker every time", "missed"), ("Sanctions when I miss a meeting", "destroyed"),
         ("Forms processed per week", "output"), ("Having to retell my story", "destroyed")]


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


def test_select_items_filters_kinds_then_takes_the_top():
    items = [Item("a", "A", kind="missed"), Item("b", "B", kind="output"), Item("c", "C", kind="missed"),
             Item("d", "D", kind="destroyed")]
    assert [i.id for i in select_items(items, 2, ("missed", "destroyed"))] == ["a", "c"]
    assert [i.id for i in select_items(items, None, ("destroyed",))] == ["d"]
    assert [i.id for i in select_items(items, 3)] == ["a", "b", "c"]
    assert select_items(items) == items


def test_ranked_items_defaults_to_items_and_the_vote_has_its_own(plugins):
    class Plain(ActivityType):
        name = "plain"

    assert source_method(Plain(), 3) == "items" and source_method(Plain(), None) == "items"
    vote = plugins.activity_type("dot_vote").activity_type
    assert source_method(vote, 3) == "ranked_items" and source_method(vote, None) == "items"


@pytest.mark.parametrize("snippet, field, words", [
    ("top = 3", "top", 'needs "from"'),
    ('from = "values"\ntop = 0', "top", "from 1 to 100"),
    ('from = "values"\ntop = "three"', "top", "from 1 to 100"),
    ('from_kinds = ["missed"]', "from_kinds", 'needs "from"'),
    ('from = "values"\nfrom_kinds = ["lost"]', "from_kinds", "'lost' is not one of 'values''s kinds"),
    ('from = "values"\nfrom_kinds = []', "from_kinds", "a list of kinds"),
    ('from = "story"\nfrom_kinds = ["missed"]', "from_kinds", "'story' offers no kinds"),
    ('from = "values"\nfrom_themes = true\ntop = 3', "top", "takes every confirmed theme"),
    ('from = "values"\nfrom_themes = true\nfrom_kinds = ["missed"]', "from_kinds", "takes every confirmed theme"),
])
def test_bad_top_and_kinds_name_the_field(plugins, snippet, field, words):
    text = ('title = "x"\n[[activity]]\nid = "story"\nplugin = "open_question"\n'
            '[[activity]]\nid = "values"\nplugin = "value_mapping"\n'
            f'[[activity]]\nid = "vote"\nplugin = "dot_vote"\nitems = ["A"]\n{snippet}\n')
    with pytest.raises(AgendaError) as err:
        parse_agenda(text, plugins, path="a.toml")
    assert (err.value.activity, err.value.field) == ("vote", field)
    assert words in str(err.value)


async def run_room(plugins):
    agenda = parse_agenda(AGENDA, plugins, path="top.toml")
    w = await Workshop.start(agenda, plugins, MemoryStore(), session_id="s-top")
    people = [(await w.join(role=r))[0]["id"] for r in ("Service user", "Service user", "Manager")]
    await w.open()
    for n, (text, kind) in enumerate(CARDS):
        await w.submit(people[n % 3], f"v{n}", "values", {"text": text, "kind": kind})
    await w.goto("vote")
    await w.open()
    vote = await w.views.info("vote")
    assert [i.label for i in vote.items] == ["Same worker every time", "Sanctions when I miss a meeting",
                                             "Having to retell my story"]          # the output card is left out
    ids = {i.label: i.id for i in vote.items}
    sanctions, retell, same = ids["Sanctions when I miss a meeting"], ids["Having to retell my story"], \
        ids["Same worker every time"]
    await w.submit(people[0], "d1", "vote", {"dots": {sanctions: 3, retell: 2}})
    await w.submit(people[1], "d1", "vote", {"dots": {sanctions: 2, same: 1}})
    await w.submit(people[2], "d1", "vote", {"dots": {retell: 3, same: 2}})
    return w, [sanctions, retell]


async def test_the_compass_runs_on_the_top_two_of_the_vote_live(plugins):
    w, top = await run_room(plugins)
    await w.close()
    compass = await w.views.info("compass")
    assert [i.id for i in compass.items] == top                     # sanctions 5, retell 5 > same 3
    assert compass.items[0].kind == "destroyed"
    form = plugins.activity_type("ethical_compass").activity_type.form(compass)
    assert [v for v, _ in form.fields[0].options] == top


async def test_the_report_takes_the_same_top_two(plugins):
    w, top = await run_room(plugins)
    await w.close()
    res = session_results(w.export(), plugins)
    assert [i.id for i in res["compass"]["info"].items] == top
    assert all(i.kind in ("missed", "destroyed") for i in res["vote"]["info"].items)
