"""Snapshot tests of the four main screens and the Themes view (pytest-textual-snapshot).

Everything that varies is fixed by the ``deterministic`` fixture: room code, session id,
join link, timestamps and time zone. Update after a deliberate change with
``pytest tests/tui/test_snapshots.py --snapshot-update`` and look at the SVGs first.
"""

from __future__ import annotations

import pytest

from facilitation_kit.tui.app import make_app
from facilitation_kit.testing import Phone
from facilitation_kit.tui.screens.themes import ThemesScreen

from .helpers import wait_for, wait_text

SIZE = (100, 32)


@pytest.fixture
def snap_app(agenda_path, tmp_path, deterministic):
    return make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0)


async def _room(pilot, *, contribute: bool = False):
    app = pilot.app
    await pilot.pause()
    await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None)
    host = app.workshop_host
    people = [("Ana", "Service user"), (None, "Front-line professional"), (None, "Manager"), ("Bo", None)]
    phones = []
    for name, role in people:
        phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        await phone.hello(name=name, role=role)
        phones.append(phone)
    if contribute:
        await host.workshop.open()
        for phone in phones:
            await phone.expect("activity")
        answers = ["Being listened to", "Fewer forms, more time with people",
                   "Budget we can plan with", "[bold]not bold[/bold]"]
        for phone, answer in zip(phones, answers):
            assert (await phone.submit({"answer": answer}))["type"] == "ack"
        await phones[0].submit({"answer": "Hidden remark"})
        hidden = host.workshop.contributions("opening")[-1]
        await host.workshop.set_hidden(hidden["participant"], hidden["id"], True)
    await wait_for(pilot, lambda: f"{len(people)} connected" in str(app.main.query_one("#status").content))
    if contribute:
        # every event applied, the last one included: the open moves the cockpit to the
        # Activity tab when it is flushed, and a tab key pressed before that was undone by it
        await wait_for(pilot, lambda: app.main.query_one("#tabs").active == "activity"
                       and " 1 hidden" in str(app.main.query_one("#activity-counts").content)
                       and app.main.query_one("#contributions").row_count == 5, what="the room's events applied")
    return phones


async def _tab(pilot, key: str, tab: str, ready=lambda: True) -> None:
    """Press a tab's key and wait until that tab is shown and drawn (``ready``)."""
    await pilot.press(key)
    await wait_for(pilot, lambda: pilot.app.main.query_one("#tabs").active == tab and ready(), what=f"the {tab} tab")


def test_lobby_snapshot(snap_compare, snap_app):
    async def run_before(pilot):
        await _room(pilot)
        await wait_for(pilot, lambda: "4 connected" in str(pilot.app.main.query_one("#lobby-count").content))
        await pilot.pause(0.6)

    assert snap_compare(snap_app, run_before=run_before, terminal_size=SIZE)


def test_activity_snapshot(snap_compare, snap_app):
    async def run_before(pilot):
        await _room(pilot, contribute=True)
        await _tab(pilot, "3", "activity", lambda: getattr(pilot.app.focused, "id", None) == "contributions")
        await pilot.pause(0.6)

    assert snap_compare(snap_app, run_before=run_before, terminal_size=SIZE)


def test_results_snapshot(snap_compare, snap_app):
    async def run_before(pilot):
        await _room(pilot, contribute=True)
        await _tab(pilot, "4", "results", lambda: pilot.app.main.query(".block-quotes"))
        await pilot.pause(0.3)

    assert snap_compare(snap_app, run_before=run_before, terminal_size=SIZE)


def test_participants_snapshot(snap_compare, snap_app):
    async def run_before(pilot):
        await _room(pilot, contribute=True)
        await _tab(pilot, "5", "people", lambda: getattr(pilot.app.focused, "id", None) == "people"
                   and pilot.app.main.query_one("#people-pane #people").row_count == 4)
        await pilot.pause(0.6)

    assert snap_compare(snap_app, run_before=run_before, terminal_size=SIZE)


def test_themes_snapshot(snap_compare, snap_app):
    """The Themes view: six contributions, two themes (one confirmed, one a draft) and one
    suggestion waiting. The suggestion is given to the view as the host's answer would
    be (what the sentence model suggests is tested in test_themes_view.py; here a fixed
    one keeps the picture independent of the model)."""
    ideas = [("Service user", "Same worker every time"), ("Service user", "One contact person who knows me"),
             ("Front-line professional", "Shorter waiting times"), ("Manager", "I waited months for a call back"),
             ("Front-line professional", "Letters in plain words"), ("Service user", "Forms I can understand")]

    async def run_before(pilot):
        app = pilot.app
        await pilot.pause()
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None)
        host = app.workshop_host
        workshop = host.workshop
        await workshop.open()
        for role, text in ideas:
            phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
            await phone.hello(role=role)
            assert (await phone.submit({"answer": text}))["type"] == "ack"
        refs = [{"participant": c["participant"], "id": c["id"]} for c in workshop.contributions("opening")]
        await workshop.change_themes("create", "opening", "Continuity", refs[:2], True)
        await workshop.change_themes("create", "opening", "Waiting", refs[2:4], False)
        await wait_for(pilot, lambda: f"{len(ideas)} connected" in str(app.main.query_one("#status").content))
        await pilot.press("g")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen)
        await wait_text(pilot, "Forms I can understand")
        screen.suggestions = [{"label": "Plain language", "contributions": refs[4:]}]
        screen.refresh_all()
        await wait_text(pilot, "suggested")
        await pilot.pause(0.6)

    assert snap_compare(snap_app, run_before=run_before, terminal_size=SIZE)
