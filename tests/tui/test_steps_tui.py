"""The TUI shows the facilitator-only steps (a break, an input) in the agenda, marked as
collecting no answers; next, open and the timer work over them (Textual Pilot, a real host
and a real phone over loopback)."""

from __future__ import annotations

from facilitation_kit.testing import agenda_toml

from .helpers import screen_text, wait_for, wait_text
from .test_app import SIZE, new_app, phone, started

AGENDA = agenda_toml([
    {"id": "welcome", "kind": "input", "title": "Welcome and consent", "timebox": "5m",
     "notes": "Ground rules; the phones ask for consent."},
    {"id": "ideas", "plugin": "open_question", "title": "Ideas", "prompt": "What would help?"},
    {"id": "coffee", "kind": "break", "timebox": "15m", "notes": "Form mixed pairs."},
    {"id": "closing", "plugin": "open_question", "title": "Closing", "prompt": "Did you feel heard?"},
], title="Steps in the TUI", roles=["Service user", "Manager"])


async def test_the_agenda_shows_steps_and_the_keys_work_over_them(tmp_path):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    app = new_app(path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, role="Service user")
        assert ana.welcome["activity"]["kind"] == "input"
        await pilot.press("2")
        text = await wait_text(pilot, "Input (no answers)")
        assert "Break (no answers)" in text and "Welcome and consent" in text and "Open question" in text
        # the detail of the highlighted step: its notes, and what phones see
        await wait_text(pilot, "Ground rules; the phones ask for consent.")
        assert "input (no answers): phones show \"Listen now\"" in screen_text(app)
        # open an input: its timebox starts
        await pilot.press("o")
        await wait_for(pilot, lambda: host.workshop.activity_state("welcome").get("ends_at"), what="timer")
        await wait_text(pilot, "left")
        # next, next: the break, opened with its timer; the phone is told when it ends
        await pilot.press("n")
        await wait_for(pilot, lambda: host.workshop.current_id == "ideas", what="next")
        await pilot.press("n")
        await wait_for(pilot, lambda: host.workshop.current_id == "coffee", what="the break")
        await pilot.press("o")
        await wait_for(pilot, lambda: host.workshop.activity_state("coffee").get("ends_at"), what="break timer")
        activity = await ana.wait_activity("coffee", "open")
        assert activity["kind"] == "break" and activity["until"]
        await pilot.press("3")
        await wait_text(pilot, "(break: collects no answers)")
        await pilot.press("4")
        await wait_text(pilot, "This break collects no answers: there are no results.")
        await pilot.press("2")
        await wait_for(pilot, lambda: "▶" in screen_text(app), what="the current step marked")
        line = next(line for line in screen_text(app).splitlines() if "▶" in line)
        assert "Break" in line and "open" in line
        await pilot.press("p")
        await wait_for(pilot, lambda: host.workshop.current_id == "ideas", what="previous")
        assert not [n for n in app._notifications if n.severity == "error"]
