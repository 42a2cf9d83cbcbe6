"""The workshop's commands about the room: its screen, the remote, notes for the report, the lock."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from . import events as ev
from .errors import WorkshopError
from .forms import clean_text
from .ops import delete, put
from .record import utc_iso


log = logging.getLogger(__name__)


class RoomCommands:
    """Commands of :class:`~facilitation_kit.core.engine.Workshop` about the room's screen, the remote, notes and the lock."""

    # -- the room's screen (docs/screen.md) ----------------------------------------------
    SCREEN_VIEWS = ("live", "lobby", "blank", "toggle_blank", "highlight", "results", "themes")

    async def ensure_screen_token(self) -> str:
        """The screen token, made (and stored) on first use."""
        return self.screen_settings.get("token") or await self.new_screen_token()

    async def new_screen_token(self) -> str:
        """Revoke the screen link and make a new one; open screens are disconnected."""
        async with self._command_lock:
            settings = {**self.screen_settings, "token": secrets.token_urlsafe(24)}
            await self._commit([put("session", "screen", settings)])
        self._emit(ev.ScreenChanged(self.screen_public(), token_changed=True))
        return settings["token"]

    # -- the facilitator's remote (docs/facilitators.md) -----------------------------------
    async def ensure_remote_token(self) -> str:
        """The remote token (facilitator rights, for the page ``/remote`` on the
        facilitator's phone), made and stored on first use, so a paired phone keeps
        working after ``--resume``."""
        return self.remote_token or await self.new_remote_token()

    async def new_remote_token(self) -> str:
        """Revoke the remote token and make a new one; paired remotes are disconnected."""
        async with self._command_lock:
            token = secrets.token_urlsafe(32)
            await self._commit([put("session", "remote", {"token": token, "created_at": utc_iso()})])
        self._emit(ev.RemoteTokenChanged())
        return token

    def screen_public(self) -> dict[str, Any]:
        return {k: v for k, v in self.screen_settings.items() if k != "token"}

    async def set_screen(self, view: str, participant: str | None = None,
                         contribution: str | None = None) -> dict[str, Any]:
        """Choose the screen's view: ``live`` (follow the workshop), ``lobby``, ``blank``,
        ``toggle_blank`` (blank, or back to what was shown before blanking: the ``b`` key),
        ``highlight`` (one approved contribution), ``results`` (the current activity's
        results, if the plugin lets the room see them now) or ``themes`` (the current
        activity's confirmed themes, docs/themes.md)."""
        if view not in self.SCREEN_VIEWS:
            raise WorkshopError("bad_message", "view must be one of " + ", ".join(self.SCREEN_VIEWS))
        async with self._command_lock:
            current = dict(self.screen_settings)
            unblank = view == "toggle_blank" and current.get("view") == "blank"
            if view == "toggle_blank":
                view = "live" if unblank else "blank"
            new = {"token": current.get("token"), "view": view}
            if view == "blank" and current.get("view") not in (None, "blank"):
                new["before"] = {k: current[k] for k in ("view", "activity", "highlight") if k in current}
            elif unblank and current.get("before"):
                new.update(current["before"])  # toggled back: to what was shown before
            if view in ("highlight", "results", "themes"):
                if self.current_id is None:
                    raise WorkshopError("no_activity", "there is no current activity")
                new["activity"] = self.current_id
            if view == "highlight":
                if not isinstance(participant, str) or not isinstance(contribution, str):
                    raise WorkshopError("bad_message", "highlight needs 'participant' and 'contribution'")
                _, doc = self._require_contribution(participant, contribution)
                if doc.get("hidden"):
                    raise WorkshopError("not_visible", "hidden or awaiting approval: approve it first")
                new["activity"] = doc["activity"]
                new["highlight"] = {"participant": participant, "contribution": contribution}
            if new.get("token") is None:
                new.pop("token")
            if new != current:
                await self._commit([put("session", "screen", new)])
        self._emit(ev.ScreenChanged(self.screen_public()))
        return self.screen_public()

    async def set_note(self, activity_id: str, text: str) -> dict[str, Any] | None:
        """The facilitator's note on an activity ("what we heard / what we agreed"),
        stored in the ``notes`` table for the report; an empty text removes it."""
        async with self._command_lock:
            self._require_activity(activity_id)
            text = clean_text(text, multiline=True)
            if len(text) > self.NOTE_MAX:
                raise WorkshopError("bad_message", f"a note is at most {self.NOTE_MAX} characters")
            old = self.tables["notes"].get(activity_id)
            if not text:
                if old is not None:
                    await self._commit([delete("notes", activity_id)])
                return None
            if old is not None and old.get("text") == text:
                return old
            doc = {"activity": activity_id, "text": text, "updated_at": utc_iso()}
            await self._commit([put("notes", activity_id, doc)])
            return doc

    async def set_locked(self, locked: bool) -> None:
        async with self._command_lock:
            if self.locked != locked:
                await self._commit([put("session", "session", {**self.session, "locked": locked})])
                self._emit(ev.RoomLockChanged(locked))
