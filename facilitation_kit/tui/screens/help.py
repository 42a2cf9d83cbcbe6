"""Every key, on one screen."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

__all__ = ["HelpScreen", "KEYS"]

KEYS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Anywhere", [
        ("1 … 5", "Lobby, Agenda, Activity, Results, People (or click the tabs)"),
        ("n / p", "next / previous activity"),
        ("o / c", "open / close submissions for the current activity"),
        ("t", "timer: start with a duration, or clear it"),
        ("space", "pause / resume the timer"),
        ("+", "add a minute to the timer"),
        ("b", "blank the room's screen / show it again"),
        ("v", "reveal the current activity's results on the room's screen (again: back to the activity)"),
        ("k / K", "show and copy the room's screen link / make a new one (the old link stops working)"),
        ("f", "pair your phone as a remote: its QR code (N in it makes a new one; the old phone stops working)"),
        ("e", "export now: JSON, CSV, Markdown, HTML or Word, into the data folder's exports/"),
        ("N", "write the note for the report on this activity: what we heard, what we agreed"),
        ("l", "lock / unlock the room (no new participants; people who joined get back in)"),
        ("i", "address in the join link and QR code"),
        ("ctrl+t", "light / dark theme"),
        ("? or f1", "this help"),
        ("q", "quit (asks first while participants are connected)"),
    ]),
    ("Agenda", [("enter / click", "go to the selected activity")]),
    ("Activity", [
        ("h", "hide the selected contribution from the room (again: show it)"),
        ("m", "approve before showing: new contributions wait for your approval"),
        ("a / A", "approve the selected / every waiting contribution"),
        ("r", "filter by role (cycles through the roles)"),
        ("s", "show the selected contribution large on the room's screen"),
        ("w", "write in a paper card for someone without a phone: the activity's questions and their role"),
    ]),
    ("Results", [("[ / ]", "results of the previous / next activity"),
                 ("R", "show results a plugin keeps hidden until the activity closes")]),
    ("People", [("x", "erase the selected participant's data (asks first)")]),
]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: auto; max-height: 90%;
                                  border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(show_header=False, box=None, expand=True, padding=(0, 1))
        table.add_column(style="bold", width=14)
        table.add_column()
        for section, keys in KEYS:
            table.add_row(Text(section, style="bold underline"), "")
            for key, words in keys:
                table.add_row(Text(key), Text(words))
        with VerticalScroll():
            yield Static(Text("Keys  (Escape closes)", style="bold"))
            yield Static(table)

    def action_dismiss(self) -> None:
        self.dismiss(None)
