"""What happens in a workshop, as events the engine emits.

The participant broadcast, the facilitator channel and the TUI subscribe to these with
:meth:`facilitation_kit.core.engine.Workshop.subscribe`. Subscribers are called on the event
loop right after the change is stored; they must not block.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Callable

log = logging.getLogger("facilitation_kit.core.events")


@dataclass(frozen=True)
class Event:
    pass


Subscriber = Callable[[Event], None]


class Publisher:
    """Who emits events: the engine, and the TUI's copy of a workshop in another process."""

    _subscribers: list[Subscriber]

    def subscribe(self, fn: Subscriber) -> Callable[[], None]:
        """Call ``fn(event)`` for every event; returns a function that unsubscribes."""
        self.__dict__.setdefault("_subscribers", []).append(fn)
        return lambda: self._subscribers.remove(fn) if fn in self._subscribers else None

    def _emit(self, event: Event) -> None:
        for fn in list(self.__dict__.get("_subscribers", ())):
            try:
                fn(event)
            except Exception:  # a broken subscriber must not break the workshop
                log.exception("event subscriber failed on %s", type(event).__name__)


@dataclass(frozen=True)
class ParticipantJoined(Event):
    """A participant got a connection while having none: new, or back with their token
    (``resumed``)."""

    participant: dict[str, Any]
    resumed: bool


@dataclass(frozen=True)
class ParticipantLeft(Event):
    """A participant's last connection closed. They stay in the session and may come
    back with their token."""

    participant: dict[str, Any]


@dataclass(frozen=True)
class ProfileChanged(Event):
    """A participant changed their name, role or language (the ``profile`` message)."""

    participant: dict[str, Any]


@dataclass(frozen=True)
class ParticipantErased(Event):
    """The facilitator erased a participant on request: their row and all their
    ``contributions`` (how many) are gone from every table and file."""

    participant_id: str
    contributions: int


@dataclass(frozen=True)
class ContributionAdded(Event):
    """A contribution was durably stored (a phone's submit). ``role`` is the role its
    author had then; it may be held for approval (``hidden``)."""

    contribution: dict[str, Any]
    role: str | None


@dataclass(frozen=True)
class ContributionWithdrawn(Event):
    """The author withdrew a contribution (``withdraw``); it is gone from the tables."""

    id: str
    participant: str
    activity: str


@dataclass(frozen=True)
class ContributionHidden(Event):
    """The facilitator hid a contribution, showed it again or approved a held one
    (``hidden`` says which)."""

    contribution: dict[str, Any]
    hidden: bool


@dataclass(frozen=True)
class ActivityChanged(Event):
    """The current activity, its state, timer or form changed. ``activity`` is the
    protocol ACTIVITY object (or None) in the agenda's language; ``by_lang`` holds it
    in each language of a connected phone (``{"fi": {...}}``)."""

    activity: dict[str, Any] | None
    by_lang: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RoomLockChanged(Event):
    """The facilitator locked or unlocked the room: no new participants while locked."""

    locked: bool


@dataclass(frozen=True)
class StorageProblem(Event):
    """A write failed (``message`` says why) or, with ``message`` None, works again."""

    message: str | None


@dataclass(frozen=True)
class PluginProblem(Event):
    """An activity's plugin raised, timed out or returned garbage (``kind`` ``error``),
    or an ``async`` call of it held the event loop too long (``kind`` ``slow``)."""

    activity: str
    plugin: str
    message: str
    kind: str = "error"


@dataclass(frozen=True)
class ModerationChanged(Event):
    """"Approve before showing" was switched on or off for an activity."""

    activity: str
    moderated: bool


@dataclass(frozen=True)
class ActivityStateChanged(Event):
    """An activity's stored state changed (opened, closed, timer set, paused or run out,
    moderation), current or not. ``state`` is the activity's row as stored."""

    activity: str
    state: dict[str, Any]


@dataclass(frozen=True)
class Stored(Event):
    """Operations were durably stored and applied (the journal's put/delete operations).
    The facilitator channel forwards them so that a copy of the state can follow."""

    ops: tuple


@dataclass(frozen=True)
class ScreenChanged(Event):
    """The facilitator changed what the room's screen shows (``settings`` without the
    token), or made a new screen token (``token_changed``: the old link stops working)."""

    settings: dict[str, Any]
    token_changed: bool = False


@dataclass(frozen=True)
class RemoteTokenChanged(Event):
    """The facilitator made a new remote token (docs/facilitators.md, "A remote on your
    phone"): remotes paired with the old one must be disconnected."""


@dataclass(frozen=True)
class ThemesChanged(Event):
    """The facilitator's themes of an activity changed (docs/themes.md)."""

    activity: str


@dataclass(frozen=True)
class ContributionStarred(Event):
    """The facilitator starred (or unstarred) a contribution: starred ones are the
    report's quotes."""

    participant: str
    id: str
    activity: str
    starred: bool


@dataclass(frozen=True)
class ContributionEdited(Event):
    """The facilitator changed a contribution's ``data`` through one of its activity's
    facilitator actions (e.g. classified a value card). ``contribution`` is its new view
    (marked ``edited_by_facilitator``), ``role`` the role it was made in: it keeps its
    author."""

    contribution: dict[str, Any]
    role: str | None
