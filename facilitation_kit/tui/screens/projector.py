"""The projector view: only what the room may see.

No facilitator notes, no names, nothing hidden and nothing awaiting approval: the list is
drawn from the engine's visible contributions only (``Workshop.contributions`` leaves
hidden and held ones out).
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...core import events as ev
from ...core.roles import NO_ROLE
from ..widgets.qr import BigCode, QRCode
from ..widgets.safe import clean, one_line, summary_of
from ..widgets.status import timer_text
from .main import WORKSHOP_BINDINGS

__all__ = ["ProjectorScreen"]

SHOWN = 40


class ProjectorScreen(Screen):
    BINDINGS = [Binding("v,escape", "app.pop_screen", "Back"), *WORKSHOP_BINDINGS]

    DEFAULT_CSS = """
    ProjectorScreen > Horizontal { height: 1fr; }
    ProjectorScreen #wall { width: 1fr; padding: 1 2; }
    ProjectorScreen #wall-title { text-style: bold; color: $accent; }
    ProjectorScreen #wall-timer { margin: 1 0; }
    ProjectorScreen #wall-list { height: 1fr; margin: 1 0 0 0; }
    ProjectorScreen #join { width: auto; padding: 1 2; align-horizontal: center; }
    ProjectorScreen #join-url { width: auto; text-style: bold; }
    """

    def __init__(self, host, **kw):
        super().__init__(**kw)
        self.workshop_host = host

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(id="wall"):
                yield Static(id="wall-title")
                yield Static(id="wall-prompt")
                yield Static(id="wall-timer")
                yield Static(id="wall-list")
            with Vertical(id="join"):
                yield QRCode(self.workshop_host.url, id="join-qr")
                yield BigCode(id="join-code")
                yield Static(id="join-url")
        yield Footer()

    def on_mount(self) -> None:
        self.show_join()
        self.refresh_wall()

    def show_join(self) -> None:
        self.query_one(QRCode).data = self.workshop_host.url
        self.query_one(BigCode).code = self.workshop_host.room
        self.query_one("#join-url", Static).update(Text(self.workshop_host.url))

    def apply(self, events: list[ev.Event]) -> None:
        if any(not isinstance(e, (ev.ParticipantJoined, ev.ParticipantLeft)) for e in events):
            self.refresh_wall()

    def tick(self) -> None:
        w = self.workshop_host.workshop
        if w is not None and w.current_id:
            words, style = timer_text(w.activity_state(w.current_id))
            self.query_one("#wall-timer", Static).update(Text(words, style=style))

    def refresh_wall(self) -> None:
        w = self.workshop_host.workshop
        title, prompt, wall = Text(), Text(), Text()
        if w is not None and w.current_id:
            act = w.agenda.activity(w.current_id)
            st = w.activity_state(w.current_id)
            title.append(one_line(act.title, 100))
            title.append("   " + {"open": "open: answer on your phone", "closed": "closed",
                                  "pending": "starting soon"}.get(st.get("state"), ""), style="dim")
            prompt.append(clean(act.prompt))
            visible = w.contributions(w.current_id)  # never hidden, never awaiting approval
            fields = ((getattr(self.app, "current_view", None) or {}).get("form") or {}).get("fields") or []
            for c in visible[-SHOWN:][::-1]:
                wall.append("• ", style="dim")
                wall.append(summary_of(c.get("data"), fields))
                wall.append(f"  — {one_line(c.get('role') or NO_ROLE, 30)}\n", style="cyan")
            if not visible:
                wall.append("Nothing yet.", style="dim italic")
            elif len(visible) > SHOWN:
                wall.append(f"… and {len(visible) - SHOWN} earlier", style="dim italic")
        self.query_one("#wall-title", Static).update(title)
        self.query_one("#wall-prompt", Static).update(prompt)
        self.query_one("#wall-list", Static).update(wall)
        self.tick()
