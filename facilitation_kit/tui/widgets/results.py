"""Results of an activity: the plugin's own widget, or its report blocks drawn generically."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from typing import Any, Iterable

from rich.table import Table as RichTable
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from ...core.activity import ActivityInfo
from ...core.blocks import Block, BulletList, Chart, Heading, Paragraph, Quote, ReportPart, Table, block_from_json
from ...core.roles import OTHER_ROLES, role_groups
from .safe import clean, one_line, safe_text
from ..keys import bindings

__all__ = ["ResultsPane", "blocks_to_widgets", "role_split"]

MAX_TABLE_ROWS = 500
MAX_QUOTES = 300


def _cell(value: Any) -> Text:
    if isinstance(value, float):
        value = f"{value:g}"
    return safe_text("" if value is None else value, limit=300)


def _quotes(quotes: list[Quote]) -> Widget:
    text = Text()
    for i, q in enumerate(quotes[:MAX_QUOTES]):
        if i:
            text.append("\n")
        text.append("“", style="dim")
        text.append(clean(q.text))
        text.append("”", style="dim")
        if q.role:  # None: a role group too small to show (the min_group rule)
            text.append(f"  — {one_line(q.role, 40)}", style="cyan")
    if len(quotes) > MAX_QUOTES:
        text.append(f"\n… and {len(quotes) - MAX_QUOTES} more (all of them are in the export)", style="italic dim")
    return Static(text, classes="block-quotes")


def blocks_to_widgets(blocks: Iterable[Block]) -> list[Widget]:
    """Report blocks as Textual widgets. Every string goes in as Text: no markup."""
    out: list[Widget] = []
    quotes: list[Quote] = []
    flat: list[Block] = []
    for block in blocks:  # a ReportPart's blocks are shown in place (the report moves them)
        flat.extend(block.blocks if isinstance(block, ReportPart) else [block])
    for block in flat:
        if isinstance(block, Quote):
            quotes.append(block)
            continue
        if quotes:
            out.append(_quotes(quotes))
            quotes = []
        if isinstance(block, Heading):
            out.append(Static(safe_text(block.text, "bold"), classes=f"block-heading level-{block.level}"))
        elif isinstance(block, Paragraph):
            out.append(Static(safe_text(block.text), classes="block-paragraph"))
        elif isinstance(block, Table):
            table = RichTable(expand=False, title=safe_text(block.caption) if block.caption else None,
                              header_style="bold", show_lines=False)
            for column in block.columns:
                table.add_column(header=_cell(column))
            for row in list(block.rows)[:MAX_TABLE_ROWS]:
                table.add_row(*[_cell(v) for v in row])
            if len(block.rows) > MAX_TABLE_ROWS:
                table.caption = f"first {MAX_TABLE_ROWS} of {len(block.rows)} rows"
            out.append(Static(table, classes="block-table"))
        elif isinstance(block, Chart):
            text = Text("Chart", style="bold")
            if block.caption:
                text.append(": " + one_line(block.caption, 200), style="bold")
            text.append("\n" + clean(block.alt or "(no description)"))
            text.append("\n(the picture is in the HTML report: press e)", style="dim italic")
            out.append(Static(text, classes="block-chart"))
        elif isinstance(block, BulletList):
            out.append(Static(Text("\n").join(Text("• ") + safe_text(i) for i in block.items),
                              classes="block-list"))
        else:
            out.append(Static(safe_text(repr(block)), classes="block-paragraph"))
    if quotes:
        out.append(_quotes(quotes))
    return out


def role_split(contributions: list[dict[str, Any]], roles: Iterable[str], min_group: int = 3) -> RichTable:
    """Contributions and contributors per role group (the session's roles first), after
    the one small-group rule (:func:`~facilitation_kit.core.roles.role_groups`, the
    agenda's ``min_group``): small roles are counted together as "Other roles", or left
    out when still too small; the "All" row counts everyone."""
    everyone = ActivityInfo(id="", plugin="", title="", prompt="", options={}, roles=tuple(roles),
                            min_group=min_group)
    groups = role_groups(everyone, contributions)
    count: Counter = Counter()
    people: dict[str, set] = defaultdict(set)
    for c in contributions:
        group = groups.of(c)
        if group is not None:
            count[group] += 1
            people[group].add(c.get("participant"))
    table = RichTable("Role", "Contributions", "Contributors", header_style="bold", expand=False)
    for group in groups.order:
        table.add_row(safe_text(group, "cyan"), Text(str(count[group]), justify="right"),
                      Text(str(len(people[group])), justify="right"))
    table.add_row(Text("All", style="bold"), Text(str(len(contributions)), style="bold", justify="right"),
                  Text(str(len({c.get('participant') for c in contributions})), style="bold", justify="right"))
    if groups.hidden:
        table.caption = f"Roles under {min_group} people: not shown"
    elif OTHER_ROLES in groups.order:
        table.caption = f"Roles under {min_group} people: counted as {OTHER_ROLES}"
    return table


class ResultsPane(Vertical):
    """Results of the current activity (or another one: [ and ])."""

    BINDINGS = bindings("Results")

    DEFAULT_CSS = """
    ResultsPane { height: 1fr; }
    ResultsPane > #results-head { height: auto; padding: 0 1; }
    ResultsPane > #results-body { height: 1fr; padding: 0 1; }
    ResultsPane .block-heading { margin: 1 0 0 0; color: $accent; }
    ResultsPane .block-table, ResultsPane .block-chart, ResultsPane .block-list { margin: 1 0 0 0; }
    ResultsPane .block-chart { border-left: thick $secondary; padding: 0 1; }
    ResultsPane .block-quotes { margin: 1 0 0 0; }
    """

    MIN_INTERVAL = 1.0

    def __init__(self, **kw):
        super().__init__(**kw)
        self.workshop = None
        self.channel = None  # facilitator commands: the results come from the host
        self.activity_id: str | None = None  # None: follow the current activity
        self.revealed: set[str] = set()
        self._last = 0.0
        self._dirty = True
        self._timer = None

    def compose(self) -> ComposeResult:
        yield Static(id="results-head")
        yield VerticalScroll(id="results-body")

    @property
    def shown_id(self) -> str | None:
        if self.workshop is None:
            return None
        return self.activity_id or self.workshop.current_id

    def mark_dirty(self) -> None:
        self._dirty = True

    def request_refresh(self, force: bool = False) -> None:
        """Refresh if shown and something changed, at most once per MIN_INTERVAL."""
        if self.workshop is None or (not self._dirty and not force):
            return
        wait = self._last + self.MIN_INTERVAL - time.monotonic()
        if wait > 0 and not force:
            if self._timer is None:
                self._timer = self.set_timer(wait, self._deferred)
            return
        self._dirty = False
        self._last = time.monotonic()
        self.load()

    def _deferred(self) -> None:
        self._timer = None
        if self.display and self.is_on_screen:
            self.request_refresh()

    def action_browse(self, step: int) -> None:
        if self.workshop is None:
            return
        ids = [a.id for a in self.workshop.agenda.activities]
        current = self.shown_id
        index = ids.index(current) if current in ids else 0
        index = max(0, min(len(ids) - 1, index + step))
        self.activity_id = None if ids[index] == self.workshop.current_id else ids[index]
        self.request_refresh(force=True)

    def action_reveal(self) -> None:
        if self.shown_id:
            self.revealed ^= {self.shown_id}
            self.request_refresh(force=True)

    @work(exclusive=True, group="results", exit_on_error=False, description="Computing results")
    async def load(self) -> None:
        w = self.workshop
        aid = self.shown_id
        head = self.query_one("#results-head", Static)
        body = self.query_one("#results-body", VerticalScroll)
        if aid is None:
            head.update(Text("No activity yet.", style="dim"))
            await body.remove_children()
            return
        act = w.agenda.activity(aid)
        contributions = w.contributions(aid)
        state = w.activity_state(aid).get("state", "pending")
        title = Text(f"Results: {one_line(act.title, 60)}", style="bold")
        title.append(f"  ({state}; ", style="dim")
        title.append("the current activity" if aid == w.current_id else "not the current activity", style="dim")
        title.append("; [ ] other activities)", style="dim")
        widgets: list[Widget] = []
        if not act.collects:  # a break or an input: nothing to compute
            head.update(title)
            with self.app.batch_update():
                await body.remove_children()
                await body.mount(Static(Text(f"This {act.kind} collects no answers: there are no results.",
                                             style="italic")))
            return
        try:
            result = await self.channel.request("results", activity=aid)
        except Exception as exc:
            result = {"error": str(getattr(exc, "message", exc))}
        if "error" in result:
            widgets.append(Static(Text("The results cannot be computed: ", style="bold red")
                                  + safe_text(result["error"])))
        elif not result.get("visible", True) and aid not in self.revealed:
            widgets.append(Static(Text(
                "These results stay hidden from the room until the activity closes "
                "(the plugin says so). Press R to show them here anyway.", style="italic")))
        elif "blocks" in result:  # the host computed them: the TUI runs no plugin code
            try:
                widgets.extend(blocks_to_widgets([block_from_json(b) for b in result["blocks"]]))
            except (TypeError, ValueError) as exc:
                widgets.append(Static(Text("The report blocks cannot be drawn: ", style="bold red")
                                      + safe_text(str(exc))))
        else:
            widgets.append(Static(Text("The report blocks cannot be drawn: ", style="bold red")
                                  + safe_text(result.get("blocks_error") or "")))
        split = Static(role_split(contributions, w.agenda.roles, w.agenda.min_group), classes="block-table")
        head.update(title)
        with self.app.batch_update():
            await body.remove_children()
            await body.mount_all([split, *widgets])
