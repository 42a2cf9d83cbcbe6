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
from .report.charts import dumbbell, importance_support_map, scale_averages, stacked_bars, word_cloud  # noqa: E402
from .report.words import word_counts  # noqa: E402

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
