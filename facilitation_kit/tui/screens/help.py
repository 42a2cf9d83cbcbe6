"""Every key, on one screen."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..keys import help_rows

__all__ = ["HelpScreen"]

#: Where each place of tui/keys.py is, in the help's words.
PLACES = [("Anywhere", "Anywhere"), ("Agenda", "Agenda tab"), ("Activity", "Activity tab"),
          ("Results", "Results tab"), ("People", "People tab"), ("Themes", "Themes view (g)"),
          ("App", "Also")]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 95%; height: auto; max-height: 90%;
                                  border: thick $primary; background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        table = Table(show_header=False, box=None, expand=True, padding=(0, 1))
        table.add_column(style="bold", width=16)
        table.add_column()
        for place, heading in PLACES:
            table.add_row(Text(heading, style="bold underline"), "")
            for key, words in help_rows(place):
                table.add_row(Text(key), Text(words))
        with VerticalScroll():
            yield Static(Text("Keys  (Escape closes)", style="bold"))
            yield Static(table)

    def action_dismiss(self) -> None:
        self.dismiss(None)
