"""Every key is declared once (tui/keys.py): each screen's bindings are made from the
table, and the help screen explains every one of them."""

from __future__ import annotations

from facilitation_kit.tui.app import FacilitatorApp
from facilitation_kit.tui.keys import KEYS, TABS, help_rows
from facilitation_kit.tui.screens.help import PLACES, HelpScreen
from facilitation_kit.tui.screens.main import MainScreen
from facilitation_kit.tui.screens.themes import ThemesScreen
from facilitation_kit.tui.widgets.activity import ActivityPane
from facilitation_kit.tui.widgets.agenda import AgendaTable
from facilitation_kit.tui.widgets.participants import ParticipantsPane
from facilitation_kit.tui.widgets.results import ResultsPane

from .helpers import wait_text
from .test_app import SIZE, new_app, started

BOUND = {"Anywhere": MainScreen, "App": FacilitatorApp, "Agenda": AgendaTable, "Activity": ActivityPane,
         "Results": ResultsPane, "People": ParticipantsPane, "Themes": ThemesScreen}


def test_every_place_is_bound_from_the_table_and_in_the_help():
    assert set(BOUND) == set(KEYS) == {place for place, _ in PLACES}
    for place, owner in BOUND.items():
        bound = [(b.key, b.action) for b in owner.BINDINGS]
        assert bound == [(k.keys, k.action) for k in KEYS[place]], place


def test_every_key_is_explained_or_explained_with_the_one_before():
    for place, keys in KEYS.items():
        assert keys[0].help, (place, keys[0].keys)
        for key in keys:
            assert key.label, key
        explained = None
        for key in keys:
            if key.help:
                explained = key
            else:  # explained together with the one before, e.g. "n / p", "1 … 5"
                assert explained.shown, (place, key.keys)
    assert help_rows("Anywhere")[0] == ("1 … 5", "Lobby, Agenda, Activity, Results, People (or click the tabs)")
    assert len(TABS) == 5


async def test_the_help_screen_shows_every_place_and_key(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=(SIZE[0], 200), notifications=True) as pilot:
        await started(pilot)
        await pilot.press("question_mark")
        text = await wait_text(pilot, "Themes view (g)")
        assert isinstance(app.screen, HelpScreen)
        for place, heading in PLACES:
            assert heading in text, heading
            for shown, words in help_rows(place):
                assert shown in text and words[:40] in text, (place, shown)
        assert "star the selected contribution" in text and "suggest themes" in text
