"""The live activity: contributions as they arrive, tagged by role, with moderation.

Contributions arrive in batches (the app flushes engine events a few times a second),
so a burst of fifty costs one repaint, not fifty. One table row per contribution, no
widget per contribution: thousands stay cheap.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...core import events as ev
from ..messages import FacilitatorActionsRequested, WorkshopCommand
from ...core.roles import NO_ROLE
from .safe import count_of, local_time, one_line, safe_text, show_text, summary_of
from .tables import StreamTable
from ..keys import bindings

__all__ = ["ActivityPane", "ContributionTable"]

STATUS = {"": Text(""), "hidden": Text("hidden", style="bold red"),
          "held": Text("awaiting approval", style="bold magenta")}


def split_key(key: str) -> tuple[str, str]:
    participant, _, client_id = key.partition("/")
    return participant, client_id


class ContributionTable(StreamTable):
    """The contributions of one activity, newest at the bottom."""


class ActivityPane(Vertical):
    """What is happening in the current activity, for the facilitator's eyes."""

    BINDINGS = bindings("Activity")

    DEFAULT_CSS = """
    ActivityPane { height: 1fr; }
    ActivityPane > #activity-head { height: auto; max-height: 6; padding: 0 1; }
    ActivityPane > #activity-counts { height: 1; padding: 0 1; background: $boost; }
    ActivityPane > ContributionTable { height: 1fr; min-height: 4; }
    ActivityPane > #activity-notes { height: auto; max-height: 5; padding: 0 1; border-top: solid $secondary;
                                     color: $text-muted; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.workshop = None
        self.activity_id: str | None = None
        self.role_filter: str | None = None
        self._status: dict[str, str] = {}
        self._roles: dict[str, str] = {}
        self._seq: dict[str, int] = {}
        self._fields: list = []

    def compose(self) -> ComposeResult:
        yield Static(id="activity-head")
        yield Static(id="activity-counts")
        # the status before the text: a long contribution never pushes it off the screen
        yield ContributionTable([("n", "#"), ("time", "Time"), ("role", "Role"),
                                 ("status", "Status"), ("text", "Contribution")], id="contributions")
        yield Static(id="activity-notes")

    # -- from the engine ----------------------------------------------------------
    def show(self, workshop, view: dict | None = None) -> None:
        """Show the current activity from scratch."""
        self.workshop = workshop
        self.activity_id = workshop.current_id
        self._fields = list(((view or {}).get("form") or {}).get("fields") or [])
        self._rebuild()
        self._show_head()

    def set_view(self, view: dict | None) -> None:
        if view and view.get("id") == self.activity_id:
            self._fields = list((view.get("form") or {}).get("fields") or [])

    def apply(self, events: list[ev.Event]) -> None:
        """Apply a batch of engine events incrementally."""
        if self.workshop is None:
            return
        table = self.query_one(ContributionTable)
        new_rows = []
        rebuild = head = False
        for e in events:
            if isinstance(e, ev.ActivityChanged):
                if (e.activity or {}).get("id") != self.activity_id:
                    self.activity_id = (e.activity or {}).get("id")
                    self._fields = list(((e.activity or {}).get("form") or {}).get("fields") or [])
                    self.role_filter = None
                    rebuild = True
                else:
                    self.set_view(e.activity)
                head = True
            elif rebuild:
                continue
            elif isinstance(e, ev.ContributionAdded) and e.contribution.get("activity") == self.activity_id:
                c = e.contribution
                key = f"{c['participant']}/{c['id']}"
                status = ("held" if self.workshop.is_held(c["participant"], c["id"])
                          else "hidden" if c.get("hidden") else "")
                self._status[key] = status
                self._roles[key] = e.role or NO_ROLE
                self._seq[key] = len(self._seq) + 1
                if self._passes(key):
                    new_rows.append((key, c, e.role))  # drawn after the batch: a later event in it
                head = True                            # (hidden, starred) shows on the new row
            elif isinstance(e, ev.ContributionWithdrawn) and e.activity == self.activity_id:
                key = f"{e.participant}/{e.id}"
                self._status.pop(key, None)
                table.drop_row(key)
                head = True
            elif isinstance(e, ev.ContributionHidden) and e.contribution.get("activity") == self.activity_id:
                c = e.contribution
                key = f"{c['participant']}/{c['id']}"
                if key in self._status:
                    self._status[key] = "hidden" if e.hidden else ""
                    if table.has_row(key):
                        table.set_row(key, self._cells(key, c, self._roles.get(key), self._status[key]))
                head = True
            elif isinstance(e, (ev.ParticipantErased, ev.ProfileChanged)):
                rebuild = rebuild or isinstance(e, ev.ParticipantErased)
            elif isinstance(e, ev.ModerationChanged) and e.activity == self.activity_id:
                head = True
            elif isinstance(e, ev.ContributionEdited) and e.contribution.get("activity") == self.activity_id:
                c = e.contribution  # a facilitator action changed its data: redraw its row
                key = f"{c['participant']}/{c['id']}"
                if key in self._status and table.has_row(key):
                    table.set_row(key, self._cells(key, c, self._roles.get(key), self._status[key]))
            elif isinstance(e, ev.ContributionStarred) and e.activity == self.activity_id:
                key = f"{e.participant}/{e.id}"
                doc = self.workshop.contribution(e.participant, e.id)
                if doc is not None and table.has_row(key):
                    table.set_row(key, self._cells(key, self.workshop.contribution_view(doc),
                                                   self._roles.get(key), self._status.get(key, "")))
        if rebuild:
            self._rebuild()
            self._show_head()
            return
        if new_rows:
            follow = table.row_count == 0 or table.scroll_y >= table.max_scroll_y - 1
            table.add_text_rows([(key, self._cells(key, c, role, self._status.get(key, "")))
                                 for key, c, role in new_rows if key in self._status])
            if follow:
                table.scroll_end(animate=False, immediate=False, x_axis=False)
        if head:
            self._show_head()

    # -- drawing ------------------------------------------------------------------
    def _passes(self, key: str) -> bool:
        return self.role_filter is None or self._roles.get(key) == self.role_filter

    def _cells(self, key: str, c: dict, role: str | None, status: str) -> list[Text]:
        style = "strike dim" if status == "hidden" else "italic" if status == "held" else ""
        return [Text(str(self._seq.get(key, 0)), justify="right"), Text(local_time(c.get("created_at"))),
                safe_text(role or NO_ROLE, "cyan", single_line=True, limit=28),
                self._status_cell(c, status),
                safe_text(summary_of(c.get("data"), self._fields), style, single_line=True, limit=200)]

    def _status_cell(self, c: dict, status: str) -> Text:
        doc = self.workshop.contribution(c["participant"], c["id"]) if self.workshop is not None else None
        if not (doc or {}).get("starred"):
            return STATUS[status]
        cell = Text("* starred", style="bold yellow")
        if status:
            cell.append(" · ").append_text(STATUS[status])
        return cell

    def _rebuild(self) -> None:
        table = self.query_one(ContributionTable)
        table.clear_rows()
        self._status.clear()
        self._roles.clear()
        self._seq.clear()
        if self.activity_id is None:
            return
        rows = []
        for c in self.workshop.contributions(self.activity_id, include_hidden=True):
            key = f"{c['participant']}/{c['id']}"
            status = "held" if self.workshop.is_held(c["participant"], c["id"]) else "hidden" if c.get("hidden") else ""
            self._status[key] = status
            self._roles[key] = c.get("role") or NO_ROLE
            self._seq[key] = len(self._seq) + 1
            if self._passes(key):
                rows.append((key, self._cells(key, c, c.get("role"), status)))
        table.add_text_rows(rows)
        if rows:
            table.move_cursor(row=len(rows) - 1, animate=False)

    def _show_head(self) -> None:
        w = self.workshop
        head = self.query_one("#activity-head", Static)
        notes = self.query_one("#activity-notes", Static)
        counts = self.query_one("#activity-counts", Static)
        if w is None or self.activity_id is None:
            show_text(head, Text("No activity yet.", style="dim"))
            show_text(counts, Text(""), layout=False)
            show_text(notes, Text(""))
            return
        act = w.agenda.activity(self.activity_id)
        st = w.activity_state(self.activity_id)
        text = Text(one_line(act.title, 80), style="bold")
        text.append(f"  ({act.plugin})" if act.collects else f"  ({act.kind}: collects no answers)", style="dim")
        text.append("\n" + one_line(act.prompt, 300))
        show_text(head, text)
        values = list(self._status.values())
        line = Text(count_of(len(values), "contribution"), style="bold")
        hidden, held = values.count("hidden"), values.count("held")
        if hidden:
            line.append(f" · {hidden} hidden", style="red")
        if held:
            line.append(f" · {held} awaiting approval [a]", style="bold magenta")
        line.append(" · approve before showing: ", style="dim")
        line.append("ON" if st.get("moderated") else "off", style="bold magenta" if st.get("moderated") else "dim")
        line.append(" [m] · showing: ", style="dim")
        line.append("all roles" if self.role_filter is None else one_line(self.role_filter, 30), style="bold cyan")
        line.append(" [r]", style="dim")
        show_text(counts, line, layout=False)  # one line high: no layout of the screen
        note = Text("Your notes (only on this screen): ", style="bold")
        note.append(one_line(act.notes, 500) if act.notes else "none for this activity", style="italic")
        show_text(notes, note)

    # -- the facilitator's keys ---------------------------------------------------
    def _selected(self) -> str | None:
        return self.query_one(ContributionTable).selected_key()

    def action_toggle_hidden(self) -> None:
        key = self._selected()
        if key is None:
            self.notify("Select a contribution first.", severity="warning")
            return
        pid, cid = split_key(key)
        hide = self._status.get(key) != "hidden"
        self.post_message(WorkshopCommand("hide" if hide else "unhide", {"participant": pid, "contribution": cid},
                                          done="Hidden from the room" if hide else "Shown again"))

    def action_toggle_star(self) -> None:
        """Star the selected contribution (starred ones are the report's quotes), or unstar it."""
        key = self._selected()
        if key is None or self.workshop is None:
            self.notify("Select a contribution first.", severity="warning")
            return
        pid, cid = split_key(key)
        starred = bool((self.workshop.contribution(pid, cid) or {}).get("starred"))
        self.post_message(WorkshopCommand("unstar" if starred else "star", {"participant": pid, "id": cid},
                                          done="Star taken away" if starred else "Starred: a quote for the report"))

    def action_approve(self) -> None:
        key = self._selected()
        if key is None or self._status.get(key) != "held":
            self.notify("That contribution is not awaiting approval.", severity="warning")
            return
        pid, cid = split_key(key)
        self.post_message(WorkshopCommand("unhide", {"participant": pid, "contribution": cid}, done="Approved"))

    def action_highlight(self) -> None:
        key = self._selected()
        if key is None or self._status.get(key) in ("held", "hidden"):
            self.notify("Select a shown contribution first (approve it if it waits).", severity="warning")
            return
        pid, cid = split_key(key)
        self.post_message(WorkshopCommand("screen", {"view": "highlight", "participant": pid, "contribution": cid},
                                          done="On the room's screen"))

    def action_approve_all(self) -> None:
        held = [k for k, s in self._status.items() if s == "held" and self._passes(k)]
        for key in held:
            pid, cid = split_key(key)
            self.post_message(WorkshopCommand("unhide", {"participant": pid, "contribution": cid}))
        self.notify(f"Approving {count_of(len(held), 'contribution')}" if held else "Nothing awaits approval.")

    def action_toggle_moderation(self) -> None:
        if self.workshop is None or self.activity_id is None:
            return
        on = not self.workshop.activity_state(self.activity_id).get("moderated")
        self.post_message(WorkshopCommand(
            "moderate", {"activity": self.activity_id, "moderated": on},
            done="Approve before showing: ON (new contributions wait for [a])" if on
            else "Approve before showing: off"))

    def action_cycle_role(self) -> None:
        if self.workshop is None:
            return
        choices = [None, *self.workshop.agenda.roles, NO_ROLE]
        index = choices.index(self.role_filter) if self.role_filter in choices else 0
        self.role_filter = choices[(index + 1) % len(choices)]
        self._rebuild()
        self._show_head()

    def action_facilitator_actions(self) -> None:
        """The activity plugin's own actions for the selected contribution (e.g. classify
        a value card): asked of the host, run on the host (docs/facilitators.md)."""
        key = self._selected()
        if key is None or self.workshop is None or self.activity_id is None:
            self.notify("Select a contribution first.", severity="warning")
            return
        pid, cid = split_key(key)
        doc = self.workshop.contribution(pid, cid) or {}
        self.post_message(FacilitatorActionsRequested(self.activity_id, pid, cid,
                                                      summary_of(doc.get("data"), self._fields)))
