"""The cockpit: a status strip, five tabs (lobby, agenda, activity, results, people) and
the keys in the footer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Input, TabbedContent, TabPane

from ...core import events as ev
from ...core.errors import WorkshopError
from ..messages import FacilitatorActionsRequested
from ..widgets.safe import one_line
from ..widgets.activity import ActivityPane
from ..widgets.agenda import AgendaPane
from ..widgets.lobby import LobbyPane
from ..widgets.participants import ParticipantsPane
from ..widgets.results import ResultsPane
from ..widgets.status import StatusBar
from ..keys import bindings

__all__ = ["MainScreen"]


class Tabs(TabbedContent):
    """The five tabs, switched only by the facilitator (keys 1-5, clicks on the tabs).

    TabbedContent also switches to a pane when a widget in it gets focus. A tab's
    activation focuses its table a moment later (messages between widgets are queued),
    so after quick keys (5 then 3) a late focus in the People pane took the app back
    there: the 3 was lost. Here focus never switches the tab: a late focus in a hidden
    pane goes to the shown pane's table instead."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()  # not TabbedContent's own handler (it would switch)
        if event.tab_pane.id == self.active:
            return
        shown = self.active_pane
        focused = self.screen.focused
        if shown is not None and focused is not None and event.tab_pane in focused.ancestors:
            focusable = shown.query("SafeTable, #results-body")
            if focusable:
                self.screen.set_focus(focusable.first())
            else:
                self.screen.set_focus(None)


class MainScreen(Screen):
    # the tabs 1-5 and the workshop's commands (b, v, k and K drive the room's screen page:
    # docs/screen.md; f pairs the facilitator's phone as a remote: docs/facilitators.md)
    BINDINGS = bindings("Anywhere")

    def __init__(self, **kw):
        super().__init__(**kw)
        self.workshop = None
        self._states: dict[str, str] = {}  # each activity's state as last seen, to notice "opened"

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Tabs(initial="lobby", id="tabs"):
            with TabPane("1 Lobby", id="lobby"):
                yield LobbyPane(id="lobby-pane")
            with TabPane("2 Agenda", id="agenda"):
                yield AgendaPane(id="agenda-pane")
            with TabPane("3 Activity", id="activity"):
                yield ActivityPane(id="activity-pane")
            with TabPane("4 Results", id="results"):
                yield ResultsPane(id="results-pane")
            with TabPane("5 People", id="people"):
                yield ParticipantsPane(id="people-pane")
        yield Footer()

    # -- attributes down ------------------------------------------------------------
    def show(self, host, view: dict | None) -> None:
        """Everything from scratch (after the host opened)."""
        w = self.workshop = host.workshop
        self._states = {aid: st.get("state") for aid, st in w.tables["activities"].items()}
        self.query_one(StatusBar).show(w)
        self.show_join(host)
        lobby = self.query_one(LobbyPane)
        lobby.show_session(host.session_id, host.resumed)
        lobby.show_people(w)
        self.query_one(AgendaPane).show(w)
        self.query_one(ActivityPane).show(w, view)
        results = self.query_one(ResultsPane)
        results.workshop, results.channel = w, host.channel
        self.query_one(ParticipantsPane).show(w)

    def show_join(self, host) -> None:
        self.query_one(LobbyPane).show_join(host.url, host.room, bound_to=host.bind_host)

    def apply(self, events: list[ev.Event]) -> None:
        """A batch of engine events (a few times a second at most)."""
        w = self.workshop
        if w is None:
            return
        kinds = {type(e) for e in events}
        self.query_one(StatusBar).show(w)
        people = kinds & {ev.ParticipantJoined, ev.ParticipantLeft, ev.ProfileChanged, ev.ParticipantErased,
                          ev.RoomLockChanged}
        tab = self.query_one(TabbedContent).active
        if people:
            self.query_one(LobbyPane).show_people(w, events, draw=tab == "lobby")
        self.query_one(ActivityPane).apply(events)
        self._follow_the_workshop(events)
        tab = self.query_one(TabbedContent).active
        if tab == "agenda":
            self.query_one(AgendaPane).show(w)
        if tab == "people" and (people or ev.ContributionAdded in kinds or ev.ContributionWithdrawn in kinds):
            self.query_one(ParticipantsPane).show(w)
        contributions = kinds & {ev.ContributionAdded, ev.ContributionWithdrawn, ev.ContributionHidden,
                                 ev.ContributionEdited,
                                 ev.ParticipantErased, ev.ActivityChanged, ev.ModerationChanged}
        results = self.query_one(ResultsPane)
        if contributions:
            results.mark_dirty()
            if tab == "results":
                results.request_refresh()

    def _follow_the_workshop(self, events: list[ev.Event]) -> None:
        """When the current activity opens, show its live view, unless the facilitator is
        in the middle of something: a dialog, typing in a field, or moderating."""
        w = self.workshop
        opened = False
        for e in events:
            if isinstance(e, ev.ActivityStateChanged):
                before = self._states.get(e.activity)
                self._states[e.activity] = e.state.get("state")
                # only the change to open (a timer, a pause or moderation of an open
                # activity changes its state too, and must not move the cockpit)
                opened = opened or (e.activity == w.current_id and e.state.get("state") == "open"
                                    and before != "open")
        tabs = self.query_one(TabbedContent)
        if not opened or tabs.active == "activity" or self.app.screen is not self:
            return
        if isinstance(self.app.focused, Input):
            return
        tabs.active = "activity"

    def tick(self) -> None:
        """Once a second: the countdown."""
        if self.workshop is not None:
            self.query_one(StatusBar).show(self.workshop)
            if self.query_one(TabbedContent).active == "agenda":
                self.query_one(AgendaPane).show(self.workshop)

    # -- tabs -----------------------------------------------------------------------
    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    @on(FacilitatorActionsRequested)
    def _facilitator_actions(self, message: FacilitatorActionsRequested) -> None:
        self.run_worker(self._open_facilitator_actions(message), group="facilitator-actions", exit_on_error=False)

    async def _open_facilitator_actions(self, m: FacilitatorActionsRequested) -> None:
        """Ask the host for the activity's actions, then the dialog: every action runs on
        the host (the ``facilitator_action`` command), in process or not."""
        from .dialogs import FacilitatorActionScreen

        channel = self.app.workshop_host.channel
        try:
            listed = await channel.request("facilitator_actions", activity=m.activity)
        except WorkshopError as exc:
            self.notify(one_line(exc.message, 200), severity="warning", markup=False)
            return
        actions = [a for a in listed.get("actions") or [] if a.get("applies_to") == "contribution"]
        if not actions:
            self.notify("This activity has no actions for a contribution.", severity="warning")
            return
        act = self.workshop.agenda.activity(m.activity) if self.workshop is not None else None

        async def send(action_id: str, value) -> dict:
            return await channel.request("facilitator_action", activity=m.activity, action=action_id,
                                         participant=m.participant, id=m.id, value=value)

        def closed(result: dict | None) -> None:
            if result:
                flush = getattr(self.app, "flush", None)
                if flush is not None:
                    flush()
                self.notify("Done" if result.get("changed") else "Nothing changed", timeout=3)

        self.app.push_screen(FacilitatorActionScreen(act.title if act else m.activity, m.card, actions, send), closed)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if self.workshop is None:
            return
        tab = event.pane.id
        if tab != self.query_one(TabbedContent).active:
            return  # a stale activation: another tab was chosen since (quick keys)
        if tab == "lobby":
            self.query_one(LobbyPane).show_people(self.workshop)
        elif tab == "agenda":
            self.query_one(AgendaPane).show(self.workshop)
        elif tab == "people":
            self.query_one(ParticipantsPane).show(self.workshop)
        elif tab == "results":
            self.query_one(ResultsPane).request_refresh(force=True)
        focusable = event.pane.query("SafeTable, #results-body")
        if focusable:
            focusable.first().focus()
