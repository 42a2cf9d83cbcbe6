"""A renewed screen link reaches every facilitator at once (docs/screen.md, "Revoke it").

Two TUIs drive one real host: the first runs it in-process, the second is a second
facilitator's TUI on the same host through the facilitator channel (the real
:class:`~facilitation_kit.tui.client.RemoteWorkshop`, as a TUI whose host runs in another
process uses it). A new link made in either one is announced in the other and shown by
its ``k``; a plain facilitator client gets the new link in the ``screen`` event."""

from __future__ import annotations

from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.testing import Facilitator
from facilitation_kit.tui.app import make_app
from facilitation_kit.tui.client import RemoteHost
from facilitation_kit.tui.screens.dialogs import ConfirmScreen

from .helpers import wait_for, wait_text
from .test_app import SIZE, new_app, started


class SecondFacilitator(RemoteHost):
    """A second facilitator's TUI on a host that is already running: it starts no host
    process, it only opens the facilitator channel to ``first``."""

    def __init__(self, first, data_dir):
        super().__init__(None, data_dir=data_dir, host="127.0.0.1", port=first.port)
        self.facilitator_token = first.facilitator_token

    async def open(self) -> None:
        self.plugins = self.plugins or load_plugins()
        await self._connect()


async def renew(pilot) -> None:
    await pilot.press("K")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen), what="the confirmation")
    await pilot.press("y")


async def test_a_new_screen_link_reaches_the_other_tui_at_once(agenda_path, tmp_path):
    first_app = new_app(agenda_path, tmp_path)
    async with first_app.run_test(size=SIZE, notifications=True) as one:
        host = await started(one)
        first_link = host.screen_url
        second = SecondFacilitator(host, tmp_path / "second")
        second_app = make_app(workshop_host=second)
        async with second_app.run_test(size=SIZE, notifications=True) as two:
            await started(two)
            assert second.screen_url == first_link
            await two.press("k")
            await wait_text(two, first_link.split("#token=")[1][:12])

            # renewed in the first TUI: the second says so at once, with the new link
            await renew(one)
            await wait_text(one, "New screen link")
            new_link = host.screen_url
            assert new_link != first_link
            await wait_for(two, lambda: second.screen_url == new_link, what="the second TUI's link")
            await wait_text(two, "Someone made a new screen link")
            await wait_text(two, new_link.split("#token=")[1][:12])
            await two.press("k")
            await wait_for(two, lambda: second_app.clipboard == new_link, what="k copies the new link")

            # renewed in the second: the first learns it the same way
            await renew(two)
            await wait_text(two, "New screen link")
            await wait_for(two, lambda: second.screen_url not in (first_link, new_link), what="a third link")
            third = second.screen_url
            assert host.screen_url == third
            await wait_text(one, "Someone made a new screen link")
            await one.press("k")
            await wait_for(one, lambda: first_app.clipboard == third, what="the first TUI's k")
            second_app.exit()


async def test_the_screen_event_names_the_new_link(agenda_path, tmp_path):
    app = new_app(agenda_path, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        host = await started(pilot)
        other = await Facilitator.connect(f"ws://127.0.0.1:{host.port}", host.facilitator_token)
        await renew(pilot)
        frame = await other.expect("screen")
        token = host.workshop.screen_settings["token"]
        assert frame["token_changed"] is True and frame["token"] == token
        assert frame["path"] == f"/screen#token={token}" and "token" not in frame["screen"]
        # a change of view names no token
        assert (await other.send_command("screen", view="blank"))["type"] == "ok"
        frame = await other.expect("screen")
        assert frame["token_changed"] is False and "token" not in frame and "path" not in frame
        await other.close()
