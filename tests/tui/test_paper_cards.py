"""Paper cards from the TUI: the facilitator enters a card for someone without a phone
(key w on the activity view), in the app's own process and with the host in a child
process (the ``assist`` command over the facilitator channel)."""

from __future__ import annotations

import json

import pytest
from textual.widgets import Input, Label, Select, TextArea

import facilitation_kit as fk

from facilitation_kit.tui import app as app_module
from facilitation_kit.tui.client import RemoteHost
from facilitation_kit.tui.screens.dialogs import PaperCardScreen

from .helpers import screen_text, wait_for, wait_text, widget_text

SIZE = (120, 44)


def new_app(agenda_path, tmp_path, child_process=False):
    return app_module.make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                               child_process=child_process)


async def open_dialog(pilot) -> PaperCardScreen:
    await pilot.press("3")
    await pilot.press("w")
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, PaperCardScreen) and pilot.app.screen,
                          what="the paper card dialog")


async def type_text(pilot, dialog, text: str) -> None:
    """Type into the first field (focused when the dialog opens), key by key."""
    area = dialog.query_one("#field-0")
    assert pilot.app.focused is area
    await pilot.press(*[{" ": "space"}.get(ch, ch) for ch in text])


@pytest.mark.parametrize("child_process", [False, True], ids=["in-process", "child-process"])
async def test_enter_paper_cards_from_the_tui(agenda_path, tmp_path, child_process):
    app = new_app(agenda_path, tmp_path, child_process)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        host = app.workshop_host
        assert isinstance(host, RemoteHost) == child_process
        w = host.workshop

        await pilot.press("3")
        await pilot.press("w")  # not open yet: said, no dialog
        await wait_text(pilot, "Open the activity first")
        assert not isinstance(app.screen, PaperCardScreen)
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("opening")["state"] == "open")

        # a required answer left empty: refused in the dialog, nothing stored
        dialog = await open_dialog(pilot)
        assert "Service user" in [str(p) for p, _ in dialog.query_one("#card-role", Select)._options]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "required" in str(dialog.query_one("#error-0").content), what="error")
        assert isinstance(app.screen, PaperCardScreen) and w.contributions("opening") == []

        # the first card: typed, with a role; participant text is never markup
        await type_text(pilot, dialog, "Someone listens")
        dialog.query_one("#field-0", TextArea).insert(" [b]not bold[/b]")
        dialog.query_one("#card-role", Select).value = "Service user"
        await pilot.click("#again")  # save, and another card from the same person
        await wait_for(pilot, lambda: len(w.contributions("opening")) == 1, what="the first card")
        await wait_for(pilot, lambda: "Saved (1 so far)" in str(dialog.query_one("#error").content))
        person = next(p for p in w.participants() if p.get("assisted"))
        assert dialog.query_one("#card-person", Select).value == person["id"]
        assert dialog.query_one("#field-0", TextArea).text == ""
        await type_text(pilot, dialog, "Second card")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, PaperCardScreen), what="dialog closed")
        await wait_text(pilot, "2 paper cards saved")
        cards = w.contributions("opening")
        assert [c["data"]["answer"] for c in cards] == ["Someone listens [b]not bold[/b]", "Second card"]
        assert {c["participant"] for c in cards} == {person["id"]} and {c["role"] for c in cards} == {"Service user"}
        text = await wait_text(pilot, "Second card")
        assert "[b]not bold[/b]" in text  # shown as typed, never as markup
        await pilot.press("5")
        await wait_text(pilot, "paper cards")

        # value mapping: a multiline text, a choice and two scales, one of them "don't know"
        await pilot.press("n")
        await wait_for(pilot, lambda: w.current_id == "values")
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("values")["state"] == "open")
        await wait_for(pilot, lambda: (app.current_view or {}).get("id") == "values")
        dialog = await open_dialog(pilot)
        names = [f["name"] for f in dialog.fields]
        assert names[0] == "text" and {"kind", "importance", "support"} <= set(names)
        await type_text(pilot, dialog, "Same worker every time")
        dialog.query_one(f"#field-{names.index('kind')}", Select).value = "outcome"
        importance = dialog.query_one(f"#field-{names.index('importance')}", Select)
        assert "__dont_know__" in [v for _, v in importance._options]
        importance.value = "__dont_know__"
        dialog.query_one(f"#field-{names.index('support')}", Select).value = 2
        dialog.query_one("#card-person", Select).value = person["id"]  # the same person again
        await pilot.pause()
        assert dialog.query_one("#card-role", Select).value == "Service user"  # their role, to check
        dialog.query_one("#card-name", Input).value = "Card 7"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, PaperCardScreen), what="dialog closed")
        await wait_for(pilot, lambda: w.contributions("values"), what="the value card")
        (card,) = w.contributions("values")
        assert card["data"] == {"text": "Same worker every time", "kind": "outcome", "importance": None,
                                "support": 2}
        assert card["participant"] == person["id"]

        export = (await host.channel.request("export"))["export"]
        assert sum(1 for c in export["contributions"] if c.get("assisted")) == 3
        (assisted,) = [p for p in export["participants"] if p.get("assisted")]
        assert assisted["name"] == "Card 7" and assisted["role"] == "Service user"
        assert "token" not in json.dumps(assisted)


async def test_a_refusal_from_the_plugin_is_shown_in_the_dialog(agenda_path, tmp_path):
    """The plugin's own validation (value mapping wants both ratings or neither) comes
    back as a field error in the dialog, not a crash."""
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        w = app.workshop_host.workshop
        await pilot.press("n")
        await wait_for(pilot, lambda: w.current_id == "values")
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("values")["state"] == "open")
        dialog = await open_dialog(pilot)
        names = [f["name"] for f in dialog.fields]
        await type_text(pilot, dialog, "Only one rating")
        dialog.query_one(f"#field-{names.index('importance')}", Select).value = 4
        await pilot.press("ctrl+s")
        support = dialog.query_one(f"#error-{names.index('support')}")
        await wait_for(pilot, lambda: str(support.content), what="the plugin's refusal")
        assert "Not saved" in str(dialog.query_one("#error").content)
        assert isinstance(app.screen, PaperCardScreen) and w.contributions("values") == []
        assert w.participants() == []  # a refused card leaves nobody behind
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PaperCardScreen))
        assert "Traceback" not in screen_text(app)


class EveryKind(fk.ActivityType):
    """A throwaway activity whose form has every field kind a phone renders."""

    name = "every_kind"
    title = "Every kind"

    def form(self, activity):
        return fk.Form([
            fk.ChoiceField("places", label="Where [b]?", options=[("home", "At home"), ("club", "Club")],
                           multiple=True),
            fk.VoteField("dots", label="Your dots", items=[("a", "Idea A"), ("b", "Idea [red]B[/red]")],
                         dots=3, max_per_item=2),
            fk.MatrixField("grid", label="Who decides?", rows=[("now", "Today"), ("then", "Wanted")],
                           columns=[("me", "Me"), ("staff", "Staff")]),
        ])


async def test_vote_matrix_and_multiple_choice_fields_from_the_dialog(tmp_path):
    from facilitation_kit.testing import agenda_toml, plugin_host

    path = tmp_path / "agenda.toml"
    path.write_text(agenda_toml([{"id": "all", "plugin": "every_kind", "prompt": "All of them"}]), encoding="utf-8")
    app = app_module.make_app(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                              plugins=plugin_host(activities=[EveryKind()]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        w = app.workshop_host.workshop
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("all")["state"] == "open")
        dialog = await open_dialog(pilot)
        await pilot.pause(0.2)
        assert "Where [b]?" in screen_text(app)  # labels as given, never markup
        assert "Idea [red]B[/red]" in [widget_text(label) for label in dialog.query(Label)]
        dialog.query_one("#field-0").select("club")
        await pilot.click("#field-1-0")
        await pilot.press("2")
        dialog.query_one("#field-1-1", Input).value = "x"  # not a number (typed text the field refuses)
        dialog.query_one("#field-2-0", Select).value = "staff"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "whole numbers" in str(dialog.query_one("#error-1").content),
                       what="the dots refusal")
        assert w.contributions("all") == []
        dialog.query_one("#field-1-1", Input).value = ""
        await pilot.press("ctrl+s")
        # one matrix row left empty: the form says every row (checked on the host, as for a phone)
        await wait_for(pilot, lambda: "answer every row" in str(dialog.query_one("#error-2").content),
                       what="the matrix refusal")
        dialog.query_one("#field-2-1", Select).value = "me"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: w.contributions("all"), what="the card")
        (card,) = w.contributions("all")
        assert card["data"] == {"places": ["club"], "dots": {"a": 2}, "grid": {"now": "staff", "then": "me"}}
        assert w.export()["contributions"][0]["assisted"] is True
