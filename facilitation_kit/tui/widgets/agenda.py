"""The agenda: activities in order, the current one marked; Enter jumps to one."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from ..messages import WorkshopCommand
from .safe import one_line
from .status import timer_text
from .tables import SafeTable
from ..keys import bindings

__all__ = ["AgendaPane", "AgendaTable"]

#: How the agenda names the steps that collect no answers (docs/agenda.md).
STEP_TEXT = {"break": "Break (no answers)", "input": "Input (no answers)"}
STATE_TEXT = {"pending": ("not open", "yellow"), "open": ("open", "bold green"), "closed": ("closed", "red")}


class AgendaTable(SafeTable):
    BINDINGS = bindings("Agenda")


class AgendaPane(Vertical):
    DEFAULT_CSS = """
    AgendaPane { height: 1fr; }
    AgendaPane > AgendaTable { height: 1fr; min-height: 5; }
    AgendaPane > #agenda-detail { height: auto; max-height: 8; padding: 0 1; border-top: solid $primary; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self._workshop = None

    def compose(self) -> ComposeResult:
        yield AgendaTable([("mark", " "), ("n", "#"), ("title", "Activity"), ("type", "Type"),
                           ("state", "State"), ("timer", "Timer"), ("count", "Contributions")],
                          id="agenda-table")
        yield Static(id="agenda-detail")

    def show(self, workshop) -> None:
        self._workshop = workshop
        table = self.query_one(AgendaTable)
        rows = []
        current_index = 0
        for n, a in enumerate(workshop.agenda_view(), start=1):
            registered = workshop.plugins.activity_type(a["plugin"]) if a["plugin"] else None
            type_title = (registered.activity_type.title if registered else "") or a["plugin"]
            if a["kind"] in STEP_TEXT:  # facilitator-only: phones show a plain screen, no form
                type_title = STEP_TEXT[a["kind"]]
            words, style = STATE_TEXT.get(a["state"], (a["state"], ""))
            st = workshop.activity_state(a["id"])
            if st.get("moderated"):
                words += ", approve first"
            timer = timer_text(st)[0] if (st.get("ends_at") or st.get("paused_remaining") is not None) else ""
            mark = Text(" ")
            if a["current"]:
                mark = Text("▶", style="bold")
                current_index = n - 1
            count = "–" if a["kind"] in STEP_TEXT else str(a["contributions"])
            rows.append((a["id"], [mark, Text(str(n)), Text(one_line(a["title"], 60), style="bold" if a["current"] else ""),
                                   Text(one_line(type_title, 30), style="italic" if a["kind"] in STEP_TEXT else ""),
                                   Text(words, style=style), Text(timer), Text(count, justify="right")]))
        first = table.row_count_kept == 0
        table.sync_rows(rows)
        if first and rows:
            table.move_cursor(row=current_index)
        self._show_detail()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        if self._workshop is None:
            return
        key = self.query_one(AgendaTable).selected_key()
        act = self._workshop.agenda.activity(key) if key else None
        detail = Text()
        if act is not None:
            detail.append(one_line(act.title, 80), style="bold")
            if act.timebox:
                detail.append(f"  ({act.timebox // 60} min" + (f" {act.timebox % 60} s" if act.timebox % 60 else "") + ")",
                              style="dim")
            if act.source:
                detail.append(f"  takes items from: {act.source}", style="dim")
            if not act.collects:
                detail.append(f"  {STEP_TEXT[act.kind].lower()}: phones show "
                              + ("the break and when it ends" if act.kind == "break" else "\"Listen now\""),
                              style="dim")
                if act.until:
                    detail.append(f", until {act.until}", style="dim")
            detail.append("\n" + one_line(act.prompt, 400))
            if act.notes:
                detail.append("\nNotes: ", style="bold italic")
                detail.append(one_line(act.notes, 400), style="italic")
        self.query_one("#agenda-detail", Static).update(detail)

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        if key and self._workshop is not None and key != self._workshop.current_id:
            self.post_message(WorkshopCommand("goto", {"activity": key}, done=f"Moved to {one_line(self._workshop.agenda.activity(key).title, 40)}"))
