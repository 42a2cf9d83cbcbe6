"""Who is in the room: connected or not, role, how many contributions; erase on request."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ..messages import EraseRequested
from .safe import local_time, one_line
from .tables import SafeTable
from ..keys import bindings

__all__ = ["ParticipantsPane", "display_name"]


def display_name(p: dict) -> Text:
    if p.get("name"):
        return Text(one_line(p["name"], 40))
    return Text("anonymous", style="italic dim")


class ParticipantTable(SafeTable):
    pass


class ParticipantsPane(Vertical):
    BINDINGS = bindings("People")

    DEFAULT_CSS = """
    ParticipantsPane { height: 1fr; }
    ParticipantsPane > #people-head { height: 1; padding: 0 1; background: $boost; }
    ParticipantsPane > ParticipantTable { height: 1fr; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.workshop = None
        self._people: dict[str, dict] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="people-head")
        yield ParticipantTable([("n", "#"), ("name", "Name"), ("role", "Role"), ("status", "Status"),
                                ("count", "Contributions"), ("joined", "Joined")], id="people")

    def show(self, workshop) -> None:
        self.workshop = workshop
        people = sorted(workshop.participants(), key=lambda p: (p.get("joined_at") or "", p["id"]))
        self._people = {p["id"]: p for p in people}
        rows = []
        for n, p in enumerate(people, start=1):
            status = (Text("● connected", style="green") if p["connected"] else
                      Text("▤ paper cards", style="magenta") if p.get("assisted") else Text("○ away", style="dim"))
            rows.append((p["id"], [Text(str(n), justify="right"), display_name(p),
                                   Text(one_line(p.get("role") or "no role", 30), style="cyan"), status,
                                   Text(str(p["contributions"]), justify="right"),
                                   Text(local_time(p.get("joined_at"), "%H:%M"))]))
        self.query_one(ParticipantTable).sync_rows(rows)
        connected = sum(1 for p in people if p["connected"])
        head = Text(f"{connected} connected, {len(people)} joined in all", style="bold")
        head.append("  ·  x erases the selected participant's data (asks first)", style="dim")
        self.query_one("#people-head", Static).update(head)

    def action_erase(self) -> None:
        key = self.query_one(ParticipantTable).selected_key()
        p = self._people.get(key) if key else None
        if p is None:
            self.notify("Select a participant first.", severity="warning")
            return
        label = (one_line(p["name"], 40) if p.get("name") else "an anonymous participant") + \
            f" ({one_line(p.get('role') or 'no role', 30)})"
        self.post_message(EraseRequested(p["id"], label, p["contributions"]))
