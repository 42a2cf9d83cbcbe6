"""A plugin that raises, returns garbage or hangs costs only its own activity: the phone
gets a ``plugin_error``, the facilitator a ``plugin_error`` event, and the workshop,
every stored contribution and every other activity go on. Real hosts over loopback."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from facilitation_kit import hookimpl
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.engine import PHONE_PLUGIN_ERROR
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.testing import agenda_toml, plugin_host

RELEASE = threading.Event()  # set at the end of the module so blocked threads end


@pytest.fixture(autouse=True, scope="module")
def _release_blocked_threads():
    yield
    RELEASE.set()


class Flaky(ActivityType):
    """An activity whose methods fail in the way ``mode`` names."""

    title = "Flaky"

    def __init__(self, name: str, **failures):
        self.name = name
        self.failures = failures

    def _maybe_fail(self, method):
        how = self.failures.get(method)
        if how == "raise":
            raise RuntimeError(f"{method} is broken")
        if how == "block":
            RELEASE.wait(60)
        return how

    def form(self, activity):
        if self._maybe_fail("form") == "garbage":
            return {"fields": []}
        return Form([TextField("answer", label="Answer")])

    def validate(self, activity, data):
        if self._maybe_fail("validate") == "garbage":
            return ["not", "a", "dict"]
        return None

    def summarise(self, activity, contributions):
        how = self._maybe_fail("summarise")
        if how == "garbage":
            return {"answers": {c["data"]["answer"] for c in contributions}}  # a set: not JSON
        return {"count": len(contributions)}

    def items(self, activity, contributions):
        if self._maybe_fail("items") == "garbage":
            return [object()]
        return []

    def report(self, activity, results, contributions):
        if self._maybe_fail("report") == "garbage":
            return "<p>not blocks</p>"
        return []


class AsyncHang(Flaky):
    async def validate(self, activity, data):
        await asyncio.Event().wait()  # awaits forever


def agenda(flaky_id="broken", flaky_plugin="flaky", **extra):
    return agenda_toml([
        {"id": "before", "plugin": "open_question", "prompt": "Before"},
        {"id": flaky_id, "plugin": flaky_plugin, **extra},
        {"id": "after", "plugin": "open_question", "prompt": "After"},
    ])


async def start(workshop_host, activity, **kw):
    host = await workshop_host(agenda(flaky_plugin=activity.name), activities=[activity], **kw)
    ana = await host.phone(role="Service user")
    ben = await host.phone(role="Manager")
    await host.open()
    assert (await ana.submit({"answer": "stored before"}))["type"] == "ack"
    await host.next()
    await host.open()
    return host, ana, ben


async def finish_after_the_broken_activity(host, ana, ben):
    """The workshop goes on: the next activity works for both phones and nothing stored
    before is lost."""
    await host.next()
    await host.open()
    assert (await ana.submit({"answer": "after from ana"}))["type"] == "ack"
    assert (await ben.submit({"answer": "after from ben"}))["type"] == "ack"
    assert (await host.summary("before"))["count"] == 1
    assert (await host.summary("after"))["count"] == 2
    assert [c["data"]["answer"] for c in host.workshop.contributions("before")] == ["stored before"]


@pytest.mark.parametrize("failure", ["raise", "garbage"])
async def test_form_failure_costs_only_its_activity(workshop_host, failure):
    host, ana, ben = await start(workshop_host, Flaky("flaky", form=failure))
    assert ana.activity["id"] == "broken"
    assert ana.activity["error"] == "This activity is not available right now."
    assert ana.activity["form"] == {"fields": []}
    reply = await ana.submit({"answer": "x"})
    assert reply["type"] == "error" and reply["code"] == "plugin_error"
    event = await host.facilitator.expect("plugin_error")
    assert event["activity"] == "broken" and event["plugin"] == "flaky"
    assert "flaky.form" in event["message"]
    assert host.plugin_problems and host.plugin_problems[0].activity == "broken"
    await finish_after_the_broken_activity(host, ana, ben)


@pytest.mark.parametrize("failure", ["raise", "garbage"])
async def test_validate_failure_answers_plugin_error_and_stores_nothing(workshop_host, failure):
    host, ana, ben = await start(workshop_host, Flaky("flaky", validate=failure))
    reply = await ana.submit({"answer": "x"})
    assert reply["type"] == "error" and reply["code"] == "plugin_error"
    assert reply["message"] == PHONE_PLUGIN_ERROR  # the phone never sees the developer's text
    assert host.workshop.contributions("broken") == []
    event = await host.facilitator.expect("plugin_error")
    assert event["plugin"] == "flaky" and "flaky.validate" in event["message"]
    await finish_after_the_broken_activity(host, ana, ben)


async def test_blocking_validate_times_out_without_stalling_other_phones(workshop_host):
    host, ana, ben = await start(workshop_host, Flaky("flaky", validate="block"), plugin_timeout=0.5)
    started = time.monotonic()
    submit = asyncio.ensure_future(ana.submit({"answer": "x"}))
    await asyncio.sleep(0.1)
    assert (await ben.sync())["type"] == "sync"  # the event loop is free meanwhile
    assert time.monotonic() - started < 0.45
    reply = await submit
    assert reply["code"] == "plugin_error" and reply["message"] == PHONE_PLUGIN_ERROR
    assert "took longer than 0.5 s" in (await host.facilitator.expect("plugin_error"))["message"]
    again = await ben.submit({"answer": "y"})  # refused at once: the plugin is still stuck
    assert again["code"] == "plugin_error"
    await finish_after_the_broken_activity(host, ana, ben)


async def test_validate_awaiting_forever_times_out(workshop_host):
    host, ana, ben = await start(workshop_host, AsyncHang("flaky"), plugin_timeout=0.3)
    reply = await ana.submit({"answer": "x"})
    assert reply["code"] == "plugin_error" and reply["message"] == PHONE_PLUGIN_ERROR
    assert "took longer than 0.3 s" in (await host.facilitator.expect("plugin_error"))["message"]
    await finish_after_the_broken_activity(host, ana, ben)


async def test_many_hung_plugins_cannot_use_up_the_shared_workers(workshop_host):
    """Each hung activity holds at most one worker thread, so the others keep working."""
    hung = [Flaky(f"hung{i}", validate="block") for i in range(3)]
    text = agenda_toml([{"id": f"h{i}", "plugin": a.name} for i, a in enumerate(hung)]
                       + [{"id": "after", "plugin": "open_question"}])
    host = await workshop_host(text, activities=hung, plugin_timeout=0.3)
    ana = await host.phone()
    for i in range(3):
        if i:
            await host.next()
        await host.open()
        for _ in range(3):
            assert (await ana.submit({"answer": "x"}))["code"] == "plugin_error"
    await host.next()
    await host.open()
    assert (await ana.submit({"answer": "works"}))["type"] == "ack"


@pytest.mark.parametrize("failure", ["raise", "garbage", "block"])
async def test_summarise_failure_is_an_error_result_and_the_report_goes_on(workshop_host, failure):
    host, ana, ben = await start(workshop_host, Flaky("flaky", summarise=failure), plugin_timeout=0.3)
    assert (await ana.submit({"answer": "kept"}))["type"] == "ack"
    answer = await host.facilitator.send_command("results", activity="broken")
    assert answer["type"] == "ok" and "flaky.summarise" in answer["error"]
    assert "results" not in answer
    await finish_after_the_broken_activity(host, ana, ben)
    report = host.report("md")
    assert "The results of this activity could not be computed" in report
    assert "after from ben" in report and "stored before" in report
    assert "kept" in report  # the stored contribution is still listed


@pytest.mark.parametrize("method", ["items", "report"])
@pytest.mark.parametrize("failure", ["raise", "garbage"])
async def test_items_and_report_failures_in_the_report(workshop_host, method, failure):
    host, ana, ben = await start(workshop_host, Flaky("flaky", **{method: failure}))
    assert (await ana.submit({"answer": "kept"}))["type"] == "ack"
    await finish_after_the_broken_activity(host, ana, ben)
    report = host.report("html")
    assert "The results of this activity could not be computed: flaky:" in report
    assert "after from ana" in report and "kept" in report


async def test_items_failure_leaves_the_next_activity_usable(workshop_host):
    class Taker(Flaky):
        accepts_items = True

    text = agenda_toml([{"id": "source", "plugin": "flaky"}, {"id": "taker", "plugin": "taker", "from": "source"}])
    host = await workshop_host(text, activities=[Flaky("flaky", items="raise"), Taker("taker")])
    ana = await host.phone()
    await host.open()
    assert (await ana.submit({"answer": "one"}))["type"] == "ack"
    await host.next()
    await host.open()
    assert (await ana.submit({"answer": "two"}))["type"] == "ack"
    assert any("items" in p.message for p in host.plugin_problems)


async def test_hook_failures_and_blocking_hooks_do_not_touch_the_workshop(workshop_host):
    calls = []

    class NoisyHooks:
        __name__ = "NoisyHooks"

        @hookimpl
        def startup(self, workshop):
            raise RuntimeError("startup is broken")

        @hookimpl
        def contribution_stored(self, contribution, role):
            calls.append(contribution["data"]["answer"])
            RELEASE.wait(60)  # blocks: must not block the event loop

        @hookimpl
        def extra_report_sections(self, results):
            raise RuntimeError("no extra section today")

    host = await workshop_host(agenda_toml([{"id": "q", "plugin": "open_question"}]),
                               extra_plugins=[NoisyHooks()], plugin_timeout=0.3)
    ana = await host.phone()
    await host.open()
    started = time.monotonic()
    for n in range(3):
        assert (await ana.submit({"answer": f"answer {n}"}))["type"] == "ack"
    assert time.monotonic() - started < 1.0
    assert calls == ["answer 0", "answer 1"]  # at most two worker threads per plugin
    report = host.report("md")
    assert "could not add its section" in report and "answer 2" in report


def test_register_activities_failures_are_recorded_per_plugin():
    class Raises:
        __name__ = "Raises"

        @hookimpl
        def register_activities(self, register):
            register(Flaky("half_registered"))
            raise ValueError("oops")

    class Hangs:
        __name__ = "Hangs"

        @hookimpl
        def register_activities(self, register):
            RELEASE.wait(60)
            register(Flaky("too_late"))

    class ReturnsList:
        __name__ = "ReturnsList"

        @hookimpl
        def register_activities(self, register):
            return [Flaky("returned")]

    class RegistersClass:
        __name__ = "RegistersClass"

        @hookimpl
        def register_activities(self, register):
            register(Flaky)
            register(Flaky("good_one"))

    class Typo:
        __name__ = "Typo"

        @hookimpl
        def register_activity(self, register):
            pass

    from facilitation_kit.core.plugins import load_plugins

    started = time.monotonic()
    host = load_plugins(extra=[("raises", Raises()), ("hangs", Hangs()), ("returns", ReturnsList()),
                               ("classes", RegistersClass()), ("typo", Typo())], register_timeout=0.3)
    assert time.monotonic() - started < 3
    problems = {(p.plugin, p.message) for p in host.problems}
    assert ("raises", "register_activities raised ValueError: oops") in problems
    assert ("hangs", "register_activities did not finish within 0.3 s") in problems
    assert ("returns", "register_activities returned a value; call register(activity_type) "
                       "for each activity type instead") in problems
    assert ("classes", "registered the class Flaky; register an instance: register(Flaky())") in problems
    assert any(p == "typo" and "implements register_activity, which is not a facilitation-kit hook" in m
               for p, m in problems)
    assert "half_registered" not in host.activity_types  # all or nothing per plugin
    assert "good_one" in host.activity_types and "open_question" in host.activity_types
    described = {d["name"]: d for d in host.describe()}
    assert described["raises"]["error"] == "register_activities raised ValueError: oops"
    assert described["classes"]["activities"] == ["good_one"]


def test_an_agenda_using_a_broken_plugin_names_the_problem():
    class Raises:
        __name__ = "Raises"

        @hookimpl
        def register_activities(self, register):
            raise ValueError("oops")

    plugins = plugin_host(extra_plugins=[("shaky", Raises())])
    with pytest.raises(AgendaError) as err:
        parse_agenda(agenda_toml([{"id": "x", "plugin": "shaky"}]), plugins, path="w.toml")
    assert str(err.value) == ("w.toml:5: activity 'x': field 'plugin': no activity plugin 'shaky' is "
                              "installed (shaky: register_activities raised ValueError: oops); installed: "
                              "actions, dot_vote, ethical_compass, journey, open_question, rate_items, "
                              "role_redefinition, story, value_mapping "
                              "(facilitation-kit plugins --why shaky says where it looked)")
