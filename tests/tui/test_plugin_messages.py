"""The facilitator's TUI names a failing plugin: the plugin, the exception type and
message, and the session's log file that holds the traceback."""

from __future__ import annotations

from facilitation_kit import hookimpl
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.testing import Phone, single_activity
from facilitation_kit.tui.app import make_app

from .helpers import wait_for

SIZE = (120, 40)


class Broken(ActivityType):
    name = "broken"
    title = "Broken"

    def form(self, activity):
        return Form([TextField("answer", label="Answer")])

    def validate(self, activity, data):
        raise ValueError("no colour given")


class BrokenPlugin:
    @hookimpl
    def register_activities(self, register):
        register(Broken())


async def test_a_plugin_failure_is_named_in_the_tui(tmp_path):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(single_activity("broken", auto_open=True), encoding="utf-8")
    app = make_app(agenda, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                   plugins=load_plugins(extra=[("broken", BrokenPlugin())]))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, what="host open")
        host = app.workshop_host
        phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        await phone.hello()
        await host.workshop.goto("a1")
        await phone.wait_activity("a1", "open")
        assert (await phone.submit({"answer": "x"}))["code"] == "plugin_error"
        await wait_for(pilot, lambda: any("broken" in (n.title or "") for n in app._notifications),
                       what="the plugin's notification")
        note = next(n for n in app._notifications if "broken" in (n.title or ""))
        assert note.title == "Plugin broken failed"
        assert note.message == (f"broken.validate raised ValueError: no colour given "
                                f"(the traceback is in {host.log_file})")
        await phone.close()
