"""The status strip at the top: room, current activity, state, timer, people."""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual.widgets import Static

from .safe import one_line, show_text

__all__ = ["StatusBar", "timer_text", "now"]

STATE_WORDS = {"pending": "not open yet", "open": "OPEN", "closed": "closed"}


def now() -> float:
    """Wall-clock time (a function so tests can freeze it)."""
    return time.time()


def clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def timer_text(state: dict[str, Any] | None) -> tuple[str, str]:
    """The timer of an activity state as ``(text, style)``."""
    if not state:
        return "no timer", "dim"
    if state.get("ends_at"):
        left = state["ends_at"] - now()
        close = " → closes" if state.get("close_at_end") and state.get("state") == "open" else ""
        if left <= 0:
            return "time is up", "bold reverse red"
        return f"{clock(left)} left{close}", "bold red" if left < 60 else "bold"
    if state.get("paused_remaining") is not None:
        return f"paused at {clock(state['paused_remaining'])}", "bold yellow"
    return "no timer", "dim"


class StatusBar(Static):
    """One line that is always visible: what the room is doing right now."""

    DEFAULT_CSS = """
    StatusBar {
        dock: top;
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    """

    def show(self, workshop) -> None:
        """Redraw from the engine (cheap: a few dict look-ups)."""
        if workshop is None:
            show_text(self, Text("starting…"), layout=False)
            return
        text = Text()
        text.append("Room ", style="dim")
        text.append(workshop.room, style="bold")
        if workshop.locked:
            text.append(" (locked)", style="bold yellow")
        text.append("  │  ", style="dim")
        current = workshop.current_id
        if current is None:
            text.append("no activity", style="dim")
        else:
            act = workshop.agenda.activity(current)
            st = workshop.activity_state(current)
            text.append(f"{workshop.agenda.index(current) + 1}/{len(workshop.agenda.activities)} ", style="dim")
            text.append(one_line(act.title, 40))
            text.append(" ")
            state = st.get("state", "pending")
            text.append(f" {STATE_WORDS.get(state, state)} ",
                        style={"open": "bold black on green", "closed": "bold white on red"}.get(state, "bold black on yellow"))
            if st.get("moderated"):
                text.append(" approve first", style="bold magenta")
            words, style = timer_text(st)
            text.append("  │  ", style="dim")
            text.append(words, style=style)
        text.append("  │  ", style="dim")
        text.append(f"{workshop.connected_count()} connected", style="bold")
        show_text(self, text, layout=False)  # one line, docked: never a layout of the screen
