"""The Themes view and stars, driven with the Pilot against a real host and real phones."""

from __future__ import annotations

from facilitation_kit.tui.screens.themes import LabelScreen, ThemesScreen
from facilitation_kit.tui.widgets.activity import ContributionTable

from .helpers import wait_for, wait_text
from .test_app import SIZE, new_app, phone, started

IDEAS = ["Same worker every time", "One contact person who knows me", "Shorter waiting times",
         "I waited months for a call back"]


async def open_with_ideas(pilot, host):
    phones = [await phone(host, role="Service user") for _ in IDEAS]
    await pilot.press("o")
    await wait_for(pilot, lambda: host.workshop.activity_state("opening")["state"] == "open")
    for p, text in zip(phones, IDEAS):
        await p.expect("activity")
        assert (await p.submit({"answer": text}))["type"] == "ack"
    return phones


def themes(host):
    return sorted(host.workshop.tables["themes"].values(), key=lambda t: t["created_at"])


async def test_group_rename_merge_confirm_ungroup_with_keys_and_mouse(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        await open_with_ideas(pilot, host)
        await wait_for(pilot, lambda: len(host.workshop.contributions("opening")) == 4)
        await pilot.press("g")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen)
        await wait_text(pilot, "Shorter waiting times")
        # select the first two with space, group them as "Continuity"
        await pilot.press("space", "down", "space")
        assert len(screen.selected) == 2
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelScreen))
        app.screen.query_one("#label-input").value = "Continuity"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(themes(host)) == 1, what="a theme")
        assert themes(host)[0]["label"] == "Continuity" and len(themes(host)[0]["contributions"]) == 2
        # select the other two with the mouse, group them
        table = screen.query_one("#themes-contributions")
        await pilot.click("#themes-contributions", offset=(2, 3))
        await pilot.click("#themes-contributions", offset=(2, 4))
        await wait_for(pilot, lambda: len(screen.selected) == 2, what="two picked by mouse")
        assert all("Continuity" not in str(k) for k in screen.selected)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelScreen))
        app.screen.query_one("#label-input").value = "Waiting"
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(themes(host)) == 2, what="two themes")
        # rename the highlighted theme
        themes_table = screen.query_one("#themes-list")
        themes_table.focus()
        await wait_text(pilot, "Waiting")
        themes_table.move_cursor(row=1)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelScreen))
        app.screen.query_one("#label-input").value = "Waiting times"
        await pilot.press("enter")
        await wait_for(pilot, lambda: themes(host)[1]["label"] == "Waiting times", what="renamed")
        # confirm with enter
        await pilot.press("enter")
        await wait_for(pilot, lambda: themes(host)[1]["confirmed"], what="confirmed")
        # merge: m on "Waiting times", then m on "Continuity"
        await pilot.press("m")
        themes_table.move_cursor(row=0)
        await pilot.press("m")
        await wait_for(pilot, lambda: len(themes(host)) == 1 and len(themes(host)[0]["contributions"]) == 4,
                       what="merged")
        # ungroup
        await pilot.press("u")
        await wait_for(pilot, lambda: themes(host) == [], what="ungrouped")
        assert table.row_count == 4  # the contributions stay


async def test_suggestions_are_accepted_or_rejected_and_stars_toggle(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        await open_with_ideas(pilot, host)
        await wait_for(pilot, lambda: len(host.workshop.contributions("opening")) == 4)
        # a star from the Activity tab
        await pilot.press("3")
        await wait_text(pilot, "I waited months")
        table = app.main.query_one(ContributionTable)
        table.focus()
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: any(c.get("starred") for c in host.workshop.tables["contributions"].values()),
                       what="a star")
        await wait_text(pilot, "* starred")
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: not any(c.get("starred") for c in host.workshop.tables["contributions"].values()),
                       what="no star")
        # suggestions in the Themes view
        await pilot.press("g")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen)
        await pilot.press("S")
        await wait_for(pilot, lambda: screen.suggestions, timeout=120,
                       what=f"suggestions {[n.message for n in app._notifications]}")
        assert host.workshop.tables["themes"] == {}  # nothing stored before it is accepted
        count = len(screen.suggestions)
        screen.query_one("#themes-list").focus()
        await wait_text(pilot, "suggested")
        if count > 1:
            await pilot.press("u")  # reject the first
            await wait_for(pilot, lambda: len(screen.suggestions) == count - 1)
        first = screen.suggestions[0]
        await pilot.press("enter")  # accept
        await wait_for(pilot, lambda: len(host.workshop.tables["themes"]) == 1, timeout=20, what="accepted")
        row = next(iter(host.workshop.tables["themes"].values()))
        assert row["label"] == first["label"] and row["confirmed"] is False
