"""The facilitator's TUI driven by real phones over loopback websockets."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from textual.widgets import TabbedContent

from facilitation_kit.tui.app import make_app
from facilitation_kit.tui.screens.dialogs import ConfirmScreen, ExportScreen, HostPickerScreen, NoteScreen, TimerScreen
from facilitation_kit.tui.screens.help import HelpScreen
from facilitation_kit.testing import Facilitator, Phone
from facilitation_kit.tui.widgets.activity import ContributionTable
from facilitation_kit.tui.widgets.qr import QRCode

from .helpers import screen_text, wait_for, wait_text, widget_text

SIZE = (120, 40)


def new_app(agenda_path, tmp_path, **kw):
    kw.setdefault("host", "127.0.0.1")
    kw.setdefault("port", 0)
    return make_app(agenda_path, data_dir=tmp_path / "data", **kw)


async def started(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
    return app.workshop_host


async def dialog_ready(pilot, screen_type, focus: str):
    """Wait until the dialog is the screen and its field has the focus: keys pressed
    before the dialog's focus is set go nowhere (the focus is set after it mounts)."""
    app = pilot.app
    return await wait_for(pilot, lambda: isinstance(app.screen, screen_type) and app.screen.focused is not None
                          and app.screen.focused is app.screen.query_one(focus), what=f"{screen_type.__name__} ready")


async def phone(host, *, name=None, role=None) -> Phone:
    p = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
    welcome = await p.hello(name=name, role=role)
    assert welcome["type"] == "welcome", welcome
    return p


async def test_participants_arrive_in_the_lobby(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        text = await wait_text(pilot, host.room)
        assert host.url in text and "0 connected" in text
        ana = await phone(host, name="Ana", role="Service user")
        await phone(host, role="Manager")
        await phone(host)
        # the lobby's own line, complete: with the host in a child process a join and the
        # role it gave can reach the app in two flushes (the status strip's "3 connected"
        # may come first)
        expected = ["1 Service user", "1 Manager", "1 No role given", "Ana", "anonymous"]
        await wait_for(pilot, lambda: "3 connected" in widget_text(app.main.query_one("#lobby-count"))
                       and all(word in screen_text(app) for word in expected), what="the three in the lobby")
        await ana.close()
        await wait_text(pilot, "2 connected")
        assert app.main.query_one("#lobby-qr", QRCode).data == host.url


async def test_contributions_appear_live_tagged_and_filtered_by_role(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        user = await phone(host, name="Ana", role="Service user")
        pro = await phone(host, role="Front-line professional")
        await pilot.press("o")
        await wait_for(pilot, lambda: host.workshop.activity_state("opening")["state"] == "open")
        await user.expect("activity")
        await pro.expect("activity")
        assert (await user.submit({"answer": "Time to talk"}))["type"] == "ack"
        assert (await pro.submit({"answer": "Fewer forms"}))["type"] == "ack"
        await pilot.press("3")
        text = await wait_text(pilot, "Fewer forms")
        assert "Time to talk" in text and "Service user" in text and "Front-line professional" in text
        notes = widget_text(app.main.query_one("#activity-notes"))
        assert "Read out two answers from different roles." in notes  # the notes, only here
        assert "Ana" not in text  # never the author's name on the activity view
        await pilot.press("r")  # only service users
        text = await wait_text(pilot, "showing: Service user")
        assert "Time to talk" in text and "Fewer forms" not in text
        await pilot.press("r")
        text = await wait_text(pilot, "showing: Front-line professional")
        assert "Fewer forms" in text and "Time to talk" not in text


async def test_a_facilitator_channel_command_moves_the_tui(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        remote = await Facilitator.connect(f"ws://127.0.0.1:{host.port}", host.facilitator_token)
        try:
            assert (await remote.send_command("next"))["type"] == "ok"
            text = await wait_text(pilot, "2/3 Value mapping")
            await pilot.press("2")
            await wait_for(pilot, lambda: "▶" in screen_text(app))
            row = next(line for line in screen_text(app).splitlines() if "▶" in line)
            assert "Value mapping" in row
            assert (await remote.send_command("open"))["type"] == "ok"
            await wait_text(pilot, "OPEN")
            assert (await remote.send_command("timer", seconds=300, close_at_end=True))["type"] == "ok"
            text = await wait_text(pilot, "left → closes")
            assert "04:5" in text or "05:00" in text
        finally:
            await remote.close()


async def test_keys_drive_the_engine_and_the_phones(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, role="Service user")
        await pilot.press("n")
        frame = await ana.expect("activity")
        assert frame["activity"]["id"] == "values"
        await pilot.press("o")
        frame = await ana.expect("activity")
        assert frame["activity"]["state"] == "open"
        await pilot.press("c")
        frame = await ana.expect("activity")
        assert frame["activity"]["state"] == "closed"
        await pilot.press("p")
        frame = await ana.expect("activity")
        assert frame["activity"]["id"] == "opening"
        await pilot.press("p")  # already the first: a warning, nothing breaks
        await wait_text(pilot, "this is the first activity")
        await pilot.press("2", "down", "down", "enter")  # jump from the agenda
        frame = await ana.expect("activity")
        assert frame["activity"]["id"] == "closing"
        await wait_text(pilot, "3/3 Closing round")


async def test_timer_start_pause_add_minute_and_auto_close(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host)
        await pilot.press("o")
        await ana.expect("activity")
        await pilot.press("t")
        await dialog_ready(pilot, TimerScreen, "#duration")
        app.screen.query_one("#duration").value = ""
        await pilot.press(*"2:00", "enter")
        frame = await ana.expect("activity")
        assert frame["activity"]["ends_at"] is not None  # phones count down too
        await wait_text(pilot, "left")
        await pilot.press("space")
        await wait_text(pilot, "paused at 0")
        await pilot.press("plus")
        await wait_for(pilot, lambda: "paused at 03:00" in screen_text(app) or "paused at 02:59" in screen_text(app),
                       what="a minute more")
        await pilot.press("space")
        await wait_for(pilot, lambda: host.workshop.activity_state("opening").get("ends_at"))
        # a short timer that closes submissions at zero
        await pilot.press("t")
        await dialog_ready(pilot, TimerScreen, "#duration")
        app.screen.query_one("#duration").value = ""
        await pilot.press(*"1s")
        await wait_for(pilot, lambda: app.screen.query_one("#duration").value == "1s", what="1s typed")
        app.clear_notifications()  # toasts sit over the dialog's corner
        await pilot.pause()
        await pilot.click("#close")  # the mouse works in dialogs too
        assert app.screen.query_one("#close").value is True
        await pilot.click("#start")
        await wait_for(pilot, lambda: host.workshop.activity_state("opening")["state"] == "closed",
                       what="auto-close at zero")
        await wait_text(pilot, "closed")


class RoomScreen:
    """The room's screen channel (/ws/screen), as the screen page speaks it."""

    def __init__(self, ws):
        self.ws, self.last = ws, None

    @classmethod
    async def connect(cls, host) -> "RoomScreen":
        from websockets.asyncio.client import connect

        ws = await connect(f"ws://127.0.0.1:{host.port}/ws/screen", max_size=None)
        await ws.send(json.dumps({"type": "auth", "token": host.screen_url.split("#token=")[1]}))
        screen = cls(ws)
        await screen.until(lambda f: True)
        return screen

    async def until(self, predicate, timeout: float = 15) -> dict:
        async with asyncio.timeout(timeout):
            while self.last is None or not predicate(self.last):
                self.last = json.loads(await self.ws.recv())
        return self.last


async def test_hidden_contributions_never_reach_the_screen_and_keys_drive_it(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        screen = await RoomScreen.connect(host)
        ana = await phone(host, role="Service user")
        await pilot.press("o")
        await ana.expect("activity")
        await ana.submit({"answer": "Keep this"})
        await ana.submit({"answer": "Rude remark"})
        await pilot.press("3")
        await wait_text(pilot, "Rude remark")
        table = app.main.query_one(ContributionTable)
        table.focus()
        table.move_cursor(row=1)
        await pilot.press("h")
        await wait_text(pilot, "1 hidden")
        frame = await screen.until(lambda f: "Keep this" in json.dumps(f) and "Rude remark" not in json.dumps(f))
        assert "Read out two answers" not in json.dumps(frame)  # never the facilitator's notes
        await ana.submit({"answer": "Later one"})
        frame = await screen.until(lambda f: "Later one" in json.dumps(f))
        assert "Rude remark" not in json.dumps(frame)
        # s: the selected (shown) contribution large on the screen; b: blank and back
        table.move_cursor(row=0)
        await pilot.press("s")
        frame = await screen.until(lambda f: f["view"] == "highlight")
        assert frame["highlight"]["text"] == "Keep this"
        await pilot.press("b")
        await screen.until(lambda f: f["view"] == "blank")
        await pilot.press("b")
        await screen.until(lambda f: f["view"] == "highlight")
        await pilot.press("v")
        await screen.until(lambda f: f["view"] == "results")
        await pilot.press("v")
        await screen.until(lambda f: f["view"] == "activity")
        await pilot.press("k")
        await wait_text(pilot, "Room screen link")
        assert app.clipboard == host.screen_url
        # K: a new link after confirmation; the screen on the old one is closed
        old = host.screen_url
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_text(pilot, "New screen link")
        assert host.screen_url != old
        with pytest.raises(Exception):
            await screen.until(lambda f: False, timeout=10)
        assert screen.ws.close_code == 4003
        # the report for the room leaves it out, the JSON record keeps it marked
        hidden = [c for c in host.workshop.export()["contributions"] if c.get("hidden")]
        assert [c["data"]["answer"] for c in hidden] == ["Rude remark"]


async def test_approve_before_showing(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, name="Ana Author", role="Manager")
        await pilot.press("o")
        await ana.expect("activity")
        await pilot.press("3", "m")
        await wait_text(pilot, "approve before showing: ON")
        ack = await ana.submit({"answer": "Needs a look"})
        assert ack["type"] == "ack"
        text = await wait_text(pilot, "awaiting approval")
        assert "Ana Author" not in text
        assert (await host.channel.request("results", activity="opening"))["results"]["count"] == 0
        screen = await RoomScreen.connect(host)
        frame = await screen.until(lambda f: f["view"] == "activity")
        assert "Needs a look" not in json.dumps(frame)
        app.main.query_one(ContributionTable).focus()
        await pilot.press("a")
        await wait_for(pilot, lambda: not host.workshop.is_held(ana.id, ack["id"]), what="approval")
        assert (await host.channel.request("results", activity="opening"))["results"]["count"] == 1
        frame = await screen.until(lambda f: "Needs a look" in json.dumps(f))
        assert "Ana Author" not in json.dumps(frame)
        await screen.ws.close()


async def test_status_of_a_long_contribution_stays_on_screen(agenda_path, tmp_path):
    """A 300-character contribution, starred and awaiting approval: at 120 columns both
    words are on its row, before the text (never pushed off the screen by it)."""
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, role="Manager")
        await pilot.press("o")
        await ana.expect("activity")
        await pilot.press("3", "m")
        await wait_text(pilot, "approve before showing: ON")
        long = ("Longword " * 34)[:290] + " END-OF-IT"
        assert len(long) == 300
        ack = await ana.submit({"answer": long})
        assert ack["type"] == "ack"
        await wait_text(pilot, "awaiting approval")
        app.main.query_one(ContributionTable).focus()
        await pilot.press("asterisk")
        await wait_for(pilot, lambda: (host.workshop.contribution(ana.id, ack["id"]) or {}).get("starred"), what="star")
        text = await wait_text(pilot, "* starred")
        row = next(line for line in text.splitlines() if "Longword" in line)
        assert "* starred" in row and "awaiting approval" in row, row
        assert row.index("awaiting approval") < row.index("Longword")
        assert "END-OF-IT" not in row  # the text is the part that is cut, not the status
        assert host.workshop.is_held(ana.id, ack["id"])


async def test_results_view_draws_report_blocks_and_split_by_role(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        a = await phone(host, role="Service user")
        b = await phone(host, role="Manager")
        await pilot.press("o")
        await a.expect("activity")
        await a.submit({"answer": "Being listened to"})
        await b.submit({"answer": "Budget"})
        await a.submit({"answer": "[red]not red[/red]"})
        await pilot.press("4")
        text = await wait_text(pilot, "3 answers.")
        assert "Contributions" in text and "Contributors" in text
        # one person per role: below min_group (3), so no role is named anywhere in the results
        assert "Service user" not in text and "Manager" not in text
        assert "Roles under 3 people: not shown" in text
        assert "“Being listened to”" in text and "[red]not red[/red]" in text
        await pilot.press("right_square_bracket")
        await wait_text(pilot, "Results: Value mapping")


async def test_results_split_follows_min_group(agenda_path, tmp_path):
    """The results view's split by role uses the core's one small-group rule: two people
    in a role (min_group 3) are never named; three are."""
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        users = [await phone(host, role="Service user") for _ in range(3)]
        managers = [await phone(host, role="Manager") for _ in range(2)]
        await pilot.press("o")
        for n, p in enumerate(users + managers):
            await p.expect("activity")
            assert (await p.submit({"answer": f"Answer {n}"}))["type"] == "ack"
        await pilot.press("4")
        text = await wait_text(pilot, "5 answers.")
        split = next(w for w in app.main.query(".block-table") if "Contributors" in str(w.content.columns[2].header))
        rows = [str(cell) for cell in split.content.columns[0]._cells]
        assert rows == ["Service user", "All"]
        assert "Manager" not in text and "Other roles" not in text
        assert "Roles under 3 people: not shown" in text
        # a third manager: the role may be shown
        third = await phone(host, role="Manager")  # joins an open activity: the welcome carries it
        assert (await third.submit({"answer": "Answer 5"}))["type"] == "ack"
        text = await wait_text(pilot, "6 answers.")
        split = next(w for w in app.main.query(".block-table") if "Contributors" in str(w.content.columns[2].header))
        assert [str(cell) for cell in split.content.columns[0]._cells] == ["Service user", "Manager", "All"]


async def test_erase_a_participant_after_confirmation(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, name="Ana", role="Service user")
        await phone(host, name="Bo", role="Manager")
        await pilot.press("o")
        await ana.expect("activity")
        await ana.submit({"answer": "Erase me"})
        await pilot.press("5")
        await wait_text(pilot, "Bo")
        await pilot.press("x")  # the first row: Ana
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        body = str(app.screen.body)
        assert "Ana (Service user)" in body and "(1 contribution)" in body
        assert "exports and reports written earlier are outside the kit" in body
        await pilot.press("n")  # changed her mind: nothing erased
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert host.workshop.participant(ana.id) is not None
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: host.workshop.participant(ana.id) is None, what="erased")
        await wait_text(pilot, "Erased the participant and 1 contribution")
        await wait_for(pilot, lambda: "Ana" not in screen_text(app) and "Bo" in screen_text(app),
                       what="Ana gone from the table")
        assert [p["name"] for p in host.workshop.participants()] == ["Bo"]
        assert host.workshop.contributions("opening") == []


@pytest.mark.parametrize("fmt", ["json", "csv", "md", "html", "docx"])
async def test_export_from_a_key(agenda_path, tmp_path, fmt):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, role="Service user")
        await pilot.press("o")
        await ana.expect("activity")
        await ana.submit({"answer": "Exported words"})
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen))
        await pilot.press({"json": "j", "csv": "c", "md": "m", "html": "h", "docx": "w"}[fmt])
        await wait_for(pilot, lambda: app.last_export is not None, what="export written")
        path = app.last_export
        assert path.parent == tmp_path / "data" / "exports" and path.suffix == f".{fmt}"
        if fmt == "docx":  # the Word file, read back with python-docx
            from docx import Document

            content = "\n".join(p.text for p in Document(str(path)).paragraphs)
        else:
            content = path.read_text(encoding="utf-8")
        assert "Exported words" in content
        if fmt == "json":
            assert json.loads(content)["session"]["room"] == host.room
        await wait_text(pilot, path.name[:30])


async def test_note_key_writes_the_activitys_note_for_the_report(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        current = host.workshop.current_id
        await pilot.press("N")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        await pilot.press(*"We agreed: ask first")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (host.workshop.tables["notes"].get(current) or {}).get("text")
                       == "We agreed: ask first", what="note stored on the host")
        assert host.workshop.export()["notes"][0]["text"] == "We agreed: ask first"
        await pilot.press("N")  # opens with the stored note; emptied, it is removed
        await wait_for(pilot, lambda: isinstance(app.screen, NoteScreen))
        assert app.screen.query_one("#note").text == "We agreed: ask first"
        app.screen.query_one("#note").text = ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: current not in host.workshop.tables["notes"], what="note removed")


async def test_quit_asks_while_participants_are_connected(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host)
        await wait_text(pilot, "1 connected")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert host.session_id in re.sub(r"[\s█▌▐]", "", screen_text(app))
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
    assert app.return_code == 0
    await asyncio.wait_for(ana.ws.wait_closed(), 5)  # the phone lost the room
    assert host.server is None  # the host was closed with the app


async def test_quit_without_participants_and_resume(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        ana = await phone(host, role="Service user")
        await pilot.press("o")
        await ana.expect("activity")
        await ana.submit({"answer": "Survives a restart"})
        await ana.close()
        await wait_text(pilot, "0 connected")
        session = host.session_id
        await pilot.press("q")
    assert app.return_code == 0
    again = make_app(None, data_dir=tmp_path / "data", host="127.0.0.1", port=0, resume=session)
    async with again.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        assert host.resumed and host.session_id == session
        await pilot.press("3")
        await wait_text(pilot, "Survives a restart")


async def test_help_theme_and_join_address(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        await pilot.press("question_mark")
        text = await wait_text(pilot, "approve before showing")
        assert "Keys" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        before = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != before
        qr = app.main.query_one("#lobby-qr", QRCode)
        assert qr.styles.background.hex.upper() == "#FFFFFF"  # dark on light whatever the theme
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, HostPickerScreen))
        app.screen.query_one("#custom").focus()
        await pilot.press(*"workshop.local", "enter")
        await wait_for(pilot, lambda: host.public_host == "workshop.local")
        assert host.url.startswith("http://workshop.local:")
        await wait_for(pilot, lambda: qr.data == host.url)
        await wait_text(pilot, host.url)


async def test_small_terminal_shows_the_essentials(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        host = await started(pilot)
        text = await wait_text(pilot, f"Room {host.room}")
        assert "Next" in text and "Quit" in text  # keys in the footer
        for key, expect in [("2", "Opening round"), ("3", "contributions"), ("4", "Results:"),
                            ("5", "joined in all")]:
            await pilot.press(key)
            await wait_text(pilot, expect)
            assert app.main.query_one(TabbedContent).active


async def test_a_port_in_use_is_one_clear_line(agenda_path, tmp_path):
    blocker = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = blocker.sockets[0].getsockname()[1]
    try:
        app = new_app(agenda_path, tmp_path, port=port)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            await pilot.pause()
        assert app.return_code == 2
        assert f"port {port}" in app.startup_error and "already in use" in app.startup_error
    finally:
        blocker.close()
        await blocker.wait_closed()


async def test_the_cockpit_follows_the_workshop_unless_the_facilitator_is_busy(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        tabs = app.main.query_one(TabbedContent)
        assert tabs.active == "lobby"
        await pilot.press("o")  # the current activity opens: its live view comes up
        await wait_for(pilot, lambda: tabs.active == "activity", what="the activity tab")
        await pilot.press("1", "plus")  # another change to the open activity: the cockpit stays
        await wait_for(pilot, lambda: app.workshop_host.workshop.activity_state("opening").get("ends_at"))
        await pilot.pause(0.5)
        assert tabs.active == "lobby"
        await pilot.press("n")
        await wait_for(pilot, lambda: app.workshop_host.workshop.current_id == "values")
        await pilot.press("t")  # a dialog is open: opening from elsewhere does not move the cockpit
        await wait_for(pilot, lambda: isinstance(app.screen, TimerScreen))
        f = await Facilitator.connect(f"ws://127.0.0.1:{host.port}", host.facilitator_token)
        try:
            assert (await f.send_command("open"))["type"] == "ok"
        finally:
            await f.close()
        await wait_for(pilot, lambda: app.workshop_host.workshop.activity_state("values")["state"] == "open")
        await pilot.pause(0.5)
        await pilot.press("escape")
        assert tabs.active == "lobby"
