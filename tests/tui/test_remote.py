"""The TUI with the host in a child process (the default of ``facilitation-kit run``).

The Pilot tests of test_app.py run again here against a :class:`RemoteHost` (a smoke set:
lobby, live contributions, keys that reach phones, hide, moderation, export, quit and
resume, a port in use); then what only the child mode has: the mirror, the channel
extensions it relies on, and a host process that dies.
"""

from __future__ import annotations

import asyncio
import functools
import os
import signal

import pytest

from facilitation_kit.host.assembly import Host
from facilitation_kit.tui.client import RemoteHost
from facilitation_kit.tui.screens.dialogs import ConfirmScreen
from facilitation_kit.testing import Facilitator

from . import test_app as base
from .helpers import screen_text, wait_for, wait_text


@pytest.fixture
def child_mode(monkeypatch):
    """test_app's tests, with every app they build running the host in a child process."""
    monkeypatch.setattr(base, "make_app", functools.partial(base.make_app, child_process=True))


SMOKE = ["test_participants_arrive_in_the_lobby", "test_contributions_appear_live_tagged_and_filtered_by_role",
         "test_a_facilitator_channel_command_moves_the_tui", "test_keys_drive_the_engine_and_the_phones",
         "test_hidden_contributions_never_reach_the_screen_and_keys_drive_it", "test_approve_before_showing",
         "test_erase_a_participant_after_confirmation", "test_quit_asks_while_participants_are_connected",
         "test_quit_without_participants_and_resume", "test_a_port_in_use_is_one_clear_line"]


@pytest.mark.parametrize("name", SMOKE)
async def test_child_mode(name, agenda_path, tmp_path, child_mode):
    app_holder = {}
    original = base.make_app

    def recording(*a, **kw):
        app = original(*a, **kw)
        app_holder.setdefault("apps", []).append(app)
        return app

    base.make_app = recording
    await getattr(base, name)(agenda_path, tmp_path)
    for app in app_holder.get("apps", []):
        assert isinstance(app.workshop_host, RemoteHost)
        proc = app.workshop_host.process
        assert proc is None or proc.returncode is not None  # the child stopped with the app


@pytest.mark.parametrize("fmt", ["json", "html"])
async def test_child_mode_export(fmt, agenda_path, tmp_path, child_mode):
    await base.test_export_from_a_key(agenda_path, tmp_path, fmt)


async def test_the_mirror_follows_the_child(agenda_path, tmp_path):
    app = base.make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, child_process=True)
    async with app.run_test(size=base.SIZE, notifications=True) as pilot:
        host = await base.started(pilot)
        w = host.workshop
        assert host.url.endswith(f"/?room={host.room}") and f":{host.port}/" in host.url
        ana = await base.phone(host, name="Ana", role="Service user")
        await pilot.press("o")
        await ana.expect("activity")
        await pilot.press("3")
        await pilot.press("m")  # approve before showing
        await wait_for(pilot, lambda: w.activity_state("opening").get("moderated"))
        reply = await ana.submit({"answer": "Waits"})
        await wait_for(pilot, lambda: w.is_held(reply["contribution"]["participant"], reply["id"]))
        await wait_text(pilot, "awaiting approval")
        await w.request("timer", seconds=300, close_at_end=True)  # the copy learns ends_at from the ops
        assert w.activity_state("opening").get("ends_at") and w.activity_state("opening")["close_at_end"]
        await wait_text(pilot, "left → closes")
        assert w.participants()[0]["name"] == "Ana" and w.connected_count() == 1
        assert [c["data"]["answer"] for c in w.contributions("opening", include_hidden=True)] == ["Waits"]
        assert w.contributions("opening") == []  # held: not for the room
        await w.request("timer", seconds=1, close_at_end=True)  # runs out after we moved on:
        await w.request("next")  # the host's own operations and an event tell the copy
        await wait_for(pilot, lambda: w.activity_state("opening")["state"] == "closed", what="closed by its timer")


async def test_a_dying_host_process_is_shown(agenda_path, tmp_path):
    app = base.make_app(agenda_path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, child_process=True)
    async with app.run_test(size=base.SIZE, notifications=True) as pilot:
        host = await base.started(pilot)
        os.kill(host.process.pid, signal.SIGKILL)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the host-stopped dialog")
        text = await wait_text(pilot, "host stopped")
        assert "--resume" in text
        await pilot.press("n")
        await pilot.press("o")  # commands now say why they cannot work, and nothing crashes
        await wait_text(pilot, "not running")
        await pilot.press("q")  # nobody can be connected: quits at once
    assert app.return_code == 0


async def test_the_copy_is_fed_the_hosts_operations(agenda_path, tmp_path):
    """The TUI's copy is a WorkshopState fed by the host's stored operations (the ``ops``
    extension event): after any mix of commands it answers every query as the host does."""
    from facilitation_kit.core.state import WorkshopState

    async with Host.start(agenda_path, data_dir=tmp_path / "data", port=0) as host:
        f = await Facilitator.connect(f"ws://127.0.0.1:{host.port}", host.facilitator_token)
        try:
            state = (await f.send_command("state"))["state"]
            copy = WorkshopState(host.workshop.agenda, WorkshopState.tables_from_snapshot(state))
            ana = await base.phone(host, name="Ana", role="Manager")
            assert (await f.send_command("open"))["type"] == "ok"
            await ana.expect("activity")
            first = await ana.submit({"answer": "One"})
            await ana.submit({"answer": "Two"})
            await f.send_command("hide", participant=first["contribution"]["participant"], contribution=first["id"])
            await f.send_command("timer", seconds=60, close_at_end=True)
            await f.send_command("erase", participant=first["contribution"]["participant"])
            await f.send_command("next")
            applied = 0
            for _ in range(50):  # the host also stores things in the background (an activity's
                # text fields, once its form is built): their ops come a little later
                ops = [frame for frame in f.events if frame["type"] == "ops"]  # in order, each before its ok
                for frame in ops[applied:]:
                    assert all("token_hash" not in op[3] for op in frame["ops"] if op[1] == "participants")
                    copy.apply([tuple(op) for op in frame["ops"]])
                applied = len(ops)
                host_tables = {k: v for k, v in host.workshop.tables.items()}
                host_tables["participants"] = {pid: {k: v for k, v in d.items() if k != "token_hash"}
                                               for pid, d in host_tables["participants"].items()}
                if copy.tables == host_tables:
                    break
                await asyncio.sleep(0.02)
                await f.send_command("agenda")  # a round trip: frames sent meanwhile arrive first
            assert applied >= 8
            assert copy.tables == host_tables
            assert copy.agenda_view() == host.workshop.agenda_view()
            assert copy.contributions(include_hidden=True) == host.workshop.contributions(include_hidden=True)
        finally:
            await f.close()


async def test_channel_extensions_for_the_mirror(agenda_path, tmp_path):
    async with Host.start(agenda_path, data_dir=tmp_path / "data", port=0) as host:
        f = await Facilitator.connect(f"ws://127.0.0.1:{host.port}", host.facilitator_token)
        try:
            ana = await base.phone(host, role="Manager")
            assert (await f.send_command("open"))["type"] == "ok"
            ok = await f.send_command("moderate", activity="opening", moderated=True)
            assert ok["type"] == "ok" and host.workshop.activity_state("opening")["moderated"]
            assert (await f.expect("moderation"))["moderated"] is True
            await ana.expect("activity")
            await ana.submit({"answer": "Held"})
            event = await f.expect("contribution")
            assert event["held"] is True and event["contribution"]["hidden"] is True
            rows = (await f.send_command("contributions", activity="opening"))["contributions"]
            assert [(r["data"]["answer"], r["role"], r.get("held")) for r in rows] == [("Held", "Manager", True)]
            bad = await f.send_command("contributions", activity="nope")
            assert bad["code"] == "unknown_activity"
            state = (await f.send_command("state"))["state"]
            assert state["session"]["room"] == host.room and state["connected"]
            assert all("token_hash" not in p for p in state["participants"].values())
            assert state["activities"]["opening"]["moderated"] is True
            bad = await f.send_command("moderate", activity="opening", moderated="yes")
            assert bad["code"] == "bad_message"
        finally:
            await f.close()
