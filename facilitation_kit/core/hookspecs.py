"""Plugin hooks of facilitation-kit. Each is documented in ``docs/plugin_hooks.md``.

Call hooks with keyword arguments only. An implementation may accept fewer arguments
than the spec lists. A hook may return an awaitable where it says so.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("facilitation_kit")

#: Marker for plugin hook implementations: ``@hookimpl def register_activities(register): …``
hookimpl = pluggy.HookimplMarker("facilitation_kit")


@hookspec
def register_activities(register):
    """Register activity types: call ``register(activity_type)`` once for each
    :class:`~facilitation_kit.core.activity.ActivityType` instance. Fires once when plugins load."""


@hookspec
def startup(workshop):
    """Fires after a workshop session is loaded and before participants can join.
    May return an awaitable."""


@hookspec
def contribution_stored(workshop, contribution, role):
    """Fires after a contribution is durably stored and acked. ``contribution`` is the
    protocol CONTRIBUTION dict, ``role`` the contributor's role. Return nothing. Runs in
    the background: a plain function in a worker thread, an ``async def`` on the loop."""


@hookspec
def extra_report_sections(workshop, results):
    """Return a list of report blocks to append to the workshop report (after the
    activities), or ``None``. ``results`` maps activity ids to their summaries;
    ``workshop`` is ``None`` when the report is made from a recorded session."""
