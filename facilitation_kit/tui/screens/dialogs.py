"""Small modal dialogs: confirm, timer, export format, join address."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core.agenda import parse_duration

__all__ = ["ConfirmScreen", "TimerScreen", "ExportScreen", "HostPickerScreen", "NoteScreen", "parse_minutes"]

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 64; max-width: 95%; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 1 2;
}}
{name} .title {{ text-style: bold; margin: 0 0 1 0; }}
{name} .buttons {{ height: auto; margin: 1 0 0 0; align-horizontal: right; }}
{name} .buttons Button {{ margin: 0 0 0 1; }}
{name} .error {{ color: $error; height: auto; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no. ``y`` / ``n`` / Escape work as well as the buttons."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmScreen")
    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, title: str, body: str | Text, *, yes: str = "Yes", no: str = "Cancel",
                 danger: bool = False):
        super().__init__()
        self.title_text, self.body, self.yes, self.no, self.danger = title, body, yes, no, danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(self.title_text), classes="title")
            yield Static(self.body if isinstance(self.body, Text) else Text(self.body))
            with Horizontal(classes="buttons"):
                yield Button(Text(f"{self.no} [n]"), id="no")
                yield Button(Text(f"{self.yes} [y]"), id="yes", variant="error" if self.danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


def parse_minutes(text: str) -> int:
    """``"5"`` (minutes), ``"90s"``, ``"1m30s"``, ``"2:30"`` to seconds."""
    text = text.strip().lower()
    if not text:
        raise ValueError("enter a duration, e.g. 5 or 90s")
    if ":" in text:
        m, _, s = text.partition(":")
        if not (m.isdigit() and s.isdigit()):
            raise ValueError("use minutes:seconds, e.g. 2:30")
        seconds = int(m) * 60 + int(s)
    elif text.replace(".", "", 1).isdigit():
        seconds = round(float(text) * 60)
    else:
        seconds = parse_duration(text)
    if seconds <= 0 or seconds > 24 * 3600:
        raise ValueError("choose between 1 second and 24 hours")
    return seconds


class TimerScreen(ModalScreen["tuple[int, bool] | None"]):
    """Start (or restart) the timer of the current activity."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TimerScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, default_seconds: int, close_at_end: bool):
        super().__init__()
        self.activity_title = title
        self.default_seconds = default_seconds
        self.close_at_end = close_at_end

    def compose(self) -> ComposeResult:
        m, s = divmod(self.default_seconds, 60)
        with Vertical():
            yield Label(Text(f"Timer for “{self.activity_title}”"), classes="title")
            yield Static(Text("Minutes (5), seconds (90s) or minutes:seconds (2:30). Phones count down too."))
            yield Input(value=f"{m}:{s:02d}" if s else str(m), id="duration")
            yield Checkbox("Close submissions when it reaches zero", value=self.close_at_end, id="close")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Clear timer", id="clear")
                yield Button("Start", id="start", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def _start(self) -> None:
        try:
            seconds = parse_minutes(self.query_one(Input).value)
        except ValueError as exc:
            self.query_one("#error", Static).update(Text(str(exc)))
            return
        self.dismiss((seconds, self.query_one(Checkbox).value))

    @on(Button.Pressed, "#clear")
    def _clear(self) -> None:
        self.dismiss((0, False))

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen["str | None"]):
    """The facilitator's note on an activity for the report: what we heard, what we
    agreed. Save stores it on the host (an empty note removes it)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NoteScreen") + "NoteScreen TextArea { height: 10; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, title: str, text: str):
        super().__init__()
        self.activity_title, self.text = title, text

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea

        with Vertical():
            yield Label(Text(f"Note on “{self.activity_title}”"), classes="title")
            yield Static(Text("What we heard, what we agreed. It goes in the report, under this activity."))
            yield TextArea(self.text, id="note", soft_wrap=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#note").focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.dismiss(self.query_one("#note").text)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)


FORMATS = [("json", "JSON: the complete record (hidden contributions marked)"),
           ("csv", "CSV: one row per contribution, for spreadsheets"),
           ("md", "Markdown report: results and contributions, anonymised"),
           ("html", "HTML report: one printable file with charts, anonymised"),
           ("docx", "Word report (DOCX): the same report for Word, anonymised")]


#: The key that picks each format where it is not the format's first letter.
KEYS = {"docx": "w"}


class ExportScreen(ModalScreen["str | None"]):
    """Pick an export format; j / c / m / h / w pick directly."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExportScreen") + "ExportScreen OptionList { height: auto; }"
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel"), Binding("j", "pick('json')", "JSON"),
                Binding("c", "pick('csv')", "CSV"), Binding("m", "pick('md')", "Markdown"),
                Binding("h", "pick('html')", "HTML"), Binding("w", "pick('docx')", "Word")]

    def __init__(self, folder: str):
        super().__init__()
        self.folder = folder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Export the session now", classes="title")
            yield OptionList(*[Option(Text(f"[{KEYS.get(fmt, fmt[0])}] {words}"), id=fmt) for fmt, words in FORMATS])
            yield Static(Text(f"Written to {self.folder}", style="dim"))

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_pick(self, fmt: str) -> None:
        self.dismiss(fmt)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class HostPickerScreen(ModalScreen["str | None"]):
    """Choose the address (interface or host name) the join link and QR code use."""

    DEFAULT_CSS = DIALOG_CSS.format(name="HostPickerScreen") + "HostPickerScreen OptionList { height: auto; max-height: 12; }"
    BINDINGS = [Binding("escape", "dismiss_none", "Cancel")]

    def __init__(self, addresses: list[str], current: str):
        super().__init__()
        self.addresses, self.current = addresses, current

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Address in the join link", classes="title")
            yield Static(Text("Pick the network phones are on, or type a host name. "
                              "The QR code changes at once."))
            yield OptionList(*[Option(Text(a + ("  (in use)" if a == self.current else "")), id=a)
                               for a in self.addresses], id="addresses")
            yield Input(placeholder="or type a host name, e.g. workshop.local", id="custom")
            yield Static("", classes="error", id="error")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Input.Submitted)
    def _typed(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value or any(c in value for c in "/?#@ \t") or len(value) > 253:
            self.query_one("#error", Static).update(Text("Enter a host name or address only, e.g. 192.168.1.20"))
            return
        self.dismiss(value)
