"""Pairing the facilitator's phone as a remote (docs/facilitators.md, "A remote on your
phone"): the QR code of ``/remote#token=…``, shown here and nowhere else, and a key that
makes a new code (the phone paired before stops working)."""

from __future__ import annotations

from typing import Awaitable, Callable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ...core.engine import WorkshopError
from ..widgets.qr import QRCode
from .dialogs import DIALOG_CSS

__all__ = ["RemotePairScreen"]

HELP = ("Scan this code with your phone's camera and open the link: your phone becomes a remote "
        "for this workshop (next, previous, open, close, the timer, approving contributions, "
        "blanking the room's screen). It keeps working after a restart with --resume.")
WARNING = ("Whoever scans this code can run the workshop as you can: show it to nobody else, "
           "and never on the projector. Lost the phone? Press N: the old code stops working.")


class RemotePairScreen(ModalScreen[None]):
    """The remote's QR code; ``N`` (or the button) makes a new one through ``renew``,
    which answers the new link."""

    DEFAULT_CSS = DIALOG_CSS.format(name="RemotePairScreen").replace("> Vertical", "> VerticalScroll") + """
    RemotePairScreen > VerticalScroll { width: 72; }
    RemotePairScreen QRCode { margin: 0 0 1 0; }
    RemotePairScreen .warning { text-style: bold; margin: 1 0 0 0; }
    """
    BINDINGS = [Binding("escape,q", "dismiss_screen", "Close"), Binding("N", "renew", "New code")]

    def __init__(self, url: str, renew: Callable[[], Awaitable[str]]):
        super().__init__()
        self.url = url
        self.renew = renew

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Label(Text("Pair your phone as a remote"), classes="title")
            yield QRCode(self.url, id="remote-qr")
            yield Static(Text(HELP))
            yield Static(Text(WARNING), classes="warning")
            yield Static("", id="remote-status")
            with Horizontal(classes="buttons"):
                yield Button(Text("New code [N]"), id="renew", variant="error")
                yield Button(Text("Close [Esc]"), id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close", Button).focus()

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#close")
    def _close(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#renew")
    def _renew_pressed(self) -> None:
        self.action_renew()

    def action_renew(self) -> None:
        self._renew()

    @work(exclusive=True, group="remote-token", exit_on_error=False)
    async def _renew(self) -> None:
        status = self.query_one("#remote-status", Static)
        try:
            url = await self.renew()
        except WorkshopError as exc:
            status.update(Text(f"No new code: {exc.message}"))
            return
        except Exception as exc:  # the host went away: say so, keep the cockpit
            status.update(Text(f"No new code: {exc}"))
            return
        self.url = url
        self.query_one("#remote-qr", QRCode).data = url
        status.update(Text("New code. The phone paired before is disconnected: scan this one."))
