"""session_results: items carried over with ``from``, hidden contributions left out,
only the last vote counted, and every plugin failure contained to its own activity."""

from __future__ import annotations

import asyncio
import time
from types import ModuleType

import pytest

from facilitation_kit import hookimpl
from facilitation_kit.report import results
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.core.activity import Item, opaque_item
from facilitation_kit.report.results import activity_info, session_results


def test_the_scripted_workshop(plugins, workshop_export):
    res = session_results(workshop_export, plugins)
    assert list(res) == ["opening", "learning", "values", "roles", "compass", "priorities", "closing"]
    assert not [k for k, v in res.items() if "error" in v]
    values = res["values"]["summary"]
    assert values["count"] == 8  # the hidden card is left out
    assert "HIDDEN CARD" not in str(values)
    assert values["map"]["gaps"] == ["p1:v1", "p2:v1", "p4:v1"]
    # the compass rated the value cards carried over with from = "values"
    # (with their ids hashed, issue 11 item 11: no author ids reach the phones; the
    # stored compass ratings and votes, made before with the cards' own ids, still map)
    oid = lambda raw: opaque_item(Item(raw, ""), workshop_export["session"]["id"] or "").id  # noqa: E731
    compass = res["compass"]
    assert [i.id for i in compass["info"].items][:3] == [oid("p1:v1"), oid("p1:v2"), oid("p2:v1")]
    assert not any(":" in i.id or "p1" in i.id for i in compass["info"].items)
    assert [(s["id"], s["count"]) for s in compass["summary"]["subjects"]] == [(oid("p1:v1"), 2), ("service", 2)]
    assert [(p["parameter"], p["today"], p["desired"]) for p in compass["summary"]["parameters"]] == [
        ("significance", 2.25, 3.0), ("responsibilities", 3.0, 3.0), ("resources", 2.25, 3.25),
        ("participation", 2.0, 3.25)]
    # the dot vote ranked the role shifts; p1 voted twice and only the last vote counts
    vote = res["priorities"]["summary"]
    assert (vote["voters"], vote["submissions"], vote["dots_cast"]) == (4, 5, 19)
    assert [(i["id"], i["dots"], i["rank"]) for i in vote["items"]] == [
        (oid("p1:r1"), 6, 1), (oid("p6:r1"), 5, 2), (oid("p2:r1"), 3, 3), (oid("p5:r1"), 3, 3),
        (oid("p3:r1"), 2, 5)]
    assert vote["items"][0]["by_role"] == {"Service user": 2, "Front-line professional": 3, "Manager": 1}
    assert res["priorities"]["visible"] is True
    # plugins were given clean text: the form's cleaning ran on the way in
    ansi_card = next(c for c in values["cards"] if c["id"] == "p3:v1")
    assert "\x1b" not in ansi_card["text"] and "\x07" not in ansi_card["text"]


def test_activity_info_from_agenda_json(plugins, workshop_export):
    spec = workshop_export["agenda"]["activities"][5]
    a = activity_info(spec, roles=("Service user",), state="open", language="fi")
    assert (a.id, a.plugin, a.source, a.state, a.language, a.roles) == (
        "priorities", "dot_vote", "roles", "open", "fi", ("Service user",))
    assert a.options["dots"] == 5 and a.items == ()


def test_an_open_secret_vote_is_not_visible(plugins, workshop_export):
    next(a for a in workshop_export["activities"] if a["id"] == "priorities")["state"] = "open"
    assert session_results(workshop_export, plugins)["priorities"]["visible"] is False


def test_data_that_no_longer_fits_the_form_is_skipped(plugins, workshop_export):
    workshop_export["contributions"].append({"id": "zz", "participant": "p4", "activity": "values",
                                             "data": {"text": "old", "kind": "gone"},
                                             "created_at": "2025-03-14T11:00:00+00:00", "role": None})
    res = session_results(workshop_export, plugins)["values"]
    assert res["skipped"] == 1 and res["summary"]["count"] == 8


class Broken(ActivityType):
    name = "broken_test"
    title = "Broken"
    options = ()

    def __init__(self, how):
        self.how = how

    def form(self, activity):
        return Form([TextField("answer", label="Answer")])

    def summarise(self, activity, contributions):
        if self.how == "raise":
            raise RuntimeError("boom")
        if self.how == "hang":
            time.sleep(3)
        if self.how == "garbage":
            return {"value": object()}
        if self.how == "async":
            async def later():
                await asyncio.sleep(0)
                return {"count": len(contributions)}
            return later()
        return {"count": len(contributions)}


def host_with(how):
    module = ModuleType(f"broken_{how}")
    module.register_activities = hookimpl(lambda register: register(Broken(how)))
    return load_plugins(extra=[(f"broken_{how}", module)])


def export_with_broken(workshop_export):
    workshop_export["agenda"]["activities"].insert(1, {"id": "bad", "plugin": "broken_test", "title": "Bad",
                                                       "prompt": "", "options": {}, "from": None})
    workshop_export["contributions"].append({"id": "b1", "participant": "p1", "activity": "bad",
                                             "data": {"answer": "hi"}, "created_at": "2025-03-14T11:00:00+00:00",
                                             "role": "Service user"})
    return workshop_export


@pytest.mark.parametrize("how, words", [("raise", "summarise() failed: RuntimeError: boom"),
                                        ("hang", "summarise() did not finish in time"),
                                        ("garbage", "not JSON")])
def test_a_failing_plugin_costs_only_its_activity(workshop_export, monkeypatch, how, words):
    monkeypatch.setattr(results, "CALL_TIMEOUT", 0.5)
    res = session_results(export_with_broken(workshop_export), host_with(how))
    assert words in res["bad"]["error"]
    assert res["values"]["summary"]["count"] == 8 and "error" not in res["priorities"]


def test_an_awaitable_result_is_awaited(workshop_export):
    res = session_results(export_with_broken(workshop_export), host_with("async"))
    assert res["bad"]["summary"] == {"count": 1}


def test_a_missing_plugin_is_an_error_for_that_activity(plugins, workshop_export):
    workshop_export["agenda"]["activities"][0]["plugin"] = "not_installed"
    res = session_results(workshop_export, plugins)
    assert "not installed" in res["opening"]["error"]
    assert "summary" in res["values"]


def test_role_helpers():
    from facilitation_kit.core.activity import ActivityInfo
    a = ActivityInfo(id="x", plugin="p", title="t", prompt="", options={}, roles=("Service user", "Manager"))
    cs = [{"role": "Manager"}, {"role": None}, {"role": "Visitor"}, {"role": "Service user"}]
    assert results.role_order(a, cs) == ["Service user", "Manager", "Visitor", "No role given"]
    assert results.mean([1, 2, 2]) == 1.67 and results.mean([]) is None
    votes = [{"participant": "a", "created_at": "2", "n": 1}, {"participant": "b", "created_at": "1", "n": 2},
             {"participant": "a", "created_at": "3", "n": 3}, {"participant": "a", "created_at": "3", "n": 4}]
    assert [v["n"] for v in results.latest_per_participant(votes)] == [2, 4]
