"""What happens in a workshop, as events the engine emits.

The participant broadcast, the facilitator channel and the TUI subscribe to these with
:meth:`facilitation_kit.core.engine.Workshop.subscribe`. Subscribers are called on the event
loop right after the change is stored; they must not block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    pass


@dataclass(frozen=True)
class ParticipantJoined(Event):
    """A participant got a connection while having none (new, or resumed with a token)."""

    participant: dict[str, Any]
    resumed: bool


@dataclass(frozen=True)
class ParticipantLeft(Event):
    """A participant's last connection closed."""

    participant: dict[str, Any]


@dataclass(frozen=True)
class ProfileChanged(Event):
    participant: dict[str, Any]


@dataclass(frozen=True)
class ParticipantErased(Event):
    """The facilitator erased a participant's data on request."""

    participant_id: str
    contributions: int


@dataclass(frozen=True)
class ContributionAdded(Event):
    contribution: dict[str, Any]
    role: str | None


@dataclass(frozen=True)
class ContributionWithdrawn(Event):
    id: str
    participant: str
    activity: str


@dataclass(frozen=True)
class ContributionHidden(Event):
    """Hidden or shown again by the facilitator (``hidden`` says which)."""

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
    locked: bool


@dataclass(frozen=True)
class StorageProblem(Event):
    """A write failed (``message`` says why) or, with ``message`` None, works again."""

    message: str | None


@dataclass(frozen=True)
class PluginProblem(Event):
    """An activity's plugin raised, timed out or returned garbage."""

    activity: str
    plugin: str
    message: str


@dataclass(frozen=True)
class ModerationChanged(Event):
    """"Approve before showing" was switched on or off for an activity."""

    activity: str
    moderated: bool
