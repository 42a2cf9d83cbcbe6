"""Messages the facilitator's terminal app passes upwards.

Widgets never call the engine themselves: they say what the facilitator asked for, and
the app runs the engine command in a worker and reports the outcome. Engine events come
down the other way, batched, as method calls on the screens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.message import Message

__all__ = ["WorkshopCommand", "EraseRequested", "ExportFinished", "FacilitatorActionsRequested"]


@dataclass
class WorkshopCommand(Message):
    """Run the facilitator command ``command`` (a name of
    :data:`facilitation_kit.core.protocol.COMMANDS`) with ``fields``; ``done`` is said
    when it worked (a callable gets the ``ok`` answer)."""

    command: str
    fields: dict[str, Any] = field(default_factory=dict)
    done: Any = ""


@dataclass
class EraseRequested(Message):
    """The facilitator wants one participant's data erased (asks for confirmation)."""

    participant_id: str
    label: str
    contributions: int


@dataclass
class ExportFinished(Message):
    """An export was written to ``path`` (or failed with ``error``)."""

    format: str
    path: Path | None = None
    error: str | None = None


@dataclass
class FacilitatorActionsRequested(Message):
    """The facilitator wants the activity plugin's own actions for one contribution
    (key ``.``): ``card`` is how the contribution reads, for the dialog."""

    activity: str
    participant: str
    id: str
    card: str
