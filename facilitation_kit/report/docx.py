"""The report as a Word file (DOCX), with python-docx: the same sections as the HTML.

python-docx is the well-kept library for writing .docx files (municipal offices circulate
Word files); we do not write Office Open XML by hand. Page one ends with a page break;
each chart is a PNG drawn from its (sanitised) SVG by CairoSVG, with its text alternative
as the picture's description and its caption below. Where CairoSVG cannot run (no
libcairo on the machine), the chart's text alternative is written in its place: the
numbers are in the table next to every built-in chart.
"""

from __future__ import annotations

import io
from typing import Callable, Sequence

from ..core.blocks import Block, BulletList, Chart, Heading, Paragraph, Quote, Table
from .charts import clean
from .sections import Section, T

__all__ = ["to_docx", "chart_png", "rasteriser_available"]

#: The widest a chart is drawn, in centimetres (an A4 page less its margins).
CHART_MAX_CM = 16.0


def rasteriser_available() -> bool:
    """Whether charts can be drawn as pictures here (CairoSVG and libcairo)."""
    try:
        import cairosvg  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def chart_png(svg: str, sanitise: Callable[[str], "str | None"], scale: float = 2.0) -> bytes | None:
    """The chart's SVG, rebuilt by ``sanitise`` (the report's ``safe_svg``), as PNG
    bytes; ``None`` if it cannot be drawn."""
    safe = sanitise(svg)
    if safe is None:
        return None
    try:
        import cairosvg

        return cairosvg.svg2png(bytestring=safe.encode("utf-8"), scale=scale, background_color="white")
    except Exception:  # no libcairo, or a drawing cairo refuses: the text stands in
        return None


def _text(value) -> str:
    """Text Word can hold: no control characters (XML 1.0 forbids them)."""
    return clean("" if value is None else value)


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return _text(value)


def to_docx(sections: Sequence[Section], *, sanitise: Callable[[str], "str | None"], lang: str = "en") -> bytes:
    """The sections as a .docx file; ``sanitise`` rebuilds each chart's SVG from harmless
    parts before it is drawn (the report's ``safe_svg``)."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.shared import Cm, Pt

    doc = Document()
    for s in doc.sections:
        s.page_height, s.page_width = Cm(29.7), Cm(21.0)
        s.left_margin = s.right_margin = Cm(2.0)
        s.top_margin = s.bottom_margin = Cm(1.6)
    doc.styles["Normal"].font.size = Pt(10)
    doc.core_properties.title = _text(sections[0].blocks[0].text) if sections and sections[0].blocks else ""
    doc.core_properties.author = "facilitation-kit"
    for n, section in enumerate(sections):
        for block in section.blocks:
            _add(doc, block, lang, sanitise)
        if section.kind == "summary" and n < len(sections) - 1:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _add(doc, block: Block, lang: str, sanitise) -> None:
    from docx.shared import Cm

    if isinstance(block, Heading):
        doc.add_heading(_text(" ".join(str(block.text).split())), level=min(max(int(block.level) - 1, 0), 5)
                        if block.level > 1 else 0)
    elif isinstance(block, Paragraph):
        doc.add_paragraph(_text(block.text))
    elif isinstance(block, BulletList):
        for item in block.items:
            doc.add_paragraph(_text(item), style="List Bullet")
    elif isinstance(block, Quote):
        text = "“" + _text(block.text) + "”" + (f" — {_text(block.role)}" if block.role else "")
        doc.add_paragraph(text, style="Quote")
    elif isinstance(block, Table):
        if not block.columns:
            return
        table = doc.add_table(rows=1, cols=len(block.columns))
        table.style = "Table Grid"
        for cell, value in zip(table.rows[0].cells, block.columns):
            cell.text = _cell(value)
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in block.rows:
            values = list(row) + [""] * (len(block.columns) - len(row))
            for cell, value in zip(table.add_row().cells, values[: len(block.columns)]):
                cell.text = _cell(value)
        if block.caption:
            doc.add_paragraph(_text(block.caption), style="Caption")
    elif isinstance(block, Chart):
        png = chart_png(block.svg, sanitise)
        if png is not None:
            width_cm = min(CHART_MAX_CM, _svg_width_px(block.svg) / 40.0)  # 640 px -> 16 cm
            doc.add_picture(io.BytesIO(png), width=Cm(width_cm))
            shape = doc.inline_shapes[-1]
            shape._inline.docPr.set("descr", _text(block.alt))  # the picture's alt text
        else:
            doc.add_paragraph(T.t(lang, "chart.as_text", alt=_text(block.alt)))
        if block.caption:
            doc.add_paragraph(_text(block.caption), style="Caption")
    else:
        doc.add_paragraph(_text(repr(block)))


def _svg_width_px(svg: str) -> float:
    import re

    match = re.search(r'width="([0-9.]+)"', svg or "")
    try:
        return float(match.group(1)) if match else 640.0
    except ValueError:
        return 640.0
