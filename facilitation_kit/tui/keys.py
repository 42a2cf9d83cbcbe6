"""Every key of the facilitator's app, declared once. Each screen's and widget's
``BINDINGS`` are made from this table (:func:`bindings`), and so is the help screen
(``?``), so a key cannot be bound without being explained, or explained without being
bound."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding

__all__ = ["Key", "KEYS", "TABS", "bindings", "help_rows"]


@dataclass(frozen=True)
class Key:
    """One key: Textual's key names (``"question_mark,f1"``), the action, the footer's
    word, and the help screen's ``help`` words. A key without ``help`` is explained by
    the one before it (``shown`` is then how the help writes both, e.g. ``"n / p"``)."""

    keys: str
    action: str
    label: str
    help: str = ""
    shown: str = ""
    footer: bool = True
    display: str | None = None
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(self.keys, self.action, self.label, show=self.footer,
                       key_display=self.display, priority=self.priority)


#: The main screen's tabs, keys 1 to 5.
TABS = ["lobby", "agenda", "activity", "results", "people"]

# The place each key works in -> its keys, in the order the footer and the help show them.
KEYS: dict[str, list[Key]] = {
    "Anywhere": [
        *[Key(str(n), f"show_tab('{tab}')", tab.title(), footer=False,
              help="" if n > 1 else "Lobby, Agenda, Activity, Results, People (or click the tabs)",
              shown="" if n > 1 else f"1 … {len(TABS)}") for n, tab in enumerate(TABS, start=1)],
        Key("question_mark,f1", "app.help", "Help", "this help", shown="? or f1", display="?"),
        Key("q", "app.quit", "Quit", "quit (asks first while participants are connected)"),
        Key("n", "app.next_activity", "Next", "next / previous activity", shown="n / p"),
        Key("p", "app.previous_activity", "Prev"),
        Key("o", "app.open_activity", "Open", "open / close submissions for the current activity", shown="o / c"),
        Key("c", "app.close_activity", "Close"),
        Key("t", "app.timer", "Timer", "timer: start with a duration, or clear it"),
        Key("space", "app.pause_timer", "Pause", "pause / resume the timer", footer=False),
        Key("plus", "app.add_minute", "+1 min", "add a minute to the timer", display="+"),
        Key("e", "app.export", "Export", "export now: JSON, CSV, Markdown, HTML or Word, into the data "
                                         "folder's exports/"),
        Key("N", "app.note", "Note", "write the note for the report on this activity: what we heard, "
                                     "what we agreed", footer=False),
        Key("l", "app.lock", "Lock", "lock / unlock the room (no new participants; people who joined "
                                     "get back in)", footer=False),
        Key("i", "app.pick_host", "Address", "address in the join link and QR code", footer=False),
        Key("b", "app.blank_screen", "Blank screen", "blank the room's screen / show it again"),
        Key("v", "app.reveal_results", "Reveal", "reveal the current activity's results on the room's "
                                                 "screen (again: back to the activity)"),
        Key("k", "app.screen_link", "Screen link", "show and copy the room's screen link / make a new one "
                                                   "(the old link stops working)", shown="k / K", footer=False),
        Key("K", "app.new_screen_link", "New screen link", footer=False),
        Key("f", "app.pair_remote", "Phone remote", "pair your phone as a remote: its QR code (N in it "
                                                    "makes a new one; the old phone stops working)",
            footer=False),
        Key("g", "app.themes", "Themes", "group the contributions of the activity into themes (the Themes "
                                         "view)"),
    ],
    "App": [
        Key("ctrl+t", "toggle_theme", "Theme", "light / dark theme", footer=False),
        Key("ctrl+q", "quit", "Quit", "quit at once", footer=False, priority=True),
    ],
    "Agenda": [Key("enter", "select_cursor", "Go to", "go to the selected activity (or click it)")],
    "Activity": [
        Key("h", "toggle_hidden", "Hide/show", "hide the selected contribution from the room (again: show it)"),
        Key("a", "approve", "Approve", "approve the selected / every waiting contribution", shown="a / A"),
        Key("A", "approve_all", "Approve all", footer=False),
        Key("m", "toggle_moderation", "Approve first", "approve before showing: new contributions wait for "
                                                       "your approval"),
        Key("r", "cycle_role", "Role filter", "filter by role (cycles through the roles)"),
        Key("s", "highlight", "On screen", "show the selected contribution large on the room's screen"),
        Key("asterisk", "toggle_star", "Star", "star the selected contribution (starred ones are the "
                                               "report's quotes); again: take the star away", display="*"),
        Key("full_stop", "facilitator_actions", "Actions…", "the activity's own actions for the selected "
                                                           "contribution (e.g. classify a value card)",
            display=".", footer=False),
        Key("w", "app.paper_card", "Paper card", "write in a paper card for someone without a phone: the "
                                                 "activity's questions and their role"),
    ],
    "Results": [
        Key("left_square_bracket", "browse(-1)", "Prev results", "results of the previous / next activity",
            shown="[ / ]", footer=False),
        Key("right_square_bracket", "browse(1)", "Next results", footer=False),
        Key("R", "reveal", "Reveal", "show results a plugin keeps hidden until the activity closes",
            footer=False),
    ],
    "People": [Key("x", "erase", "Erase…", "erase the selected participant's data (asks first)")],
    "Themes": [
        Key("escape", "app.pop_screen", "Back", "back to the workshop"),
        Key("space", "toggle_select", "Select", "select the contribution (several: one theme)"),
        Key("g", "group", "Group", "group the selected contributions into a new theme"),
        Key("v", "move", "Move here", "move the selected contributions into the theme under the cursor"),
        Key("r", "rename", "Rename", "rename the theme, or edit a suggestion"),
        Key("m", "merge", "Merge", "merge the theme into another"),
        Key("u", "ungroup", "Ungroup/reject", "ungroup the theme, or reject a suggestion"),
        Key("enter", "confirm", "Confirm/accept", "confirm the theme (the room may see it), or accept a "
                                                  "suggestion", priority=True),
        Key("S", "suggest", "Suggest", "suggest themes, made on this laptop (no network)"),
        Key("T", "show_on_screen", "On screen", "show the confirmed themes on the room's screen"),
        Key("tab", "app.focus_next", "Switch list", "switch between the contributions and the themes",
            footer=False),
    ],
}


def bindings(place: str) -> list[Binding]:
    """The Textual bindings of one place of :data:`KEYS`."""
    return [key.binding() for key in KEYS[place]]


def help_rows(place: str) -> list[tuple[str, str]]:
    """The help screen's rows for one place: (how the key is written, what it does)."""
    return [(key.shown or key.display or key.keys, key.help) for key in KEYS[place] if key.help]
