"""Facilitator-only steps (``kind = "break"`` / ``"input"``): a real host on port 0, real
phones and a facilitator over loopback, the report and the exports of the session."""

import json
import time
from datetime import datetime

import pytest

from facilitation_kit.core.screen import screen_state
from facilitation_kit.core.views import until_timestamp
from facilitation_kit.report.export import to_csv
from facilitation_kit.testing import agenda_toml

UNTIL = "11:20"

STEPS = agenda_toml([
    {"id": "welcome", "kind": "input", "title": {"en": "Welcome", "fi": "Tervetuloa"},
     "prompt": "Why we are here.", "timebox": "5m", "notes": "Ground rules, consent."},
    {"id": "ideas", "plugin": "open_question", "prompt": "What would help?"},
    {"id": "break", "kind": "break", "timebox": "15m", "notes": "Coffee in the hall."},
    {"id": "lunch", "kind": "break", "until": UNTIL},
    {"id": "closing", "plugin": "open_question", "prompt": "Did you feel heard?"},
])


def clock(ts: float) -> str:
    return time.strftime("%H:%M", time.localtime(ts))


async def test_an_input_step_shows_phones_a_screen_with_nothing_to_send(workshop_host):
    host = await workshop_host(STEPS)
    phone = await host.phone(role="Service user", lang="fi")
    a = phone.activity
    # a v1 client sees every key it knows (plugin a string, an empty form); the kind is extra
    assert (a["id"], a["kind"], a["plugin"], a["form"], a["title"]) == ("welcome", "input", "", {"fields": []}, "Tervetuloa")
    assert "until" not in a
    await host.open()
    assert phone.activity["state"] == "open" and phone.activity["ends_at"]  # its timebox runs
    frame = await phone.submit({"answer": "hello"})
    assert frame["type"] == "error" and frame["code"] == "not_collecting"
    assert host.workshop.contributions("welcome") == []
    answer = await host.facilitator.send_command("results", activity="welcome")
    assert answer["type"] == "error" and answer["code"] == "not_collecting"
    # the next activity collects as before
    await host.next()
    await host.open()
    assert (await phone.submit({"answer": "Time to talk"}))["type"] == "ack"


async def test_a_break_derives_its_end_from_the_timebox_and_follows_the_timer(workshop_host):
    host = await workshop_host(STEPS)
    phone = await host.phone()
    await host.goto("break")
    assert phone.activity["kind"] == "break" and phone.activity["until"] is None  # not opened yet
    before = time.time()
    await host.open()
    st = host.workshop.activity_state("break")
    assert before + 15 * 60 <= st["ends_at"] <= time.time() + 15 * 60
    assert phone.activity["until"] == clock(st["ends_at"])
    await host.command("add_time", seconds=600)  # the facilitator extends the break
    st = host.workshop.activity_state("break")
    frame = await phone.expect("activity")  # every timer change is an activity frame
    assert frame["activity"]["until"] == clock(st["ends_at"])
    frame = await phone.submit({"answer": "x"})
    assert frame["code"] == "not_collecting"
    # the room's screen shows the step too, with no plugin view
    screen = await screen_state(host.workshop)
    assert screen["view"] == "activity" and screen["results"] == "none"
    assert (screen["activity"]["kind"], screen["activity"]["until"]) == ("break", clock(st["ends_at"]))
    # previous and next work over steps; a closed step stays closed
    await host.close()
    await host.command("previous")
    assert host.workshop.current_id == "ideas"
    await host.next()
    assert phone.activity["id"] == "break" and phone.activity["state"] == "closed"


async def test_a_break_until_a_clock_time(workshop_host):
    host = await workshop_host(STEPS)
    phone = await host.phone()
    await host.goto("lunch")
    assert phone.activity["until"] == UNTIL  # said before it is opened
    await host.open()
    ends_at = host.workshop.activity_state("lunch")["ends_at"]
    expected = until_timestamp(UNTIL)
    if expected is None:  # 11:20 has passed today: no timer, the agenda's time stays
        assert ends_at is None and phone.activity["until"] == UNTIL
    else:
        assert abs(ends_at - expected) < 2 and phone.activity["until"] == UNTIL


def test_until_is_the_next_moment_today_the_clock_shows_it():
    morning = datetime(2026, 3, 14, 9, 0).timestamp()
    at = until_timestamp("11:20", now=morning)
    assert datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M") == "2026-03-14 11:20"
    assert until_timestamp("08:59", now=morning) is None


async def test_steps_are_in_the_outline_of_the_report_and_the_exports_with_no_results(workshop_host):
    host = await workshop_host(STEPS)
    phone = await host.phone(role="Service user")
    await host.goto("ideas")
    await host.open()
    await phone.submit({"answer": "One contact person"})
    await host.goto("break")
    export = host.export()
    specs = {a["id"]: a for a in export["agenda"]["activities"]}
    assert (specs["break"]["kind"], specs["break"]["plugin"]) == ("break", "")
    assert specs["lunch"]["until"] == UNTIL and "kind" not in specs["ideas"]
    json.dumps(export)
    report = host.report("md")
    appendix = report[report.index("## Appendix"):] if "## Appendix" in report else report
    assert "Welcome" in appendix and "Break" in appendix  # the session outline lists them
    assert "## Welcome" not in report and "## Break" not in report  # no results section
    assert "## " + host.workshop.agenda.activity("ideas").title in report
    assert "One contact person" in to_csv(export)
    assert "not installed" not in report and "cannot" not in report.lower()


async def test_a_session_with_steps_resumes_from_its_stored_agenda(tmp_path):
    from facilitation_kit.host.assembly import Host

    path = tmp_path / "steps.toml"
    path.write_text(STEPS, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "d", port=0) as first:
        await first.workshop.goto("break")
        session = first.workshop.session_id
    path.unlink()  # the session keeps its own copy of the agenda
    async with Host.start(None, data_dir=tmp_path / "d", port=0, resume=session) as again:
        act = again.workshop.agenda.activity("break")
        assert (act.kind, act.collects, again.workshop.current_id) == ("break", False, "break")


@pytest.mark.parametrize("lang, words", [("en", "Break"), ("fi", "Tauko"), ("de", "Pause")])
async def test_a_break_without_a_title_has_the_kit_word_in_every_language(workshop_host, lang, words):
    host = await workshop_host(STEPS)
    phone = await host.phone(lang=lang)
    await host.goto("break")
    assert phone.activity["title"] == words


async def test_the_default_agenda_runs_step_by_step_in_every_language(workshop_host):
    """Every step of sessions/relational-service.toml builds its phone view in each of the
    eight languages, with no plugin problem; a phone that agreed to the consent text can
    answer the activities and gets not_collecting on the steps."""
    from facilitation_kit.core.i18n import LANGUAGES

    host = await workshop_host(None)
    phone = await host.phone(role="Service user", lang="fi")
    await phone.send({"type": "consent", "agree": True})
    await phone.expect("consent")
    for act in host.workshop.agenda.activities:
        await host.goto(act.id)
        await host.open()
        for lang in LANGUAGES:
            view = await host.workshop.activity_view(lang=lang)
            assert "error" not in view, (act.id, lang)
            assert bool(view["form"]["fields"]) == act.collects, (act.id, lang)
        if not act.collects:
            assert (await phone.submit({}))["code"] == "not_collecting"
        elif act.id == "checkin":
            assert (await phone.submit({"answer": "Listen to me first"}))["type"] == "ack"
    assert host.plugin_problems == []
    assert "Listen to me first" in host.report("md")
