"""The TUI's Themes view shows a contribution's typed words only, never a choice stored as
a readable name: with the host in a child process (the TUI runs no plugin code and learns
the text fields from the host's journal operations), before and after ``--resume``."""

from __future__ import annotations

from facilitation_kit.tui.app import make_app
from facilitation_kit.tui.screens.themes import ThemesScreen
from tests.tui.helpers import screen_text, wait_for, wait_text
from tests.tui.test_app import SIZE, phone, started

from .test_words import AGENDA, CARDS, SHIFTS, card, shift


def new_app(agenda, tmp_path, **kw):
    return make_app(agenda, data_dir=tmp_path / "data", host="127.0.0.1", port=0, child_process=True, **kw)


async def submit_all(pilot, host, datas):
    phones = [await phone(host, role="Service user") for _ in datas]
    await pilot.press("o")
    for p, data in zip(phones, datas):
        await p.expect("activity")
        ack = await p.submit(data)
        assert ack["type"] == "ack", ack
    return phones


async def themes_view(pilot, texts):
    """Open the Themes view of the current activity; its rows, once ``texts`` show."""
    app = pilot.app
    await pilot.press("g")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen)
    for text in texts:
        await wait_text(pilot, text)
    table = screen.query_one("#themes-contributions")
    return [" ".join(str(cell) for cell in table.get_row_at(n)) for n in range(table.row_count)]


async def test_the_themes_view_shows_only_typed_words_before_and_after_a_resume(tmp_path):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    app = new_app(agenda, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        w = host.workshop  # the TUI's copy, fed the host's operations
        phones = await submit_all(pilot, host, [card(t) for t in CARDS])
        await wait_for(pilot, lambda: len(w.contributions("values")) == 3, what="three cards")
        await wait_for(pilot, lambda: w.activity_state("values").get("text_fields") == ["text"],
                       what="the recorded text fields")
        rows = await themes_view(pilot, CARDS)
        assert len(rows) == 3 and all("Manager" not in row for row in rows), rows
        assert "Manager" not in screen_text(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ThemesScreen))
        await pilot.press("n")
        await wait_for(pilot, lambda: w.current_id == "shifts")
        phones += await submit_all(pilot, host, [shift(a, b) for a, b in SHIFTS])
        await wait_for(pilot, lambda: len(w.contributions("shifts")) == 3, what="three shifts")
        for p in phones:
            await p.close()
        await wait_text(pilot, "0 connected")
        session = host.session_id
        await pilot.press("q")
    assert app.return_code == 0
    again = new_app(None, tmp_path, resume=session)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        assert host.resumed and host.workshop.current_id == "shifts"
        assert host.workshop.activity_state("shifts")["text_fields"] == ["from_text", "to_text", "note", "helps"]
        rows = await themes_view(pilot, [a for a, _ in SHIFTS])
        assert len(rows) == 3 and all("Front-line professional" not in row for row in rows), rows
        assert all(a in row for (a, _), row in zip(SHIFTS, rows)), rows
        assert "Front-line professional" not in screen_text(again)
        await pilot.press("q")
