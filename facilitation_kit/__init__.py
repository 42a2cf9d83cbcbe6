"""facilitation-kit: live co-creation workshops, run from a terminal, joined from phones.

``import facilitation_kit`` is the whole plugin API, as ``import llm`` is for llm's
plugins::

    import facilitation_kit as fk

    class Checkin(fk.ActivityType):
        name = "checkin"
        def form(self, activity):
            return fk.Form([fk.TextField("word", "One word for how you feel")])

    @fk.hookimpl
    def register_activities(register):
        register(Checkin())

Everything else in the package (``core``, ``host``, ``tui``, ``report``, ``cli``) is the
kit's own machinery and may change between versions.
"""

__version__ = "0.1.0"

from .core.hookspecs import hookimpl  # noqa: E402
from .core.activity import ActivityInfo, ActivityType, FacilitatorAction, Item, Option, OptionError  # noqa: E402
from .core.blocks import Block, BulletList, Chart, Heading, Paragraph, Quote, ReportPart, Table  # noqa: E402
from .core.forms import (  # noqa: E402
    ChoiceField, Field, Form, Invalid, MatrixField, ScaleField, TextField, VoteField,
)
from .core.i18n import LANGUAGES, Catalogue, text  # noqa: E402
from .core.roles import (  # noqa: E402
    NO_ROLE, OTHER_ROLES, RoleGroups, dont_know, latest_per_participant, mean, role_groups, role_of, role_order,
    widest_gap,
)

# The report's drawing and word counting load when a plugin first uses them (PEP 562), not
# with every ``import facilitation_kit``: a host that is starting needs neither yet.
_LATER = {"dumbbell": "charts", "importance_support_map": "charts", "scale_averages": "charts",
          "stacked_bars": "charts", "word_cloud": "charts", "word_counts": "words"}


def __getattr__(name: str):
    module = _LATER.get(name)
    if module is None:
        raise AttributeError(f"module 'facilitation_kit' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".report.{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LATER))

__all__ = [
    "__version__", "hookimpl",
    "ActivityType", "ActivityInfo", "Item", "Option", "OptionError", "FacilitatorAction",
    "Form", "Field", "TextField", "ChoiceField", "ScaleField", "VoteField", "MatrixField",
    "Invalid",
    "Block", "Heading", "Paragraph", "Table", "Chart", "BulletList", "Quote", "ReportPart",
    "stacked_bars", "importance_support_map", "dumbbell", "scale_averages", "word_cloud", "word_counts",
    "Catalogue", "LANGUAGES", "text",
    "NO_ROLE", "OTHER_ROLES", "RoleGroups", "role_groups", "role_of", "role_order", "mean", "dont_know", "latest_per_participant",
    "widest_gap",
]
