"""The lobby: how to join (QR code, room code, link) and who has arrived."""

from __future__ import annotations

from collections import Counter, deque

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from ...core import events as ev
from ...core.roles import NO_ROLE
from .qr import BigCode, QRCode
from .safe import one_line, show_text

__all__ = ["LobbyPane"]

ANONYMOUS = "anonymous"


class LobbyPane(Horizontal):
    """QR code on the left; room code, link and arrivals on the right."""

    DEFAULT_CSS = """
    LobbyPane { height: 1fr; }
    LobbyPane > #lobby-qr-box { width: auto; height: auto; padding: 0 1 0 0; }
    LobbyPane > #lobby-side { width: 1fr; height: 1fr; }
    LobbyPane #lobby-how { color: $text-muted; margin: 1 0 0 0; }
    LobbyPane #lobby-url { text-style: bold; color: $accent; }
    LobbyPane #lobby-count { margin: 1 0 0 0; text-style: bold; }
    LobbyPane #lobby-arrivals { height: 1fr; min-height: 3; }
    LobbyPane #lobby-session { color: $text-muted; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self._arrivals: deque[Text] = deque(maxlen=40)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="lobby-qr-box"):
            yield QRCode(id="lobby-qr")
        with Vertical(id="lobby-side"):
            yield Static(Text("Room code"), id="lobby-code-label")
            yield BigCode(id="lobby-code")
            yield Static(id="lobby-how")
            yield Static(id="lobby-url")
            yield Static(id="lobby-count")
            yield Static(id="lobby-arrivals")
            yield Static(id="lobby-session")

    def show_join(self, url: str, room: str, *, bound_to: str) -> None:
        self.query_one(QRCode).data = url
        self.query_one(BigCode).code = room
        how = Text("Scan the code, or open this link on a phone (same Wi-Fi) and enter the room code "
                   f"{room}. [i] changes the address in the link.")
        if bound_to.startswith("127.") and not url.startswith("http://127."):
            how.append(f"\nWarning: the host only listens on {bound_to}: phones cannot reach it. "
                       "Restart with --host 0.0.0.0.", style="bold red")
        self.query_one("#lobby-how", Static).update(how)
        self.query_one("#lobby-url", Static).update(Text(url))

    def show_session(self, session_id: str, resumed: bool) -> None:
        text = Text(f"Session {session_id}" + (" (resumed)" if resumed else ""))
        text.append(f"\nAfter a crash: facilitation-kit run --resume {session_id}")
        self.query_one("#lobby-session", Static).update(text)

    def show_people(self, workshop, events: list[ev.Event] = (), *, draw: bool = True) -> None:
        """Note who arrived; draw the counts and arrivals if ``draw`` (the lobby is on
        screen: a hidden lobby's update would still lay the whole screen out, as 200
        phones join). Drawn when the tab is shown."""
        for e in events:
            if isinstance(e, ev.ParticipantJoined):
                p = e.participant
                line = Text("→ ", style="green")
                line.append(one_line(p.get("name"), 40) if p.get("name") else ANONYMOUS,
                            style="" if p.get("name") else "italic")
                line.append(f"  {one_line(p.get('role') or NO_ROLE, 40)}", style="dim")
                line.append("  back again" if e.resumed else "  joined", style="dim")
                self._arrivals.appendleft(line)
        if not draw:
            return
        people = [p for p in workshop.participants() if p["connected"]]
        roles_of = Counter(p["role"] or NO_ROLE for p in people)
        count = Text(f"{len(people)} connected", style="bold")
        if roles_of:
            count.append("  ·  " + "  ·  ".join(f"{n} {one_line(r, 30)}" for r, n in roles_of.most_common()),
                         style="")
        if workshop.locked:
            count.append("  (room locked: no new participants)", style="bold yellow")
        show_text(self.query_one("#lobby-count", Static), count)
        arrivals = Text("\n").join(list(self._arrivals)[:12]) if self._arrivals else Text(
            "Waiting for the first participant…", style="dim italic")
        show_text(self.query_one("#lobby-arrivals", Static), arrivals)
