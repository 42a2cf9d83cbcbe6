"""A plugin's facilitator actions from the TUI (key . on the Activity tab): classify a
value card a phone sent without a kind, in the app's own process and with the host in a
child process; the results change."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList, Static

from facilitation_kit.testing import Phone
from facilitation_kit.tui import app as app_module
from facilitation_kit.tui.client import RemoteHost
from facilitation_kit.tui.screens.dialogs import FacilitatorActionScreen
from facilitation_kit.tui.widgets.activity import ContributionTable

from .helpers import wait_for, wait_text

SIZE = (120, 44)


def kinds_of(workshop, activity_id):
    return [c["data"].get("kind") for c in workshop.contributions(activity_id)]


@pytest.mark.parametrize("child_process", [False, True], ids=["in-process", "child-process"])
async def test_classify_a_value_card_from_the_tui(agenda_path, tmp_path, child_process):
    app = app_module.make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                              child_process=child_process)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        host = app.workshop_host
        assert isinstance(host, RemoteHost) == child_process
        w = host.workshop
        await pilot.press("n")
        await wait_for(pilot, lambda: w.current_id == "values", what="value mapping")
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("values")["state"] == "open", what="open")
        phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        await phone.hello(role="Service user")
        ack = await phone.submit({"text": "Same worker [b]every[/b] time"})  # no kind: skipped
        assert ack["type"] == "ack", ack
        await wait_for(pilot, lambda: kinds_of(w, "values") == [None], what="the card in the TUI's copy")

        await pilot.press("3")
        table = app.main.query_one(ContributionTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the card's row")
        table.focus()
        await pilot.press("full_stop")
        dialog = await wait_for(pilot, lambda: isinstance(app.screen, FacilitatorActionScreen) and app.screen,
                                what="the actions dialog")
        card = str(dialog.query_one(".card", Static).content)
        assert "[b]every[/b]" in card  # participant text is never markup
        options = dialog.query_one("#action-list", OptionList)
        assert "Classify the card" in str(options.get_option_at_index(0).prompt)
        await pilot.press("enter")  # the action
        await wait_for(pilot, lambda: options.option_count == 7, what="the kinds")
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[2] == "Something that matters in a person's life" and labels[-1] == "Kind not said"
        await pilot.press("down", "down", "enter")  # an outcome
        await wait_for(pilot, lambda: not isinstance(app.screen, FacilitatorActionScreen), what="dialog closed")
        await wait_for(pilot, lambda: kinds_of(w, "values") == ["outcome"], what="classified in the TUI's copy")
        await wait_text(pilot, "Done")
        doc = w.contribution(phone.id, ack["contribution"]["id"])
        assert doc["edited_by_facilitator"] is True and doc["participant"] == phone.id

        # the Results tab counts the card under the facilitator's kind
        await pilot.press("4")
        text = await wait_text(pilot, "person's life: 1")
        assert "Kind not said" not in text
        results = await host.channel.request("results", activity="values")
        counts = {k["kind"]: k["count"] for k in results["results"]["kinds"]}
        assert counts.get("outcome") == 1 and "not_said" not in counts
        await phone.close()


async def test_no_contribution_or_no_actions_is_said(agenda_path, tmp_path):
    app = app_module.make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        host = app.workshop_host
        w = host.workshop
        await pilot.press("3")
        app.main.query_one(ContributionTable).focus()
        await pilot.press("full_stop")
        await wait_text(pilot, "Select a contribution first")
        await pilot.press("o")
        await wait_for(pilot, lambda: w.activity_state("opening")["state"] == "open", what="open")
        phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        await phone.hello(role="Manager")
        await phone.submit({"answer": "Listening"})
        table = app.main.query_one(ContributionTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the row")
        table.focus()
        await pilot.press("full_stop")  # open_question offers no actions
        await wait_text(pilot, "This activity has no actions for a contribution")
        assert not isinstance(app.screen, FacilitatorActionScreen)
        await phone.close()
