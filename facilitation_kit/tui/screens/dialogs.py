"""Small modal dialogs: confirm, timer, export format, join address, note, paper card,
a plugin's facilitator actions."""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, ScreenResultType
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, SelectionList, Static, TextArea
from textual.widgets.option_list import Option

from ...core.agenda import parse_duration
from ...core.errors import WorkshopError
from ...core.roles import NO_ROLE
from ..widgets.safe import one_line, safe_text

__all__ = ["ConfirmScreen", "TimerScreen", "ExportScreen", "HostPickerScreen", "NoteScreen", "PaperCardScreen",
           "FacilitatorActionScreen", "parse_minutes"]

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


class Dialog(ModalScreen[ScreenResultType]):
    """A small dialog: Esc or its ``#cancel`` button closes it with nothing (override
    :meth:`action_cancel` to close it otherwise); ``FOCUS`` (a selector) has the focus
    when it opens."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    FOCUS: str | None = None

    def on_mount(self) -> None:
        if self.FOCUS:
            self.query_one(self.FOCUS).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


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


class TimerScreen(Dialog["tuple[int, bool] | None"]):
    """Start (or restart) the timer of the current activity."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TimerScreen")
    FOCUS = "Input"

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


class NoteScreen(Dialog["str | None"]):
    """The facilitator's note on an activity for the report: what we heard, what we
    agreed. Save stores it on the host (an empty note removes it)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="NoteScreen") + "NoteScreen TextArea { height: 10; }"
    BINDINGS = [Binding("ctrl+s", "save", "Save")]
    FOCUS = "#note"

    def __init__(self, title: str, text: str):
        super().__init__()
        self.activity_title, self.text = title, text

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Note on “{self.activity_title}”"), classes="title")
            yield Static(Text("What we heard, what we agreed. It goes in the report, under this activity."))
            yield TextArea(self.text, id="note", soft_wrap=True)
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self.dismiss(self.query_one("#note").text)


FORMATS = [("json", "JSON: the complete record (hidden contributions marked)"),
           ("csv", "CSV: one row per contribution, for spreadsheets"),
           ("md", "Markdown report: results and contributions, anonymised"),
           ("html", "HTML report: one printable file with charts, anonymised"),
           ("docx", "Word report (DOCX): the same report for Word, anonymised")]


#: The key that picks each format where it is not the format's first letter.
KEYS = {"docx": "w"}


class ExportScreen(Dialog["str | None"]):
    """Pick an export format; j / c / m / h / w pick directly."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ExportScreen") + "ExportScreen OptionList { height: auto; }"
    BINDINGS = [Binding("j", "pick('json')", "JSON"),
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

    def action_pick(self, fmt: str) -> None:
        self.dismiss(fmt)

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)


class HostPickerScreen(Dialog["str | None"]):
    """Choose the address (interface or host name) the join link and QR code use."""

    DEFAULT_CSS = DIALOG_CSS.format(name="HostPickerScreen") + "HostPickerScreen OptionList { height: auto; max-height: 12; }"
    FOCUS = "OptionList"

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


#: A "don't know" answer picked on a scale (sent as null).
_DONT_KNOW = "__dont_know__"
#: "A new person" in the paper card's person picker.
_NEW_PERSON = "__new__"


def person_label(p: dict[str, Any], n: int) -> Text:
    """How the paper card dialog names an assisted participant: their label, else a number."""
    text = safe_text(p["name"], single_line=True, limit=40) if p.get("name") else Text(f"Paper person {n}")
    return text.append(f"  ({one_line(p.get('role') or NO_ROLE, 30)})", style="dim")


class PaperCardScreen(Dialog["dict | None"]):
    """Enter a paper card for someone without a phone (the ``assist`` command): the
    current activity's form fields as the phones show them, who wrote it and their role.
    ``send(fields)`` runs the command; a refusal (e.g. a field that does not fit) is shown
    here, and nothing is stored. "Save, next card" keeps the person for another card."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PaperCardScreen") + """
    PaperCardScreen > Vertical { width: 90; }
    PaperCardScreen #card-fields { height: auto; max-height: 24; }
    PaperCardScreen .field-label { margin: 1 0 0 0; text-style: bold; }
    PaperCardScreen .field-help { color: $text-muted; }
    PaperCardScreen TextArea { height: 5; }
    PaperCardScreen SelectionList { height: auto; max-height: 8; }
    PaperCardScreen .row { height: auto; }
    PaperCardScreen .row > Label { width: 30; padding: 1 1 0 0; }
    PaperCardScreen .row > Input, PaperCardScreen .row > Select { width: 1fr; }
    """
    BINDINGS = [Binding("ctrl+s", "save", "Save")]

    def __init__(self, activity: dict[str, Any], roles: Sequence[str], people: list[dict[str, Any]],
                 send: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]):
        super().__init__()
        self.activity = activity
        self.roles = list(roles)
        self.people = list(people)
        self.send = send
        self.fields = [f for f in (activity.get("form") or {}).get("fields") or [] if isinstance(f, dict)]
        self.saved = 0
        self._busy = False

    # -- drawing ------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        with Vertical():
            yield Label(Text("Paper card for “") + safe_text(self.activity.get("title") or "", single_line=True,
                                                             limit=60) + Text("”"), classes="title")
            yield Static(Text("Type what the card says, for someone without a phone. It counts like any "
                              "other contribution and is marked as entered from a paper card."))
            with VerticalScroll(id="card-fields"):
                yield Label("Who wrote it", classes="field-label")
                yield Select(self._people_options(), value=_NEW_PERSON, allow_blank=False, id="card-person")
                with Horizontal(classes="row"):
                    yield Label("Label (optional)")
                    yield Input(placeholder="e.g. Card 3 (never shown on a screen)", max_length=60, id="card-name")
                with Horizontal(classes="row"):
                    yield Label("Their role")
                    yield Select([(safe_text(r, single_line=True), r) for r in [*self.roles, NO_ROLE]],
                                 value=NO_ROLE, allow_blank=False, id="card-role")
                yield Static("", classes="error", id="error-role")
                for index, spec in enumerate(self.fields):
                    yield from self._field(index, spec)
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save, next card from them", id="again")
                yield Button("Save (ctrl+s)", id="save", variant="primary")

    def _people_options(self) -> list[tuple[Text, str]]:
        return [(Text("A new person"), _NEW_PERSON)] + [
            (person_label(p, n), p["id"]) for n, p in enumerate(self.people, start=1)]

    def _field(self, index: int, spec: dict[str, Any]):
        kind = spec.get("kind")
        label = safe_text(spec.get("label") or spec.get("name") or "", single_line=True, limit=200)
        if not spec.get("required"):
            label.append("  (optional)", style="dim")
        yield Label(label, classes="field-label")
        if spec.get("help"):
            yield Static(safe_text(spec["help"], limit=400), classes="field-help")
        fid = f"field-{index}"
        if kind == "text":
            if spec.get("multiline"):
                yield TextArea("", id=fid, soft_wrap=True)
            else:
                yield Input(max_length=int(spec.get("max_length") or 0), id=fid)
        elif kind == "choice":
            options = [(safe_text(o.get("label"), single_line=True, limit=80), str(o.get("value")))
                       for o in spec.get("options") or []]
            if spec.get("multiple"):
                yield SelectionList(*options, id=fid)
            else:
                yield Select(options, prompt="Not answered", id=fid)
        elif kind == "scale":
            low, high = int(spec.get("min", 1)), int(spec.get("max", 5))
            options = []
            for n in range(low, min(high, low + 20) + 1):
                words = spec.get("min_label") if n == low else spec.get("max_label") if n == high else ""
                options.append((Text(str(n)) + (safe_text(f"  {words}", "dim", single_line=True, limit=60)
                                                 if words else Text("")), n))
            if isinstance(spec.get("skip"), dict):
                options.append((safe_text(spec["skip"].get("label") or "Don't know", single_line=True, limit=60),
                                _DONT_KNOW))
            yield Select(options, prompt="Not answered", id=fid)
        elif kind == "vote":
            yield Static(Text(f"{spec.get('dots')} dots in all, at most {spec.get('max_per_item')} on one item."),
                         classes="field-help")
            for j, item in enumerate(spec.get("items") or []):
                with Horizontal(classes="row"):
                    yield Label(safe_text(item.get("label"), single_line=True, limit=80))
                    yield Input(placeholder="0", type="integer", max_length=3, id=f"{fid}-{j}")
        elif kind == "matrix":
            columns = [(safe_text(c.get("label"), single_line=True, limit=60), str(c.get("value")))
                       for c in spec.get("columns") or []]
            for j, row in enumerate(spec.get("rows") or []):
                with Horizontal(classes="row"):
                    yield Label(safe_text(row.get("label"), single_line=True, limit=80))
                    yield Select(columns, prompt="Not answered", id=f"{fid}-{j}")
        else:
            yield Static(Text(f"This kind of field ({one_line(kind, 30)}) cannot be entered here.", style="italic"))
        yield Static("", classes="error", id=f"error-{index}")

    def on_mount(self) -> None:
        first = self.query("#field-0, #field-0-0")
        (first.first() if first else self.query_one("#card-person")).focus()

    @on(Select.Changed, "#card-person")
    def _person_picked(self, event: Select.Changed) -> None:
        """Another card from someone entered before: their label and role, to check."""
        person = next((p for p in self.people if p["id"] == event.value), None)
        if person is not None:
            self.query_one("#card-name", Input).value = person.get("name") or ""
            role = person.get("role") or NO_ROLE
            self.query_one("#card-role", Select).value = role if role in [*self.roles, NO_ROLE] else NO_ROLE

    # -- reading the form -----------------------------------------------------------------
    def data(self) -> dict[str, Any]:
        """The card's ``data`` as a phone would send it; a field left empty is left out.
        Raises ValueError(field index, reason) for what cannot be sent at all."""
        out: dict[str, Any] = {}
        for index, spec in enumerate(self.fields):
            name, kind, fid = spec.get("name"), spec.get("kind"), f"#field-{index}"
            if kind == "text":
                widget = self.query_one(fid)
                value = widget.text if isinstance(widget, TextArea) else widget.value
                if value.strip():
                    out[name] = value
            elif kind == "choice":
                widget = self.query_one(fid)
                if isinstance(widget, SelectionList):
                    if widget.selected:
                        out[name] = list(widget.selected)
                elif widget.value is not Select.NULL:
                    out[name] = widget.value
            elif kind == "scale":
                value = self.query_one(fid, Select).value
                if value is not Select.NULL:
                    out[name] = None if value == _DONT_KNOW else value
            elif kind == "vote":
                dots = {}
                for j, item in enumerate(spec.get("items") or []):
                    typed = self.query_one(f"{fid}-{j}", Input).value.strip()
                    if typed:
                        if not typed.isdigit():
                            raise ValueError(index, "dots must be whole numbers, 0 or more")
                        if int(typed):
                            dots[item.get("id")] = int(typed)
                if dots:
                    out[name] = dots
            elif kind == "matrix":
                rows = {}
                for j, row in enumerate(spec.get("rows") or []):
                    value = self.query_one(f"{fid}-{j}", Select).value
                    if value is not Select.NULL:
                        rows[row.get("id")] = value
                if rows:
                    out[name] = rows
        return out

    def _clear_errors(self) -> None:
        for widget in self.query(".error"):
            widget.update("")

    def _show_refusal(self, message: str, fields: dict[str, str] | None) -> None:
        by_name = {spec.get("name"): index for index, spec in enumerate(self.fields)}
        rest = []
        for name, reason in (fields or {}).items():
            if name in by_name:
                self.query_one(f"#error-{by_name[name]}", Static).update(safe_text(reason, limit=300))
            elif name in ("role", "name"):
                self.query_one("#error-role", Static).update(safe_text(f"{name}: {reason}", limit=300))
            else:
                rest.append(f"{name}: {reason}")
        words = "Not saved: " + (message if not fields else "check the fields marked above")
        if rest:
            words += " (" + "; ".join(rest) + ")"
        self.query_one("#error", Static).update(safe_text(words, limit=600))

    # -- saving ---------------------------------------------------------------------------
    def action_cancel(self) -> None:
        self.dismiss({"saved": self.saved} if self.saved else None)

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        self._save(again=False)

    @on(Button.Pressed, "#again")
    def _save_again(self) -> None:
        self._save(again=True)

    def _save(self, *, again: bool) -> None:
        if self._busy:
            return
        self._clear_errors()
        try:
            data = self.data()
        except ValueError as exc:
            index, reason = exc.args
            self.query_one(f"#error-{index}", Static).update(Text(reason))
            self.query_one("#error", Static).update(Text("Not saved: check the fields marked above"))
            return
        person = self.query_one("#card-person", Select).value
        fields = {"activity": self.activity.get("id"), "role": self.query_one("#card-role", Select).value,
                  "data": data}
        name = self.query_one("#card-name", Input).value.strip()
        if person != _NEW_PERSON:
            fields["participant"] = person
        if name or person != _NEW_PERSON:
            fields["name"] = name  # the picked person's label as shown; "" clears it
        self._busy = True
        self.run_worker(self._send(fields, again), group="paper-card", exit_on_error=False)

    async def _send(self, fields: dict[str, Any], again: bool) -> None:
        try:
            ok = await self.send(fields)
        except WorkshopError as exc:
            self._show_refusal(exc.message, exc.fields)
            return
        except Exception as exc:  # never take the cockpit down
            self._show_refusal(f"{type(exc).__name__}: {one_line(exc, 200)}", None)
            return
        finally:
            self._busy = False
        self.saved += 1
        if not again:
            self.dismiss({"saved": self.saved, **ok})
            return
        person = ok["participant"]
        self.people = [p for p in self.people if p["id"] != person["id"]] + [person]
        picker = self.query_one("#card-person", Select)
        picker.set_options(self._people_options())
        picker.value = person["id"]
        self._reset_fields()
        self.query_one("#error", Static).update(Text(f"Saved ({self.saved} so far). Next card from the same person.",
                                                     style="bold green"))

    def _reset_fields(self) -> None:
        for widget in self.query("#card-fields *"):
            if (widget.id or "").startswith("field-"):
                self._reset(widget)
        first = self.query("#field-0, #field-0-0")
        if first:
            first.first().focus()

    @staticmethod
    def _reset(widget) -> None:
        if isinstance(widget, TextArea):
            widget.text = ""
        elif isinstance(widget, Input):
            widget.value = ""
        elif isinstance(widget, SelectionList):
            widget.deselect_all()
        elif isinstance(widget, Select):
            widget.clear()


class FacilitatorActionScreen(Dialog["dict | None"]):
    """The current activity's plugin actions for the selected contribution
    (docs/plugin_hooks.md, "Facilitator actions"): pick an action, then one of its
    choices (or write its text). ``send(action_id, value)`` runs the
    ``facilitator_action`` command on the host; a refusal or a plugin's failure is shown
    here and nothing changes. Closes with the command's answer."""

    DEFAULT_CSS = DIALOG_CSS.format(name="FacilitatorActionScreen") + """
    FacilitatorActionScreen > Vertical { width: 80; }
    FacilitatorActionScreen OptionList { height: auto; max-height: 14; }
    FacilitatorActionScreen .card { color: $text-muted; margin: 0 0 1 0; }
    FacilitatorActionScreen #action-text { display: none; }
    """
    FOCUS = "#action-list"

    def __init__(self, title: str, card: str, actions: list[dict[str, Any]],
                 send: Callable[[str, Any], Awaitable[dict[str, Any]]]):
        super().__init__()
        self.title_text = title
        self.card = card
        self.actions = [a for a in actions if isinstance(a, dict) and a.get("applies_to") == "contribution"]
        self.send = send
        self.action: dict[str, Any] | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Actions in “") + safe_text(self.title_text, single_line=True, limit=60) + Text("”"),
                        classes="title")
            yield Static(Text("The card: ", style="bold") + safe_text(self.card, single_line=True, limit=300),
                         classes="card")
            yield Static(Text("Choose what to do (Enter)."), id="action-step")
            yield OptionList(*self._action_options(), id="action-list")
            yield Input(id="action-text")
            yield Static("", classes="error", id="error")
            with Horizontal(classes="buttons"):
                yield Button("Cancel", id="cancel")

    def _action_options(self) -> list[Option]:
        out = []
        for index, action in enumerate(self.actions):
            words = safe_text(action.get("label") or action.get("id") or "", single_line=True, limit=80)
            if action.get("help"):
                words.append("\n").append_text(safe_text(action["help"], "dim", single_line=True, limit=200))
            out.append(Option(words, id=f"action-{index}"))
        return out

    @on(OptionList.OptionSelected, "#action-list")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        option_id = event.option.id or ""
        if self.action is None:
            self.action = self.actions[int(option_id.removeprefix("action-"))]
            self._second_step()
        else:
            choices = self.action.get("choices") or []
            self._run(choices[int(option_id.removeprefix("choice-"))]["value"])

    def _second_step(self) -> None:
        action = self.action
        step = self.query_one("#action-step", Static)
        label = safe_text(action.get("label") or action.get("id") or "", "bold", single_line=True, limit=80)
        if action.get("value") == "choice":
            step.update(label + Text(": choose one (Enter)."))
            options = self.query_one("#action-list", OptionList)
            options.clear_options()
            options.add_options([Option(safe_text(c.get("label") or c.get("value") or "", single_line=True,
                                                  limit=120), id=f"choice-{i}")
                                 for i, c in enumerate(action.get("choices") or [])])
            options.highlighted = 0
            options.focus()
        elif action.get("value") == "text":
            step.update(label + Text(": write it, then Enter."))
            self.query_one("#action-list", OptionList).display = False
            field = self.query_one("#action-text", Input)
            field.max_length = int(action.get("max_length") or 500)
            field.display = True
            field.focus()
        else:
            self._run(None)

    @on(Input.Submitted, "#action-text")
    def _typed(self, event: Input.Submitted) -> None:
        self._run(event.value)

    def _run(self, value: Any) -> None:
        if self._busy:
            return
        self._busy = True
        self.query_one("#error", Static).update(Text("Working…", style="dim"))
        self.run_worker(self._send(self.action["id"], value), group="facilitator-action", exit_on_error=False)

    async def _send(self, action_id: str, value: Any) -> None:
        try:
            ok = await self.send(action_id, value)
        except WorkshopError as exc:
            words = exc.message if not exc.fields else "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
            self.query_one("#error", Static).update(safe_text("Not done: " + words, limit=600))
            return
        except Exception as exc:  # never take the cockpit down
            self.query_one("#error", Static).update(safe_text(f"Not done: {type(exc).__name__}: {exc}", limit=600))
            return
        finally:
            self._busy = False
        self.dismiss(ok)
