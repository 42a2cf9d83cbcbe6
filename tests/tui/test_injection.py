"""Participant text is shown literally: no markup, no actions, no terminal escapes."""

from __future__ import annotations

from facilitation_kit.testing import Phone
from facilitation_kit.tui.widgets.activity import ContributionTable

from .helpers import screen_text, wait_for, wait_text
from .test_app import new_app, started

PAYLOADS = ["[/bold]", "[/]", "[@click=app.quit]x[/]", "\x1b]2;PWNED\x07", "[red]red[/red]",
            "[b", "\u009b31m C1 too"]


async def test_markup_and_escapes_from_phones_are_inert(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    quits = []
    app.action_quit = lambda: quits.append(True)  # noqa: E731 - any quit attempt is recorded
    async with app.run_test(size=(120, 40)) as pilot:
        host = await started(pilot)
        ph = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        await ph.hello(name="[@click=app.quit]Eve[/]", role="Service user")
        await host.workshop.open()
        await ph.expect("activity")
        for payload in PAYLOADS:
            ack = await ph.submit({"answer": f"say {payload} end"})
            assert ack["type"] == "ack", ack
        tabs = app.main.query_one("#tabs")
        # the open moves the cockpit to the Activity tab when its event is applied (at the
        # next flush): a tab key pressed before that is undone by it
        await wait_for(pilot, lambda: tabs.active == "activity"
                       and app.main.query_one(ContributionTable).row_count == len(PAYLOADS), what="all applied")
        for key, tab in zip("12345", ["lobby", "agenda", "activity", "results", "people"]):
            await pilot.press(key)
            await wait_for(pilot, lambda: tabs.active == tab, what=f"the {tab} tab")
        await pilot.press("3")
        await wait_for(pilot, lambda: tabs.active == "activity", what="the activity tab")
        text = await wait_text(pilot, "say [/bold] end")
        for literal in ["say [/] end", "say [@click=app.quit]x[/] end", "say [red]red[/red] end", "say [b end"]:
            assert literal in text
        assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
        assert "say ]2;PWNED end" in text  # the ESC and BEL are gone, the rest is plain text
        # clicking the would-be link runs nothing
        table = app.main.query_one(ContributionTable)
        row = next(i for i, line in enumerate(screen_text(app).splitlines()) if "[@click=app.quit]x" in line)
        col = screen_text(app).splitlines()[row].index("[@click")
        await pilot.click(offset=(col + 10, row))
        await pilot.pause()
        # every screen that shows participant text
        await pilot.press("4")
        await wait_text(pilot, "“say [/] end”")
        await pilot.press("5")
        await wait_text(pilot, "[@click=app.quit]Eve[/]")
        assert app.is_running and not quits
        assert table.row_count == len(PAYLOADS)
