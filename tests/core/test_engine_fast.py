"""Engine rules on the in-memory store: no files, no sockets, milliseconds per test.

The same rules run on the durable store through the host in tests/core/test_protocol.py
and the fault suite; here each rule is checked directly against ``Workshop``.
"""

import asyncio

import pytest

from facilitation_kit.core import events as ev
from facilitation_kit.core.agenda import parse_agenda
from facilitation_kit.core.engine import Workshop, WorkshopError
from facilitation_kit.core.memory_store import MemoryStore
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.core.protocol import COMMANDS, BadCommand, LocalChannel, dispatch
from facilitation_kit.core.state import WorkshopState

AGENDA = """
title = "Fast"
roles = ["Service user", "Manager"]
[[activity]]
id = "ideas"
plugin = "open_question"
prompt = "What helps?"
[[activity]]
id = "later"
plugin = "open_question"
prompt = "And then?"
"""


@pytest.fixture(scope="module")
def plugins():
    return load_plugins()


async def new_workshop(plugins, store=None):
    store = store or MemoryStore()
    agenda = parse_agenda(AGENDA, plugins, path="fast.toml")
    w = await Workshop.start(agenda, plugins, store, session_id="s-fast")
    events = []
    w.subscribe(events.append)
    return w, store, events


async def test_a_contribution_is_stored_before_it_is_applied_and_announced(plugins):
    w, store, events = await new_workshop(plugins)
    doc, token, resumed = await w.join(name="Ana", role="Service user")
    w.connect(doc["id"], resumed=False)
    await w.open()
    ack = await w.submit(doc["id"], "c1", "ideas", {"answer": "Being listened to"})
    assert ack["contribution"]["data"] == {"answer": "Being listened to"}
    assert store.tables["contributions"][f"{doc['id']}/c1"]["data"] == {"answer": "Being listened to"}
    stored = [e for e in events if isinstance(e, ev.Stored)]
    added = [i for i, e in enumerate(events) if isinstance(e, ev.ContributionAdded)]
    assert stored and added and events.index(stored[-1]) < added[0]
    # resent: the same ack, nothing stored twice
    assert await w.submit(doc["id"], "c1", "ideas", {"answer": "other"}) == ack
    assert len(w.contributions("ideas")) == 1


async def test_a_failed_write_changes_nothing_and_is_reported_once(plugins):
    w, store, events = await new_workshop(plugins)
    doc, _, _ = await w.join(role="Manager")
    await w.open()
    store.fail_with = "disk full"
    for n in range(2):
        with pytest.raises(WorkshopError) as info:
            await w.submit(doc["id"], f"c{n}", "ideas", {"answer": "x"})
        assert info.value.code == "unavailable"
    assert w.contributions("ideas") == []
    assert [e.message for e in events if isinstance(e, ev.StorageProblem)] == ["disk full"]
    store.fail_with = None
    await w.submit(doc["id"], "c9", "ideas", {"answer": "x"})
    assert [e.message for e in events if isinstance(e, ev.StorageProblem)] == ["disk full", None]


async def test_every_activity_state_change_is_an_event_even_off_the_current_activity(plugins):
    w, store, events = await new_workshop(plugins)
    await w.open()
    await w.set_timer(0.05, close_at_end=True)
    await w.next()  # the timer runs out while another activity is current
    for _ in range(100):
        if w.activity_state("ideas")["state"] == "closed":
            break
        await asyncio.sleep(0.01)
    changes = [e for e in events if isinstance(e, ev.ActivityStateChanged) and e.activity == "ideas"]
    assert changes[-1].state["state"] == "closed" and w.current_id == "later"
    assert store.tables["activities"]["ideas"]["state"] == "closed"
    await w.aclose()


async def test_erase_removes_everything_and_revokes_the_token(plugins):
    w, store, events = await new_workshop(plugins)
    doc, token, _ = await w.join(name="Ana", role="Service user")
    await w.open()
    await w.submit(doc["id"], "c1", "ideas", {"answer": "mine"})
    assert await w.erase_participant(doc["id"]) == 1
    assert w.contributions() == [] and w.participant(doc["id"]) is None
    assert not any(doc["id"] in key for key in store.tables["contributions"])
    with pytest.raises(WorkshopError) as info:
        await w.join(token=token)
    assert info.value.code == "bad_token"


async def test_a_submission_in_flight_never_outlives_the_erase_of_its_author(plugins):
    for yields in range(12):  # the erase lands at each point of the submission's way
        w, store, _ = await new_workshop(plugins)
        doc, _, _ = await w.join(role="Service user")
        await w.open()
        pending = [asyncio.ensure_future(w.submit(doc["id"], f"c{n}", "ideas", {"answer": "x"}))
                   for n in range(3)]
        for _ in range(yields):
            await asyncio.sleep(0)
        await w.erase_participant(doc["id"])
        await asyncio.gather(*pending, return_exceptions=True)
        assert not any(c["participant"] == doc["id"] for c in store.tables.get("contributions", {}).values())
        with pytest.raises(WorkshopError) as info:
            await w.submit(doc["id"], "late", "ideas", {"answer": "y"})
        assert info.value.code == "not_joined"


async def test_resume_keeps_what_was_stored(plugins):
    w, store, _ = await new_workshop(plugins)
    doc, token, _ = await w.join(role="Manager")
    await w.open()
    await w.submit(doc["id"], "c1", "ideas", {"answer": "kept"})
    again = await Workshop.resume(w.agenda, plugins, store.reopened())
    assert [c["data"]["answer"] for c in again.contributions("ideas")] == ["kept"]
    assert (await again.join(token=token))[2] is True


async def test_a_copy_fed_the_stored_operations_answers_like_the_engine(plugins):
    w, store, events = await new_workshop(plugins)
    copy = WorkshopState(w.agenda, WorkshopState.tables_from_snapshot(w.snapshot()))
    w.subscribe(lambda e: copy.apply(e.ops) if isinstance(e, ev.Stored) else None)
    a, _, _ = await w.join(name="A", role="Manager")
    b, _, _ = await w.join(role="Service user")
    await w.open()
    await w.submit(a["id"], "1", "ideas", {"answer": "one"})
    await w.submit(b["id"], "2", "ideas", {"answer": "two"})
    await w.set_hidden(a["id"], "1", True)
    await w.withdraw(b["id"], "2")
    await w.erase_participant(a["id"])
    assert copy.agenda_view() == w.agenda_view()
    assert copy.contributions(include_hidden=True) == w.contributions(include_hidden=True)
    assert [p["id"] for p in copy.participants()] == [p["id"] for p in w.participants()]
    assert copy.export()["contributions"] == w.export()["contributions"]


async def test_the_protocol_table_checks_fields_before_anything_runs(plugins):
    w, _, _ = await new_workshop(plugins)
    with pytest.raises(BadCommand) as info:
        await dispatch(w, {"type": "timer", "seconds": "soon"})
    assert info.value.code == "bad_message"
    with pytest.raises(BadCommand) as info:
        await dispatch(w, {"type": "add_time", "seconds": 99999})
    assert "between -3600 and 3600" in info.value.message
    with pytest.raises(BadCommand) as info:
        await dispatch(w, {"type": "launch_rockets"})
    assert info.value.code == "unknown_type"
    assert (await dispatch(w, {"type": "agenda"}))["agenda"][0]["id"] == "ideas"
    channel = LocalChannel(w)
    assert (await channel.request("open"))["type"] == "ok"
    assert w.activity_state("ideas")["state"] == "open"
    with pytest.raises(WorkshopError) as info:
        await channel.request("goto", activity="nowhere")
    assert info.value.code == "unknown_activity"
    assert set(COMMANDS) >= {"next", "previous", "goto", "open", "close", "timer", "hide", "unhide",
                             "lock", "unlock"}


async def test_results_carry_the_plugins_report_blocks_and_info(plugins):
    w, _, _ = await new_workshop(plugins)
    doc, _, _ = await w.join(role="Manager")
    await w.open()
    await w.submit(doc["id"], "c1", "ideas", {"answer": "kept"})
    reply = await dispatch(w, {"type": "results", "activity": "ideas"})
    assert reply["results"] and reply["info"]["id"] == "ideas" and reply["blocks"]
    assert all("block" in b for b in reply["blocks"])


async def test_a_contribution_keeps_the_role_it_was_made_in_old_rows_fall_back(plugins):
    w, store, _ = await new_workshop(plugins)
    doc, _, _ = await w.join(role="Service user")
    await w.open()
    await w.submit(doc["id"], "c1", "ideas", {"answer": "before"})
    await w.set_profile(doc["id"], role="Manager")
    await w.submit(doc["id"], "c2", "ideas", {"answer": "after"})
    assert [c["role"] for c in w.contributions("ideas")] == ["Service user", "Manager"]
    # a row stored before roles were kept with contributions: the author's role now
    old = {k: v for k, v in store.tables["contributions"][f"{doc['id']}/c1"].items() if k != "role"}
    store.tables["contributions"][f"{doc['id']}/c1"] = old
    again = await Workshop.resume(w.agenda, plugins, store.reopened())
    assert [c["role"] for c in again.contributions("ideas")] == ["Manager", "Manager"]
    assert [c["role"] for c in again.export()["contributions"]] == ["Manager", "Manager"]


async def test_moderated_in_the_agenda_starts_with_approve_before_showing(plugins):
    text = AGENDA.replace('id = "later"\n', 'id = "later"\nmoderated = true\n')
    agenda = parse_agenda(text, plugins, path="fast.toml")
    assert agenda.activity("later").moderated and not agenda.activity("ideas").moderated
    assert agenda.activity("later").to_json()["moderated"] is True
    w = await Workshop.start(agenda, plugins, MemoryStore(), session_id="s-mod")
    assert w.tables["activities"]["later"]["moderated"] is True
    assert not w.tables["activities"]["ideas"].get("moderated")
    doc, _, _ = await w.join(role="Manager")
    await w.goto("later")
    await w.open()
    ack = await w.submit(doc["id"], "c1", "later", {"answer": "waits for approval"})
    assert ack["contribution"].get("hidden") is True
    # the facilitator may turn it off; a restart of the same session keeps their choice
    await w.set_moderated("later", False)
    assert not w.tables["activities"]["later"]["moderated"]


def test_moderated_must_be_true_or_false(plugins):
    from facilitation_kit.core.agenda import AgendaError

    with pytest.raises(AgendaError) as err:
        parse_agenda(AGENDA.replace('id = "later"\n', 'id = "later"\nmoderated = "yes"\n'), plugins, path="f.toml")
    assert (err.value.activity, err.value.field) == ("later", "moderated")


async def test_the_contribution_cap_counts_from_an_index_that_follows_every_change(plugins):
    """The cap's count is an index kept by ``apply`` (recounting each participant's rows
    on every submission was 15 % of the host's CPU at saturation): it must equal a
    recount after submissions, withdrawals, an erase and a resume."""
    w, store, _ = await new_workshop(plugins)
    ana, _, _ = await w.join(name="Ana", role="Service user")
    bo, _, _ = await w.join(name="Bo", role="Manager")
    await w.open()

    def recount(pid, activity):
        return sum(1 for c in w.tables["contributions"].values()
                   if c["participant"] == pid and c["activity"] == activity)

    for i in range(3):
        await w.submit(ana["id"], f"a{i}", "ideas", {"answer": f"idea {i}"})
    await w.submit(bo["id"], "b0", "ideas", {"answer": "mine"})
    await w.withdraw(ana["id"], "a1")  # a withdrawn one still counts towards the cap
    assert w.count_of(ana["id"], "ideas") == recount(ana["id"], "ideas") == 3
    assert w.count_of(bo["id"], "ideas") == 1 and w.count_of(ana["id"], "later") == 0
    await w.next()
    await w.open()
    await w.submit(ana["id"], "l0", "later", {"answer": "then"})
    assert w.count_of(ana["id"], "later") == 1
    again = await Workshop.resume(w.agenda, plugins, store)
    assert again.count_of(ana["id"], "ideas") == 3 and again.count_of(ana["id"], "later") == 1
    await w.erase_participant(ana["id"])
    assert w.count_of(ana["id"], "ideas") == 0 == w.count_of(ana["id"], "later")
    assert w.count_of(bo["id"], "ideas") == 1
