"""The Themes view: group an activity's contributions into named themes (docs/themes.md).

Left, the contributions (``space`` or a click selects); right, the themes and any
suggestions. ``g`` groups the selected contributions into a new theme, ``v`` moves them
into the highlighted theme, ``r`` renames, ``m`` merges (press it on the theme to merge,
then on the theme to merge into), ``u`` ungroups (or rejects a suggestion), ``enter``
confirms a theme (or accepts a suggestion), ``S`` asks for suggestions, ``T`` shows the
confirmed themes on the room's screen. Nothing reaches a shared screen until confirmed.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.message import Message
from textual.widgets import Footer, Input, Label, Static

from ...core import events as ev
from ...core.themes import LABEL_MAX, themes_of, words
from ..widgets.safe import one_line, safe_text
from ..widgets.tables import SafeTable
from ..keys import bindings

__all__ = ["ThemesScreen", "LabelScreen"]


class LabelScreen(ModalScreen["str | None"]):
    """Ask for a theme's label (at most 80 characters)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    LabelScreen { align: center middle; }
    LabelScreen > #label-dialog { width: 70; height: auto; padding: 1 2; border: thick $primary; background: $panel; }
    """

    def __init__(self, title: str, value: str = ""):
        super().__init__()
        self.title_text, self.value = title, value

    def compose(self) -> ComposeResult:
        with Vertical(id="label-dialog"):
            yield Label(self.title_text)
            yield Input(value=self.value[:LABEL_MAX], max_length=LABEL_MAX, id="label-input",
                        placeholder="The theme's name, in a few words")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickTable(SafeTable):
    """A table where one click on a row picks it (selects or unselects it)."""

    class Picked(Message):
        def __init__(self, row: int):
            super().__init__()
            self.row = row

    def _on_click(self, event: events.Click) -> None:
        # Textual also runs DataTable's own click handler (it moves the cursor)
        row = event.style.meta.get("row")
        if isinstance(row, int) and 0 <= row < self.row_count:
            self.post_message(self.Picked(row))


class ThemesScreen(Screen):
    BINDINGS = bindings("Themes")

    DEFAULT_CSS = """
    ThemesScreen > #themes-head { height: auto; max-height: 4; padding: 0 1; background: $boost; }
    ThemesScreen > #themes-body { height: 1fr; }
    ThemesScreen #themes-contributions { width: 3fr; }
    ThemesScreen #themes-list { width: 2fr; border-left: solid $secondary; }
    """

    def __init__(self, workshop, activity_id: str, **kw):
        super().__init__(**kw)
        self.workshop = workshop
        self.activity_id = activity_id
        self.selected: set[str] = set()
        #: Suggestions not yet accepted or rejected: {"label", "contributions": [{participant, id}]}.
        self.suggestions: list[dict[str, Any]] = []
        self.merging: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="themes-head")
        with Horizontal(id="themes-body"):
            yield PickTable([("sel", "Sel"), ("role", "Role"), ("text", "Contribution"), ("theme", "Theme")],
                            id="themes-contributions")
            yield SafeTable([("state", "State"), ("label", "Theme"), ("count", "#")], id="themes-list")
        yield Footer()

    def on_mount(self) -> None:
        self.refresh_all()
        self.query_one("#themes-contributions", SafeTable).focus()

    # -- drawing ------------------------------------------------------------------------
    def _contributions(self) -> list[dict[str, Any]]:
        return [c for c in self.workshop.contributions(self.activity_id, include_hidden=True)
                if words(self.workshop, c)]

    def refresh_all(self) -> None:
        w = self.workshop
        act = w.agenda.activity(self.activity_id)
        themes = themes_of(w, self.activity_id)
        theme_of = {f"{p}/{c}": t["label"] for t in themes for p, c in t["contributions"]}
        contributions = self._contributions()
        keys = {f"{c['participant']}/{c['id']}" for c in contributions}
        self.selected &= keys
        rows = []
        for c in contributions:
            key = f"{c['participant']}/{c['id']}"
            mark = Text("[x]" if key in self.selected else "[ ]", style="bold" if key in self.selected else "dim")
            rows.append((key, [mark, safe_text(c.get("role") or "-", "cyan", single_line=True, limit=20),
                               safe_text(words(w, c), "strike dim" if c.get("hidden") else "",
                                         single_line=True, limit=120),
                               safe_text(theme_of.get(key, ""), single_line=True, limit=40)]))
        self.query_one("#themes-contributions", SafeTable).sync_rows(rows)
        theme_rows = []
        for t in themes:
            state = Text("confirmed", style="bold green") if t.get("confirmed") else Text("draft", style="yellow")
            theme_rows.append((t["id"], [state, safe_text(t["label"], single_line=True, limit=LABEL_MAX),
                                         Text(str(len(t["contributions"])))]))
        for n, s in enumerate(self.suggestions):
            theme_rows.append((f"suggestion:{n}", [Text("suggested", style="italic magenta"),
                                                   safe_text(s["label"], "italic", single_line=True, limit=LABEL_MAX),
                                                   Text(str(len(s["contributions"])))]))
        self.query_one("#themes-list", SafeTable).sync_rows(theme_rows)
        head = Text(f"Themes of: {one_line(act.title, 60)}", style="bold")
        head.append(f"  {len(contributions)} contributions · {len(themes)} themes · {len(self.selected)} selected")
        if self.suggestions:
            head.append(f" · {len(self.suggestions)} suggestions (enter accepts, r edits, u rejects)", style="magenta")
        if self.merging:
            head.append(" · merging: highlight the theme to merge into and press m", style="bold")
        head.append("\nOnly confirmed themes reach the room's screen, the report and a vote on the themes.",
                    style="dim")
        self.query_one("#themes-head", Static).update(head)

    def apply_events(self, events: list[ev.Event]) -> None:
        """From the app's event flush: redraw when this activity's themes or contributions changed."""
        if any(isinstance(e, (ev.ThemesChanged, ev.ContributionAdded, ev.ContributionWithdrawn,
                              ev.ContributionHidden, ev.ParticipantErased)) for e in events):
            self.refresh_all()

    # -- helpers ------------------------------------------------------------------------
    def _highlighted_theme(self) -> str | None:
        return self.query_one("#themes-list", SafeTable).selected_key()

    def _refs(self, keys) -> list[dict[str, str]]:
        return [dict(zip(("participant", "id"), k.split("/", 1))) for k in sorted(keys)]

    def _suggestion(self, key: str | None) -> int | None:
        if key and key.startswith("suggestion:"):
            n = int(key.split(":", 1)[1])
            return n if n < len(self.suggestions) else None
        return None

    def _run(self, command: str, done: Any = "", **fields: Any) -> None:
        self.app.run_command(command, done=done, **fields)

    # -- keys and mouse -----------------------------------------------------------------
    def action_toggle_select(self) -> None:
        key = self.query_one("#themes-contributions", SafeTable).selected_key()
        if key is None:
            return
        self.selected ^= {key}
        self.refresh_all()

    @on(PickTable.Picked)
    def _clicked(self, event: PickTable.Picked) -> None:
        table = self.query_one("#themes-contributions", SafeTable)
        key = table.coordinate_to_cell_key((event.row, 0)).row_key.value
        if key is not None:
            self.selected ^= {key}
            self.refresh_all()

    def action_group(self) -> None:
        if not self.selected:
            self.notify("Select contributions first (space, or click them).", severity="warning")
            return
        keys = set(self.selected)
        first = next((words(self.workshop, c) for c in self._contributions()
                      if f"{c['participant']}/{c['id']}" in keys), "")

        def named(label: str | None) -> None:
            if label:
                self.selected -= keys
                self._run("theme_create", done=f"Theme made: {one_line(label, 40)}", activity=self.activity_id,
                          label=label, contributions=self._refs(keys))
        self.app.push_screen(LabelScreen("Name the new theme", one_line(first, LABEL_MAX)), named)

    def action_move(self) -> None:
        theme = self._highlighted_theme()
        if not self.selected or theme is None or self._suggestion(theme) is not None:
            self.notify("Select contributions, then highlight the theme to move them into.", severity="warning")
            return
        refs, self.selected = self._refs(self.selected), set()
        self._run("theme_move", done="Moved", contributions=refs, theme=theme)

    def action_rename(self) -> None:
        key = self._highlighted_theme()
        n = self._suggestion(key)
        if key is None:
            return
        current = self.suggestions[n]["label"] if n is not None else self.workshop.tables["themes"][key]["label"]

        def named(label: str | None) -> None:
            if not label:
                return
            if n is not None:
                self.suggestions[n]["label"] = label
                self.refresh_all()
            else:
                self._run("theme_rename", done="Renamed", theme=key, label=label)
        self.app.push_screen(LabelScreen("Rename the theme", current), named)

    def action_merge(self) -> None:
        key = self._highlighted_theme()
        if key is None or self._suggestion(key) is not None:
            self.notify("Highlight a theme (accept a suggestion first).", severity="warning")
            return
        if self.merging is None or self.merging not in self.workshop.tables["themes"]:
            self.merging = key
        elif self.merging == key:
            self.merging = None
        else:
            source, self.merging = self.merging, None
            self._run("theme_merge", done="Merged", theme=source, into=key)
        self.refresh_all()

    def action_ungroup(self) -> None:
        key = self._highlighted_theme()
        n = self._suggestion(key)
        if n is not None:
            self.suggestions.pop(n)
            self.refresh_all()
        elif key is not None:
            self._run("theme_ungroup", done="Ungrouped", theme=key)

    def action_confirm(self) -> None:
        if self.focused is self.query_one("#themes-contributions", SafeTable):
            self.action_toggle_select()
            return
        key = self._highlighted_theme()
        n = self._suggestion(key)
        if n is not None:
            s = self.suggestions.pop(n)
            self.refresh_all()
            self._run("theme_create", done=f"Accepted: {one_line(s['label'], 40)}", activity=self.activity_id,
                      label=s["label"], contributions=s["contributions"])
        elif key is not None:
            on_ = not self.workshop.tables["themes"][key].get("confirmed")
            self._run("theme_confirm", done="Confirmed: it may be shown" if on_ else "Back to draft",
                      theme=key, confirmed=on_)

    def action_suggest(self) -> None:
        def got(result: dict) -> str:
            self.suggestions = list(result.get("themes") or [])
            self.refresh_all()
            return (f"{len(self.suggestions)} suggestions ({result.get('method')}): accept, edit or reject them"
                    if self.suggestions else "No suggestions: too few contributions with words")
        self.notify("Computing suggestions on this laptop…", timeout=3)
        self._run("suggest_themes", done=got, activity=self.activity_id)

    def action_show_on_screen(self) -> None:
        self._run("screen", done="The room's screen shows the confirmed themes", view="themes")
