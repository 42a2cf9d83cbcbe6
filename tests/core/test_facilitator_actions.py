"""Facilitator actions (docs/plugin_hooks.md, "Facilitator actions"): a plugin's own
actions, listed and run over a real facilitator channel on loopback against a real host
and its files; value mapping's "Classify the card"."""

from __future__ import annotations

import time

import facilitation_kit as fk
from facilitation_kit.core.state import contribution_key
from facilitation_kit.testing import agenda_toml, start_test_host

AGENDA = agenda_toml([{"id": "values", "plugin": "value_mapping", "prompt": "What does the service give?"},
                      {"id": "q1", "plugin": "open_question", "prompt": "Anything else?"}],
                     roles=["Service user", "Front-line professional", "Manager"])


class Tagging(fk.ActivityType):
    """An activity whose actions misbehave on purpose."""

    name = "tagging"

    def form(self, activity):
        return fk.Form([fk.TextField("text", "Your words", max_length=40),
                        fk.ChoiceField("tag", "Tag", options=[("a", "A"), ("b", "B")], required=False)])

    def facilitator_actions(self, activity):
        return [fk.FacilitatorAction("tag", "Tag it", choices=[("a", "A"), ("b", "B"), ("z", "Not in the form")]),
                fk.FacilitatorAction("rename", "Rewrite", text=True, max_length=40),
                fk.FacilitatorAction("boom", "Raise"),
                fk.FacilitatorAction("hang", "Hang"),
                fk.FacilitatorAction("refuse", "Refuse"),
                fk.FacilitatorAction("note", "Note on the activity", applies_to="activity")]

    def run_facilitator_action(self, activity, action_id, contribution, value):
        if action_id == "tag":
            return {**contribution["data"], "tag": value}
        if action_id == "rename":
            return {**contribution["data"], "text": value}
        if action_id == "boom":
            raise RuntimeError("the plugin broke")
        if action_id == "hang":
            time.sleep(2)
            return None
        if action_id == "refuse":
            raise fk.Invalid({"value": "not today"})
        return None


class BadActions(fk.ActivityType):
    name = "bad_actions"

    def form(self, activity):
        return fk.Form([fk.TextField("text", "Words")])

    def facilitator_actions(self, activity):
        return [{"id": "not an action"}]


async def test_value_cards_are_classified_by_the_facilitator_and_results_follow(workshop_host, tmp_path):
    host = await workshop_host(AGENDA)
    f = host.facilitator
    await host.open()
    ana = await host.phone(role="Service user")
    ben = await host.phone(role="Manager")
    unclassified = await ana.submit({"text": "Same worker every time"})  # the kind is skippable
    assert unclassified["type"] == "ack", unclassified
    assert "kind" not in unclassified["contribution"]["data"]
    classified = await ben.submit({"text": "Visits counted", "kind": "output"})

    listed = await f.send_command("facilitator_actions", activity="values")
    assert listed["type"] == "ok", listed
    [action] = listed["actions"]
    assert action["id"] == "classify" and action["label"] == "Classify the card"
    assert action["applies_to"] == "contribution" and action["value"] == "choice"
    values = [c["value"] for c in action["choices"]]
    assert values == ["created", "output", "outcome", "missed", "destroyed", "idea", "not_said"]
    assert action["choices"][2]["label"] == "Something that matters in a person's life"
    before = (await host.summary("values"))["kinds"]
    assert {k["kind"]: k["count"] for k in before}["not_said"] == 1

    cid = unclassified["contribution"]["id"]
    f.events.clear()
    ok = await f.send_command("facilitator_action", activity="values", action="classify",
                              participant=ana.id, id=cid, value="outcome")
    assert ok["type"] == "ok", ok
    assert ok["changed"] is True and ok["contribution"]["data"] == {"text": "Same worker every time",
                                                                   "kind": "outcome"}
    assert ok["contribution"]["participant"] == ana.id and ok["contribution"]["edited_by_facilitator"] is True
    # through the journal (an ops event), then the edited event, with the author's role
    kinds = [e["type"] for e in f.events]  # they come before the ok
    assert kinds.index("ops") < kinds.index("edited")
    edited = next(e for e in f.events if e["type"] == "edited")
    assert edited["role"] == "Service user" and edited["contribution"]["data"]["kind"] == "outcome"
    summary = await host.summary("values")
    counts = {k["kind"]: k["count"] for k in summary["kinds"]}
    assert counts["outcome"] == 1 and counts["output"] == 1 and "not_said" not in counts
    # re-classify, then take the kind away again
    again = await f.send_command("facilitator_action", activity="values", action="classify",
                                 participant=ben.id, id=classified["contribution"]["id"], value="not_said")
    assert again["type"] == "ok" and "kind" not in again["contribution"]["data"]
    same = await f.send_command("facilitator_action", activity="values", action="classify",
                                participant=ben.id, id=classified["contribution"]["id"], value="not_said")
    assert same["type"] == "ok" and same["changed"] is False
    # the exports say so; the report counts the card under the facilitator's kind
    export = host.export()
    row = next(c for c in export["contributions"] if c["id"] == cid)
    assert row["edited_by_facilitator"] is True and row["edited_at"] and row["participant"] == ana.id
    report = host.report("md")
    assert "Something that matters in a person's life: 1" in report
    # the phone's own copy shows the facilitator's kind
    mine = await ana.sync()
    assert mine["mine"][0]["data"]["kind"] == "outcome"


async def test_facilitator_action_errors(workshop_host):
    host = await workshop_host(AGENDA)
    f = host.facilitator
    await host.open()
    ana = await host.phone(role="Service user")
    card = (await ana.submit({"text": "A card"}))["contribution"]

    async def run(**fields):
        return await f.send_command("facilitator_action", **fields)

    assert (await f.send_command("facilitator_actions", activity="nope"))["code"] == "unknown_activity"
    assert (await f.send_command("facilitator_actions", activity="q1")) ["actions"] == []  # a plugin without any
    assert (await run(activity="nope", action="classify"))["code"] == "unknown_activity"
    assert (await run(activity="values", action="fly", participant=ana.id, id=card["id"]))["code"] == "unknown_action"
    assert (await run(activity="values", action="classify", value="outcome"))["code"] == "unknown_contribution"
    assert (await run(activity="values", action="classify", participant=ana.id, id="nope",
                      value="outcome"))["code"] == "unknown_contribution"
    bad = await run(activity="values", action="classify", participant=ana.id, id=card["id"], value="happy")
    assert bad["code"] == "invalid" and "value" in bad["fields"]
    assert (await run(activity="values", action="classify", participant=ana.id, id=card["id"],
                      value=["outcome"]))["code"] == "bad_message"
    assert (await run(activity="values", participant=ana.id))["code"] == "bad_message"
    await ana.withdraw(card["id"])
    assert (await run(activity="values", action="classify", participant=ana.id, id=card["id"],
                      value="outcome"))["code"] == "unknown_contribution"
    # a card of another activity
    await host.next()
    await host.open()
    other = (await ana.submit({"answer": "Elsewhere"}))["contribution"]
    assert (await run(activity="values", action="classify", participant=ana.id, id=other["id"],
                      value="outcome"))["code"] == "unknown_contribution"
    assert [c for c in host.workshop.contributions("values")] == []


async def test_a_plugin_that_raises_hangs_or_misbehaves_is_contained(workshop_host):
    agenda = agenda_toml([{"id": "t", "plugin": "tagging", "prompt": "Words?"},
                          {"id": "bad", "plugin": "bad_actions", "prompt": "More?"}],
                         roles=["Service user", "Manager"])
    host = await workshop_host(agenda, activities=[Tagging(), BadActions()], plugin_timeout=0.5)
    f = host.facilitator
    await host.open()
    ana = await host.phone(role="Service user")
    card = (await ana.submit({"text": "Hello"}))["contribution"]
    target = {"activity": "t", "participant": ana.id, "id": card["id"]}

    ok = await f.send_command("facilitator_action", action="tag", value="b", **target)
    assert ok["type"] == "ok" and ok["contribution"]["data"] == {"text": "Hello", "tag": "b"}
    # free text: the form's own cleaning applies
    ok = await f.send_command("facilitator_action", action="rename", value="  Hi there  ", **target)
    assert ok["contribution"]["data"]["text"] == "Hi there"
    too_long = await f.send_command("facilitator_action", action="rename", value="x" * 41, **target)
    assert too_long["code"] == "invalid"
    # data that does not fit the form is the plugin's failure, and nothing is stored
    unfit = await f.send_command("facilitator_action", action="tag", value="z", **target)
    assert unfit["code"] == "plugin_error" and "does not fit the form" in unfit["message"]
    raised = await f.send_command("facilitator_action", action="boom", **target)
    assert raised["code"] == "plugin_error" and "RuntimeError" in raised["message"]
    refused = await f.send_command("facilitator_action", action="refuse", **target)
    assert refused["code"] == "invalid" and refused["fields"] == {"value": "not today"}
    hung = await f.send_command("facilitator_action", action="hang", **target)
    assert hung["code"] == "plugin_error" and "longer than" in hung["message"]
    activity_action = await f.send_command("facilitator_action", activity="t", action="note")
    assert activity_action["code"] == "plugin_error"  # cooling down after the hang: still contained
    assert host.workshop.contributions("t")[0]["data"] == {"text": "Hi there", "tag": "b"}
    listed = await f.send_command("facilitator_actions", activity="bad")
    assert listed["code"] == "plugin_error" and "FacilitatorAction" in listed["message"]
    # the workshop goes on: phones still submit, other commands still work
    assert (await ana.submit({"text": "Still here"}))["type"] == "ack"
    assert (await f.send_command("contributions", activity="t"))["type"] == "ok"


async def test_the_new_data_survives_a_restart(tmp_path):
    data_dir = tmp_path / "data"
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    async with start_test_host(agenda, data_dir=data_dir) as host:
        await host.open()
        ana = await host.phone(role="Service user")
        card = (await ana.submit({"text": "Kept", "kind": "idea"}))["contribution"]
        ok = await host.facilitator.send_command("facilitator_action", activity="values", action="classify",
                                                 participant=ana.id, id=card["id"], value="destroyed")
        assert ok["type"] == "ok", ok
        session_id = host.workshop.session_id
    async with start_test_host(agenda, data_dir=data_dir, resume=session_id) as host:
        doc = host.workshop.tables["contributions"][contribution_key(ana.id, card["id"])]
        assert doc["data"] == {"text": "Kept", "kind": "destroyed"} and doc["edited_by_facilitator"] is True
        assert doc["participant"] == ana.id and doc["role"] == "Service user"
        summary = await host.summary("values")
        assert {k["kind"]: k["count"] for k in summary["kinds"]}["destroyed"] == 1
