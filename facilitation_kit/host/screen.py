"""The room's screen channel: ``/ws/screen`` (docs/screen.md, docs/protocol.md).

A screen authenticates with the read-only screen token (never the facilitator's, and the
screen token opens no other channel), gets a ``screen`` frame with everything it shows
(and the page's words in the agenda's language), then a new ``screen`` frame whenever
that changes. Changes are coalesced: a burst of contributions costs one recomputation
per :attr:`ScreenFeed.DELAY`, and a frame is sent only when what it shows changed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Callable

from websockets.asyncio.server import ServerConnection, broadcast

from ..core import events as ev
from ..core.engine import Workshop
from ..core.screen import screen_state
from .qr import qr_svg_data_uri

log = logging.getLogger("facilitation_kit.host.screen")

#: Events that can change a plugin's screen blocks (everything else only changes counts).
_CONTENT = (ev.ContributionAdded, ev.ContributionWithdrawn, ev.ContributionHidden, ev.ContributionEdited,
            ev.ActivityChanged,
            ev.ParticipantErased, ev.ScreenChanged, ev.ModerationChanged, ev.ThemesChanged)


def screen_strings(web_dir: Path, language: str) -> dict[str, str]:
    """The screen page's words in ``language`` (``fi-FI`` falls back to ``fi``, anything
    unknown to English); a missing key falls back to the English text."""
    folder = web_dir / "screen-i18n"
    english = json.loads((folder / "en.json").read_text("utf-8"))
    for code in (language, language.split("-")[0].lower()):
        path = folder / f"{code}.json"
        if code.isalpha() and path.is_file():
            return {**english, **json.loads(path.read_text("utf-8"))}
    return english


class ScreenFeed:
    """Keeps every connected screen up to date."""

    #: Seconds to gather changes before recomputing what the screen shows.
    DELAY = 0.1

    def __init__(self, workshop: Workshop, join_url: Callable[[], str], web_dir: Path):
        self.workshop = workshop
        self.join_url = join_url
        self.web_dir = web_dir
        self.conns: set[ServerConnection] = set()
        self.state: dict[str, Any] | None = None
        self._shown: str | None = None
        self._qr: tuple[str, str] | None = None
        self._strings: dict[str, str] | None = None
        self._task: asyncio.Task | None = None
        self._dirty = False
        self._content_dirty = True

    # -- what a frame holds --------------------------------------------------------------
    def _join(self) -> dict[str, str]:
        url = self.join_url()
        if self._qr is None or self._qr[0] != url:
            self._qr = (url, qr_svg_data_uri(url))
        return {"url": url, "qr": self._qr[1]}

    def strings(self) -> dict[str, str]:
        if self._strings is None:
            self._strings = screen_strings(self.web_dir, self.workshop.agenda.language)
        return self._strings

    async def current(self) -> dict[str, Any]:
        if self.state is None or self._dirty or self._content_dirty:
            await self._compute()
        return self.state

    async def _compute(self) -> None:
        content = self._content_dirty
        self._dirty = self._content_dirty = False
        state = await screen_state(self.workshop, with_blocks=content, previous=self.state)
        state["join"] = self._join()
        self.state = state

    def frame(self, **extra: Any) -> str:
        return json.dumps({"type": "screen", **self.state, **extra}, ensure_ascii=False)

    # -- events ----------------------------------------------------------------------
    def on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ScreenChanged) and event.token_changed:
            for ws in list(self.conns):  # the link was revoked: these screens must stop
                self.conns.discard(ws)
                asyncio.ensure_future(ws.close(4003, "screen link revoked"))
        if isinstance(event, (ev.StorageProblem, ev.PluginProblem)):
            return
        if isinstance(event, _CONTENT):
            self._content_dirty = True
        self._dirty = True
        if self.conns and (self._task is None or self._task.done()):
            self._task = asyncio.ensure_future(self._refresh())

    async def _refresh(self) -> None:
        try:
            while self._dirty or self._content_dirty:
                await asyncio.sleep(self.DELAY)
                await self._compute()
                shown = json.dumps({k: v for k, v in self.state.items() if k != "now"}, sort_keys=True)
                if shown != self._shown and self.conns:
                    self._shown = shown
                    broadcast(list(self.conns), self.frame())
        except Exception:  # a screen must never take the host down
            log.exception("updating the screens failed")

    # -- connections -----------------------------------------------------------------
    async def welcome(self, ws: ServerConnection) -> None:
        state = await self.current()
        self._shown = json.dumps({k: v for k, v in state.items() if k != "now"}, sort_keys=True) \
            if not self.conns else self._shown
        self.conns.add(ws)
        await ws.send(self.frame(strings=self.strings()))

    async def resend(self, ws: ServerConnection) -> None:
        await self.current()
        await ws.send(self.frame())

    def discard(self, ws: ServerConnection) -> None:
        self.conns.discard(ws)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
