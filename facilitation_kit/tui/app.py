"""The facilitator's terminal app: ``facilitation-kit run``.

By default (``facilitation-kit run``) the host (store, engine, websocket server) runs in
a child process and the app is a facilitator-channel client of it
(:class:`~facilitation_kit.tui.client.RemoteHost`): rendering here can never delay a
participant's ack there (docs/architecture.md). With ``--in-process`` (and in most
tests) the app runs the :class:`~facilitation_kit.host.assembly.Host` on its own event loop. Either
way it is a view of the engine's events, so a command from another facilitator moves the
screens just as a key does. Events are buffered and applied a few times a second.

Build it with :func:`make_app` (the CLI, the tests and the snapshot apps all do).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import App
from textual.css.query import NoMatches

from ..core import events as ev
from ..core.agenda import Agenda, AgendaError
from ..core.engine import WorkshopError
from ..host.assembly import Host, HostError, lan_addresses
from .messages import EraseRequested, ExportFinished, WorkshopCommand
from .screens.dialogs import ConfirmScreen, ExportScreen, HostPickerScreen, NoteScreen, PaperCardScreen, TimerScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .screens.remote import RemotePairScreen
from ..host.store import StoreError
from .widgets.safe import count_of, one_line
from .keys import bindings

__all__ = ["FacilitatorApp", "make_app", "run_app", "write_export"]

log = logging.getLogger("facilitation_kit.tui.app")

LIGHT, DARK = "textual-light", "textual-dark"


def write_export(export: dict[str, Any], plugins, fmt: str, folder: Path, session_id: str) -> Path:
    """Render ``export`` as ``fmt`` and write it (atomically) into ``folder``."""
    from ..report.export import to_csv, to_json
    from ..report.render import render_report

    if fmt == "json":
        text = to_json(export)
    elif fmt == "csv":
        text = to_csv(export)
    else:
        text = render_report(export, plugins, format=fmt)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session_id}-{datetime.now():%Y%m%d-%H%M%S}.{fmt}"
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(text, bytes):  # the Word file
        tmp.write_bytes(text)
    else:
        tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


class FacilitatorApp(App[int]):
    """The facilitator's cockpit for one workshop session."""

    CSS_PATH = "app.tcss"
    TITLE = "facilitation-kit"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = bindings("App")

    #: Seconds between two flushes of engine events into the screens (4 Hz).
    FLUSH_INTERVAL = 0.25

    def __init__(self, host: Host, *, flush_interval: float | None = None):
        super().__init__()
        self.workshop_host = host
        self.flush_interval = flush_interval or self.FLUSH_INTERVAL
        self.startup_error: str | None = None
        self.current_view: dict | None = None
        self.last_export: Path | None = None
        self._pending: list[ev.Event] = []
        self._unsubscribe = None
        self.main: MainScreen | None = None
        self._exit_started = False
        self._renewing_screen_link = 0  # screen links this app asked for, not yet seen as events

    # -- lifecycle -------------------------------------------------------------------
    async def on_mount(self) -> None:
        self.theme = DARK
        try:
            await self.workshop_host.open()
        except (HostError, AgendaError, StoreError, OSError) as exc:
            self.startup_error = str(exc)
            self.exit(return_code=2)
            return
        workshop = self.workshop_host.workshop
        self._unsubscribe = workshop.subscribe(self._on_event)
        self.current_view = await workshop.activity_view()
        self.main = MainScreen()
        await self.push_screen(self.main)
        self.main.show(self.workshop_host, self.current_view)
        self.set_interval(self.flush_interval, self.flush, name="flush engine events")
        self.set_interval(1.0, self._tick, name="countdown")
        if self.workshop_host.resumed:
            self.notify(f"Resumed session {self.workshop_host.session_id}: everything acknowledged is back.",
                        title="Resumed", markup=False)
        for problem in self.workshop_host.recovery_problems():
            self.notify(one_line(problem, 300), title="Recovered", severity="warning", markup=False)

    def exit(self, *args: Any, **kwargs: Any) -> None:
        self._exit_started = True
        super().exit(*args, **kwargs)

    async def on_unmount(self) -> None:
        self._exit_started = True
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self.workshop_host.close()

    # -- engine events: buffered, applied at FLUSH_INTERVAL ----------------------------
    def _on_event(self, event: ev.Event) -> None:
        """Called by the engine on the loop: only remember it (must not block)."""
        self._pending.append(event)

    def flush(self) -> None:
        """Apply the buffered events to the screens (one repaint for a whole batch)."""
        if not self._pending or self.main is None or not self.main.is_attached or self._exit_started:
            return
        events, self._pending = self._pending, []
        for e in events:
            if isinstance(e, ev.ActivityChanged):
                self.current_view = e.activity
            elif isinstance(e, ev.StorageProblem):
                if e.message:
                    self.notify(f"Cannot store contributions: {one_line(e.message, 200)}. Phones keep them "
                                "and retry.", title="Storage problem", severity="error", timeout=30, markup=False)
                else:
                    self.notify("Storage works again.", title="Storage", markup=False)
            elif isinstance(e, ev.PluginProblem):
                what = "is slow" if e.kind == "slow" else "failed"
                self.notify(one_line(e.message, 400), title=f"Plugin {one_line(e.plugin, 40)} {what}",
                            severity="warning", markup=False)
            elif isinstance(e, ev.ScreenChanged) and e.token_changed:
                if self._renewing_screen_link:
                    self._renewing_screen_link -= 1  # ours: the command's answer says it
                else:
                    self.notify(f"Someone made a new screen link: {self.workshop_host.screen_url} (the old one "
                                "stopped working).", title="New screen link", timeout=30, markup=False)
            elif type(e).__name__ == "HostLost":
                self.host_lost(e.message)
        try:
            with self.batch_update():
                self.main.apply(events)
                apply_events = getattr(self.screen, "apply_events", None)  # e.g. the Themes view
                if apply_events is not None and self.screen is not self.main:
                    apply_events(events)
        except NoMatches:  # the screens are being torn down (the app is closing)
            pass

    def host_lost(self, message: str) -> None:
        """The host process died: say so, in words the facilitator can act on."""
        self.sub_title = "HOST STOPPED"
        resume = f"facilitation-kit run --resume {self.workshop_host.session_id}"
        body = Text(f"{message}.\n\nPhones cannot reach the room now; they keep what they could not "
                    f"send. Everything acknowledged is stored. Quit and continue with:\n\n  {resume}")
        self.notify(f"The workshop host stopped. Quit and run: {resume}", title="Host stopped",
                    severity="error", timeout=3600, markup=False)

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(3)

        self.push_screen(ConfirmScreen("The workshop host stopped", body, yes="Quit", danger=True), answered)

    def _tick(self) -> None:
        try:
            if self.main is not None and self.main.is_attached and not self._exit_started:
                self.main.tick()
        except NoMatches:  # the screens are being torn down (the app is closing)
            pass

    # -- commands: messages up, engine calls in workers -------------------------------
    @on(WorkshopCommand)
    def _command_message(self, message: WorkshopCommand) -> None:
        self.run_command(message.command, done=message.done, **message.fields)

    def run_command(self, command: str, *, done: Any = "", **fields: Any) -> None:
        """Run a facilitator command (core/protocol.py) in a worker, as the server would."""
        self.run_worker(self._run_command(command, fields, done), group="commands",
                        name=f"command {command}", exit_on_error=False)

    async def _run_command(self, command: str, fields: dict[str, Any], done: Any) -> None:
        try:
            result = await self.workshop_host.channel.request(command, **fields)
        except WorkshopError as exc:
            self.notify(one_line(exc.message, 200), severity="warning", markup=False)
            return
        except Exception as exc:  # never take the cockpit down
            log.exception("command %s failed", command)
            self.notify(f"{command} failed: {one_line(exc, 200)}", severity="error", markup=False)
            return
        self.flush()
        if callable(done):
            done = done(result)
        if done:
            self.notify(done, markup=False, timeout=3)

    def action_themes(self) -> None:
        """The Themes view of the current activity (or of the activity a vote on themes
        takes them from): docs/themes.md."""
        from .screens.themes import ThemesScreen
        current = self._current()
        if current is None:
            return
        act = self.workshop_host.workshop.agenda.activity(current)
        target = act.source if act.source and act.from_themes else current
        self.push_screen(ThemesScreen(self.workshop_host.workshop, target))

    def _current(self) -> str | None:
        w = self.workshop_host.workshop
        if w is None or w.current_id is None:
            self.notify("There is no current activity.", severity="warning")
            return None
        return w.current_id

    def action_next_activity(self) -> None:
        self.run_command("next")

    def action_previous_activity(self) -> None:
        self.run_command("previous")

    def action_open_activity(self) -> None:
        if self._current():
            self.run_command("open", done="Submissions open")

    def action_close_activity(self) -> None:
        if self._current():
            self.run_command("close", done="Submissions closed")

    def action_timer(self) -> None:
        current = self._current()
        if not current:
            return
        w = self.workshop_host.workshop
        act, st = w.agenda.activity(current), w.activity_state(current)
        default = int(st.get("paused_remaining") or act.timebox or 300)

        def chosen(answer) -> None:
            if answer is None:
                return
            seconds, close = answer
            if seconds == 0:
                self.run_command("timer", seconds=None, done="Timer cleared")
            else:
                self.run_command("timer", seconds=seconds, close_at_end=close, done="Timer started"
                                 + (": submissions close at zero" if close else ""))

        self.push_screen(TimerScreen(act.title, default, bool(st.get("close_at_end", act.close_at_end))), chosen)

    def action_note(self) -> None:
        """Write the facilitator's note (for the report) on the activity the Results tab
        shows, else the current one."""
        w = self.workshop_host.workshop
        pane = next(iter(self.query("ResultsPane")), None)
        activity_id = getattr(pane, "shown_id", None) if pane is not None and pane.display else None
        activity_id = activity_id or self._current()
        act = w.agenda.activity(activity_id) if activity_id else None
        if act is None:
            return
        old = (w.tables.get("notes") or {}).get(activity_id, {}).get("text", "")

        def chosen(text: str | None) -> None:
            if text is not None and text.strip() != old:
                self.run_command("note", activity=activity_id, text=text,
                                 done="Note saved for the report" if text.strip() else "Note removed")

        self.push_screen(NoteScreen(act.title, old), chosen)

    def action_paper_card(self) -> None:
        """Enter a paper card for someone without a phone (the ``assist`` command):
        docs/facilitators.md, "Paper cards"."""
        current = self._current()
        if current is None:
            return
        w = self.workshop_host.workshop
        view = self.current_view
        if w.activity_state(current).get("state") != "open":
            self.notify("Open the activity first (o): a paper card goes in like an answer from a phone.",
                        severity="warning")
            return
        if not view or view.get("id") != current:
            self.notify("The activity's questions are not known yet; try again in a moment.", severity="warning")
            return
        people = [p for p in w.participants() if p.get("assisted")]

        async def send(fields: dict[str, Any]) -> dict[str, Any]:
            return await self.workshop_host.channel.request("assist", **fields)

        def closed(result: dict | None) -> None:
            if result:
                self.flush()
                self.notify(f"{count_of(result['saved'], 'paper card')} saved", markup=False, timeout=3)

        self.push_screen(PaperCardScreen(view, w.agenda.roles, people, send), closed)

    def action_pause_timer(self) -> None:
        current = self._current()
        if not current:
            return
        st = self.workshop_host.workshop.activity_state(current)
        if st.get("ends_at"):
            self.run_command("pause_timer", done="Timer paused")
        elif st.get("paused_remaining") is not None:
            self.run_command("resume_timer", done="Timer running again")
        else:
            self.notify("No timer is running: press t to start one.", severity="warning")

    def action_add_minute(self) -> None:
        if self._current():
            self.run_command("add_time", seconds=60, done="One more minute")

    def action_lock(self) -> None:
        locked = not self.workshop_host.workshop.locked
        self.run_command("lock" if locked else "unlock", done="Room locked: no new participants" if locked
                         else "Room open to new participants")

    @on(EraseRequested)
    def _erase_requested(self, message: EraseRequested) -> None:
        body = Text(f"Erase everything {message.label} wrote ({count_of(message.contributions, 'contribution')}) "
                    "and their name and role? This cannot be undone. The kit's own files are cleaned of it "
                    "within seconds; exports and reports written earlier are outside the kit: delete "
                    "or edit those yourself.")

        def answered(yes: bool | None) -> None:
            if yes:
                self.run_command("erase", participant=message.participant_id,
                                 done=lambda ok: f"Erased the participant and {count_of(ok['erased'], 'contribution')}")

        self.push_screen(ConfirmScreen("Erase a participant's data?", body, yes="Erase", danger=True), answered)

    # -- export ----------------------------------------------------------------------
    @property
    def export_folder(self) -> Path:
        return self.workshop_host.data_dir / "exports"

    def action_export(self) -> None:
        def chosen(fmt: str | None) -> None:
            if fmt:
                self.export(fmt)

        self.push_screen(ExportScreen(str(self.export_folder)), chosen)

    def export(self, fmt: str) -> None:
        """Ask the host for its record, then write the export in a worker thread; an
        :class:`ExportFinished` says where."""
        self.run_worker(self._fetch_export(fmt), group="export", exit_on_error=False)

    async def _fetch_export(self, fmt: str) -> None:
        try:
            snapshot = (await self.workshop_host.channel.request("export"))["export"]
        except Exception as exc:
            self.post_message(ExportFinished(fmt, error=f"{type(exc).__name__}: {exc}"))
            return
        self._write_export(snapshot, fmt)

    @work(thread=True, exclusive=False, group="export", exit_on_error=False, description="Writing export")
    def _write_export(self, snapshot: dict, fmt: str) -> None:
        try:
            path = write_export(snapshot, self.workshop_host.plugins, fmt, self.export_folder, self.workshop_host.session_id)
        except Exception as exc:
            self.post_message(ExportFinished(fmt, error=f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(ExportFinished(fmt, path=path))

    @on(ExportFinished)
    def _export_finished(self, message: ExportFinished) -> None:
        if message.error:
            self.notify(f"Export failed: {one_line(message.error, 300)}", severity="error", markup=False)
        else:
            self.last_export = message.path
            self.notify(f"Written to {message.path}", title=f"{message.format.upper()} export",
                        timeout=10, markup=False)

    # -- the rest ----------------------------------------------------------------------
    def action_pick_host(self) -> None:
        addresses = list(dict.fromkeys([*lan_addresses(), self.workshop_host.join_host]))

        def chosen(address: str | None) -> None:
            if address:
                self.workshop_host.public_host = address
                if self.workshop_host.info_file:
                    self.workshop_host.write_info_file()
                self.main.show_join(self.workshop_host)
                self.notify(f"Join link: {self.workshop_host.url}", markup=False)

        self.push_screen(HostPickerScreen(addresses, self.workshop_host.join_host), chosen)

    # -- the room's screen (docs/screen.md) --------------------------------------------
    def action_blank_screen(self) -> None:
        self.run_command("screen", view="toggle_blank", done=lambda ok: (
            "Screen blanked (b again shows it)" if ok["screen"].get("view") == "blank" else "Screen shows the room again"))

    def action_reveal_results(self) -> None:
        w = self.workshop_host.workshop
        if self._current() is None:
            return
        shown = w.screen_settings.get("view") == "results" and w.screen_settings.get("activity") == w.current_id
        self.run_command("screen", view="live" if shown else "results",
                         done="Screen follows the activity again" if shown else
                         "Results on the screen (once the room may see them)")

    def action_screen_link(self) -> None:
        url = self.workshop_host.screen_url
        if not url:
            self.notify("The screen link is not known yet.", severity="warning")
            return
        self.copy_to_clipboard(url)
        self.notify(f"Open on the projector or TV (copied to the clipboard): {url}", title="Room screen link",
                    timeout=30, markup=False)

    def action_new_screen_link(self) -> None:
        def renewed(_token) -> str:
            if self.workshop_host.info_file:  # the child host rewrites its own; ours names the link too
                self.workshop_host.write_info_file()
            return f"New screen link: {self.workshop_host.screen_url} (the old one stopped working)"

        def answered(yes: bool | None) -> None:
            if yes:
                self._renewing_screen_link += 1
                self.run_command("screen_token", action="new", done=renewed)

        self.push_screen(ConfirmScreen(
            "Make a new screen link?", "Screens open with the old link go dark and must open the new one "
            "(K shows it).", yes="New link", danger=True), answered)

    # -- the facilitator's remote (docs/facilitators.md) ----------------------------------
    def action_pair_remote(self) -> None:
        """The remote's pairing QR code (made on first use; shown only here)."""
        if isinstance(self.screen, RemotePairScreen):
            return

        def shown(ok) -> str:
            self.push_screen(RemotePairScreen(self._remote_url(ok["token"]), self._renew_remote))
            return ""

        self.run_command("remote_token", done=shown)

    async def _renew_remote(self) -> str:
        ok = await self.workshop_host.channel.request("remote_token", action="new")
        return self._remote_url(ok["token"])

    def _remote_url(self, token: str) -> str:
        return f"{self.workshop_host.base_url}/remote#token={token}"

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT if self.theme == DARK else DARK

    async def action_quit(self) -> None:
        w = self.workshop_host.workshop
        connected = w.connected_count() if w is not None else 0
        if not connected:  # a lost host has nobody connected
            self.exit(0)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.exit(0)

        if not isinstance(self.screen, ConfirmScreen):
            self.push_screen(ConfirmScreen(
                "Quit the workshop?",
                f"{connected} participant{'s are' if connected != 1 else ' is'} connected: their phones "
                "lose the room. Everything acknowledged is stored; continue later with "
                f"facilitation-kit run --resume {self.workshop_host.session_id}", yes="Quit"), answered)


def make_app(agenda: str | Path | Agenda | None = None, *, workshop_host: Host | None = None,
             flush_interval: float | None = None, child_process: bool = False,
             **host_kwargs: Any) -> FacilitatorApp:
    """The app for a new (or, with ``resume=ID``, a resumed) session. ``host_kwargs`` go
    to :class:`~facilitation_kit.host.assembly.Host` (``host`` is the address to listen on), or with
    ``child_process=True`` to :class:`~facilitation_kit.tui.client.RemoteHost` (the host runs
    in a child process); or pass a ``workshop_host`` that is not open yet."""
    if workshop_host is None:
        if child_process:
            from .client import RemoteHost

            workshop_host = RemoteHost(agenda, **host_kwargs)
        else:
            workshop_host = Host(agenda, **host_kwargs)
    return FacilitatorApp(workshop_host, flush_interval=flush_interval)


def run_app(agenda: str | Path | None = None, *, in_process: bool = False, **host_kwargs: Any) -> int:
    """Run the TUI until the facilitator quits; returns the exit status. The host runs in
    a child process unless ``in_process``."""
    from ..host.logs import setup_logging
    from ..host.memory import settle_after_start

    app = make_app(agenda, child_process=not in_process, **host_kwargs)
    log_file = None
    try:
        from ..host.logs import open_private_log

        log_file = open_private_log(app.workshop_host.data_dir / "logs" / "tui.log", "a", encoding="utf-8")
        setup_logging(stream=log_file)  # never onto the terminal the app draws on
    except OSError:
        logging.getLogger().handlers[:] = [logging.NullHandler()]
    settle_after_start()  # long full collections would stop the app's loop (host/memory.py)
    try:
        app.run()
    finally:
        if log_file is not None:
            log_file.close()
    if app.startup_error:
        print(f"facilitation-kit: {app.startup_error}", file=sys.stderr)
        return 2
    if app.workshop_host.workshop is not None:
        print(f"stopped; everything acknowledged is stored. Continue with: "
              f"facilitation-kit run --resume {app.workshop_host.session_id}", flush=True)
    return app.return_code or 0
