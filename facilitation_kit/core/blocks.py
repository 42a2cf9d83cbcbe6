"""Report blocks: what a plugin returns to describe its results in the report.

Blocks are data, not markup. The host renders them to HTML, Markdown and the TUI and
escapes every string on the way, so a plugin never has to think about participant text
containing ``<script>`` or ``[bold]``. A :class:`Chart` carries an SVG drawing made with
:mod:`facilitation_kit.report.charts` (which escapes its labels) plus a text alternative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

__all__ = ["Block", "Heading", "Paragraph", "Table", "Chart", "BulletList", "Quote", "ReportPart",
           "REPORT_SECTIONS", "block_from_json"]


@dataclass(frozen=True)
class Block:
    """Base of every report block."""

    def to_json(self) -> dict[str, Any]:
        out = {"block": type(self).__name__.lower()}
        out.update({k: v for k, v in self.__dict__.items()})
        return out


@dataclass(frozen=True)
class Heading(Block):
    text: str
    level: int = 3


@dataclass(frozen=True)
class Paragraph(Block):
    text: str


@dataclass(frozen=True)
class Table(Block):
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    caption: str = ""


@dataclass(frozen=True)
class Chart(Block):
    """An SVG chart. ``svg`` must come from :mod:`facilitation_kit.report.charts` or be built
    with its escaping helpers; ``alt`` describes it for screen readers and text formats."""

    svg: str
    alt: str
    caption: str = ""


@dataclass(frozen=True)
class BulletList(Block):
    items: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class Quote(Block):
    """A participant's words, with the role that said them (never a name)."""

    text: str
    role: str | None = None


#: Where in the report a :class:`ReportPart` goes.
REPORT_SECTIONS = ("summary", "activity", "appendix")


@dataclass(frozen=True)
class ReportPart(Block):
    """Blocks placed in a chosen part of the report (docs/report.md):

    - ``"summary"``: on the first page, under "More from this workshop";
    - ``"activity"``: in the activity's section (where blocks go by default);
    - ``"appendix"``: in the appendix, under the activity's title. An activity whose
      ``report()`` returns an appendix part gives its own raw data there, and the
      report's generic table of its contributions is left out (no contribution twice).

    From ``extra_report_sections``, blocks not in a part get a section of their own
    after the activities (as ``"activity"``)."""

    section: str
    blocks: Sequence[Block] = field(default_factory=tuple)

    def __post_init__(self):
        if self.section not in REPORT_SECTIONS:
            raise ValueError(f"ReportPart section must be one of {', '.join(REPORT_SECTIONS)}, "
                             f"not {self.section!r}")
        if not all(isinstance(b, Block) and not isinstance(b, ReportPart) for b in self.blocks):
            raise ValueError("a ReportPart holds report blocks (and no other ReportPart)")

    def to_json(self) -> dict[str, Any]:
        return {"block": "reportpart", "section": self.section, "blocks": [b.to_json() for b in self.blocks]}


def block_from_json(data: dict[str, Any]) -> Block:
    """The block a :meth:`Block.to_json` dict describes (blocks cross the facilitator
    channel as JSON). Raises ``ValueError`` for anything else."""
    kinds = {cls.__name__.lower(): cls for cls in (Heading, Paragraph, Table, Chart, BulletList, Quote)}
    if isinstance(data, dict) and data.get("block") == "reportpart":
        blocks = data.get("blocks")
        if not isinstance(blocks, list):
            raise ValueError("a reportpart block needs a list of blocks")
        try:
            return ReportPart(str(data.get("section")), tuple(block_from_json(b) for b in blocks))
        except TypeError as exc:
            raise ValueError(str(exc)) from None
    if not isinstance(data, dict) or data.get("block") not in kinds:
        raise ValueError(f"not a report block: {str(data)[:80]}")
    fields = {k: v for k, v in data.items() if k != "block"}
    return kinds[data["block"]](**fields)
