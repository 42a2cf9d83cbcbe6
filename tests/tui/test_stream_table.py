"""The contribution table under a stream of rows (issue 16): rows come in batches, a
few times a second, and none is lost; the cursor stays on its contribution; moderation
keys act on the contribution the facilitator selected. Real host, real phones over
loopback, the Textual pilot."""

from __future__ import annotations

import asyncio

from facilitation_kit.tui.widgets.activity import ContributionTable

from .helpers import screen_text, wait_for, wait_text
from .test_app import SIZE, new_app, phone, started


async def _open_with_phones(pilot, host, count: int):
    phones = [await phone(host, role=("Service user", "Manager", "Front-line professional")[i % 3])
              for i in range(count)]
    await pilot.press("o")
    await wait_for(pilot, lambda: host.workshop.activity_state("opening")["state"] == "open", what="open")
    for p in phones:
        await p.expect("activity")
    await pilot.press("3")
    table = pilot.app.main.query_one(ContributionTable)
    await wait_for(pilot, lambda: pilot.app.main.query_one("#tabs").active == "activity", what="the Activity tab")
    return phones, table


async def _burst(phones, per_phone: int, tag: str) -> list[str]:
    """Every phone submits ``per_phone`` answers at once; the table keys of the acked ones."""
    async def one(p, n):
        acks = []
        for i in range(n):
            ack = await p.submit({"answer": f"{tag} {p.id[:4]} {i}"})
            assert ack["type"] == "ack", ack
            acks.append(f"{p.id}/{ack['id']}")
        return acks
    done = await asyncio.gather(*(one(p, per_phone) for p in phones))
    return [key for keys in done for key in keys]


def _keys(table) -> list[str]:
    return [row.key.value for row in table.ordered_rows]


async def _select_among_early_rows(pilot, host, row: int):
    """Four phones, two answers each; the table focused with the cursor on ``row``.
    Returns the phones, the table, the early rows' keys and the selected key."""
    phones, table = await _open_with_phones(pilot, host, 4)
    early = await _burst(phones, 2, "early")
    await wait_for(pilot, lambda: table.row_count == 8, what="8 rows")
    table.focus()
    table.move_cursor(row=row)
    await pilot.pause()
    return phones, table, early, table.selected_key()


async def test_a_burst_of_contributions_all_appear_once_in_arrival_order(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        phones, table = await _open_with_phones(pilot, host, 5)
        keys = await _burst(phones, 12, "burst")
        await wait_for(pilot, lambda: table.row_count == 60, what="all 60 rows")
        await wait_text(pilot, "60 contributions")
        assert sorted(_keys(table)) == sorted(keys) and len(set(_keys(table))) == 60
        stored = [f"{c['participant']}/{c['id']}" for c in host.workshop.contributions("opening")]
        assert _keys(table) == stored  # the engine's order, which is the order of arrival
        # the table follows the newest row; and its cached lines are right after scrolling
        newest = host.workshop.contributions("opening")[-1]["data"]["answer"]
        await wait_text(pilot, newest)
        table.scroll_home(animate=False, immediate=True)
        first = host.workshop.contributions("opening")[0]["data"]["answer"]
        text = await wait_text(pilot, first)
        numbers = [line.split()[0] for line in text.splitlines() if "burst" in line]
        assert numbers[:3] == ["1", "2", "3"], text  # the # column counts in arrival order
        for p in phones:
            await p.close()


async def test_the_cursor_stays_on_its_contribution_as_rows_come_and_go(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        phones, table, first, chosen = await _select_among_early_rows(pilot, host, 5)
        assert chosen == _keys(table)[5]
        await _burst(phones, 10, "later")
        await wait_for(pilot, lambda: table.row_count == 48, what="48 rows")
        assert table.selected_key() == chosen and table.cursor_row == 5
        # a contribution above the cursor is withdrawn: the cursor keeps its contribution
        above = _keys(table)[1]
        owner = next(p for p in phones if above.startswith(p.id + "/"))
        assert (await owner.withdraw(above.split("/", 1)[1]))["type"] == "ack"
        await wait_for(pilot, lambda: table.row_count == 47, what="the withdrawn row gone")
        assert table.selected_key() == chosen and table.cursor_row == 4
        assert above not in _keys(table) and set(first) - {above} <= set(_keys(table))
        # the keys move the cursor from there
        await pilot.press("down")
        assert table.selected_key() == _keys(table)[5]
        for p in phones:
            await p.close()


async def test_moderation_keys_act_on_the_selected_row_while_rows_arrive(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        w = host.workshop
        phones, table, _, chosen = await _select_among_early_rows(pilot, host, 3)
        pid, cid = chosen.split("/", 1)
        burst = asyncio.ensure_future(_burst(phones, 10, "during"))
        await wait_for(pilot, lambda: table.row_count > 8, what="the first rows of the burst")
        await pilot.press("h")  # hide, while the burst's rows come in batches
        await pilot.press("asterisk")
        await burst
        await wait_for(pilot, lambda: table.row_count == 48, what="48 rows")
        await wait_for(pilot, lambda: (w.contribution(pid, cid) or {}).get("hidden")
                       and (w.contribution(pid, cid) or {}).get("starred"), what="hidden and starred")
        docs = [w.contribution(c["participant"], c["id"]) for c in w.contributions("opening", include_hidden=True)]
        assert len(docs) == 48
        assert [(d["participant"], d["id"]) for d in docs if d.get("hidden")] == [(pid, cid)]
        assert [(d["participant"], d["id"]) for d in docs if d.get("starred")] == [(pid, cid)]
        await wait_text(pilot, "1 hidden")
        assert table.selected_key() == chosen
        row = table.get_row(chosen)
        assert "starred" in row[3].plain and "hidden" in row[3].plain
        for p in phones:
            await p.close()


async def test_the_lobby_counts_people_who_joined_while_it_was_hidden(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        await pilot.press("3")
        await wait_for(pilot, lambda: app.main.query_one("#tabs").active == "activity", what="the Activity tab")
        phones = [await phone(host, name=f"P{i}", role="Manager") for i in range(3)]
        await wait_for(pilot, lambda: host.workshop.connected_count() == 3, what="3 connected")
        await wait_text(pilot, "3 connected")  # the status strip
        await pilot.press("1")
        text = await wait_text(pilot, "3 Manager")
        assert "P0" in text and "P2" in text, screen_text(app)
        for p in phones:
            await p.close()
