"""facilitation-kit: live co-creation workshops, run from a terminal, joined from phones."""

import pluggy

__version__ = "0.1.0"

#: Marker for plugin hook implementations: ``@hookimpl def register_activities(register): …``
hookimpl = pluggy.HookimplMarker("facilitation_kit")

__all__ = ["hookimpl", "__version__"]
