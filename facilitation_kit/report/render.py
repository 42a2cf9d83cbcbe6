"""The workshop report: one printable HTML file, Markdown, or a Word file (DOCX), from the
JSON export.

The content is built once, as sections of blocks (:mod:`facilitation_kit.report.sections`):
page one (``<section id="summary">``: purpose, who took part, the top priorities, where
views differ, quotes, actions, how participants hear back), one section per activity
(the facilitator's note, the themes, the plugin's results and charts), and the appendix
(the agenda, participants, every contribution once). Contributions are anonymised by
default: they show the contributor's role, never a name; ``anonymise=False`` adds the
names participants chose to give.

Everything that came from a participant or a plugin is treated as text: control
characters are stripped, HTML is escaped, Markdown is escaped, and a chart's SVG is
re-parsed and rebuilt from a list of harmless elements and attributes before it is
inlined. The HTML needs no script and loads nothing: its Content-Security-Policy
forbids both.
"""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from typing import Any, Mapping, Sequence

from ..core import i18n
from ..core.blocks import Block, BulletList, Chart, Heading, Paragraph, Quote, Table
from .charts import clean
from .sections import Section, report_sections

__all__ = ["render_report", "report_blocks", "to_html", "to_markdown", "FORMATS", "safe_svg", "md_text"]

#: The report formats :func:`render_report` makes (``docx`` is bytes, the others text).
FORMATS = ("html", "md", "docx")


def render_report(export: Mapping[str, Any], plugins, *, format: str = "html",
                  anonymise: bool = True, lang: str | None = None) -> str | bytes:
    """The report of an export as ``"html"`` (one self-contained file), ``"md"`` or
    ``"docx"`` (a Word file, as bytes), in the agenda's language or in ``lang``."""
    if format not in FORMATS:
        raise ValueError(f"unknown report format {format!r}; use one of: {', '.join(FORMATS)}")
    if lang is not None and i18n.base(lang) not in i18n.LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of: {', '.join(i18n.LANGUAGES)}")
    sections = report_sections(export, plugins, anonymise=anonymise, lang=lang)
    language = lang or (export.get("session") or {}).get("language") or \
        (export.get("agenda") or {}).get("language") or "en"
    if format == "docx":
        from .docx import to_docx

        return to_docx(sections, sanitise=safe_svg, lang=i18n.base(language) or "en")
    title = sections[0].blocks[0].text if sections and sections[0].blocks else "Workshop report"
    return to_html(title, sections, lang=language) if format == "html" else to_markdown(sections)


def report_blocks(export: Mapping[str, Any], plugins, *, anonymise: bool = True,
                  lang: str | None = None) -> list[Block]:
    """The whole report as one list of blocks (level 1 is the title, level 2 starts a
    section)."""
    return [b for s in report_sections(export, plugins, anonymise=anonymise, lang=lang) for b in s.blocks]


# --- HTML ------------------------------------------------------------------------

def _h(value: Any) -> str:
    return html.escape(clean("" if value is None else value), quote=True)


def _h_lines(value: Any) -> str:
    return "<br>".join(_h(line) for line in clean("" if value is None else value).split("\n"))


CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
       max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.8em; margin: 0 0 0.2em; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 2em; }
#summary { border-bottom: 3px double #0072B2; padding-bottom: 1em; }
#summary h3 { margin: 0.9em 0 0.2em; font-size: 1.05em; color: #004f7c; }
#summary p, #summary ul { margin: 0.2em 0; }
#summary .meta { color: #444; }
#summary p.consent { color: #555; font-size: 0.9em; margin-top: 0.8em; }
table { border-collapse: collapse; margin: 0.8em 0; width: 100%; }
th, td { border: 1px solid #bbb; padding: 4px 8px; text-align: left; vertical-align: top;
         overflow-wrap: anywhere; }
th { background: #eef4f9; }
caption { caption-side: bottom; text-align: left; color: #555; font-size: 0.9em; padding-top: 4px; }
figure { margin: 1em 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
blockquote { border-left: 4px solid #009E73; margin: 0.6em 0; padding: 2px 12px; }
.role { color: #555; font-size: 0.9em; }
@page { size: A4; margin: 14mm 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  #summary { font-size: 9.5pt; line-height: 1.35; border: 0; break-after: page; }
  #summary h1 { font-size: 17pt; }
  #summary h3 { margin: 0.55em 0 0.1em; font-size: 10.5pt; }
  #summary table { margin: 0.3em 0; }
  #summary th, #summary td { padding: 2px 6px; }
  #summary blockquote { margin: 0.25em 0; padding: 0 10px; }
  #appendix { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  figure, tr, blockquote, li { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def to_html(title: str, sections: Sequence[Section], *, lang: str = "en") -> str:
    body: list[str] = []
    for section in sections:
        ident = "summary" if section.kind == "summary" else "appendix" if section.kind == "appendix" \
            else f"activity-{section.id}"
        body.append(f'<section id="{_h(_ident(ident))}" class="{section.kind}">')
        blocks = list(section.blocks)
        if section.kind == "summary" and blocks and isinstance(blocks[0], Heading):
            body.append(f"<h1>{_h(blocks[0].text)}</h1>")
            blocks = blocks[1:]
            if blocks and isinstance(blocks[0], Paragraph):
                body.append(f'<p class="meta">{_h_lines(blocks[0].text)}</p>')
                blocks = blocks[1:]
        for n, block in enumerate(blocks):
            if section.kind == "summary" and n == len(blocks) - 1 and isinstance(block, Paragraph):
                body.append(f'<p class="consent">{_h_lines(block.text)}</p>')
            elif isinstance(block, Heading) and block.level <= 2:
                body.append(f"<h2>{_h(block.text)}</h2>")
            else:
                body.append(_block_html(block))
        body.append("</section>")
    code = i18n.base(lang) or "en"
    return ("<!DOCTYPE html>\n" f'<html lang="{_h(code)}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_h(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def _ident(value: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", value)


def _block_html(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(int(block.level), 3), 6)
        return f"<h{level}>{_h(block.text)}</h{level}>"
    if isinstance(block, Paragraph):
        return f"<p>{_h_lines(block.text)}</p>"
    if isinstance(block, Table):
        head = "".join(f'<th scope="col">{_h(c)}</th>' for c in block.columns)
        rows = "".join("<tr>" + "".join(f"<td>{_h_lines(_cell(v))}</td>" for v in row) + "</tr>"
                       for row in block.rows)
        caption = f"<caption>{_h(block.caption)}</caption>" if block.caption else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
    if isinstance(block, Chart):
        svg = safe_svg(block.svg)
        drawing = svg if svg else f"<p>{_h(block.alt)}</p>"
        caption = f"<figcaption>{_h(block.caption)}</figcaption>" if block.caption else ""
        return f'<figure aria-label="{_h(block.alt)}">{drawing}{caption}</figure>'
    if isinstance(block, BulletList):
        return "<ul>" + "".join(f"<li>{_h_lines(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Quote):
        role = f' <span class="role">— {_h(block.role)}</span>' if block.role else ""
        return f"<blockquote><p>{_h_lines(block.text)}{role}</p></blockquote>"
    return f"<p>{_h(_fallback(block))}</p>"


def _cell(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _fallback(block: Block) -> str:
    try:
        return json.dumps(block.to_json(), ensure_ascii=False, default=str)
    except Exception:
        return type(block).__name__


_SVG_NS = "{http://www.w3.org/2000/svg}"
_SVG_ELEMENTS = {"svg", "g", "defs", "pattern", "rect", "circle", "ellipse", "line", "polyline",
                 "polygon", "path", "text", "tspan", "title", "desc", "linearGradient",
                 "radialGradient", "stop", "clipPath", "marker"}
_SVG_ATTRS = {"id", "class", "role", "aria-labelledby", "aria-label", "aria-hidden", "viewBox",
              "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "d",
              "points", "transform", "fill", "fill-opacity", "stroke", "stroke-width",
              "stroke-dasharray", "stroke-opacity", "stroke-linecap", "stroke-linejoin", "opacity",
              "font-family", "font-size", "font-weight", "font-style", "text-anchor",
              "dominant-baseline", "patternUnits", "patternTransform", "paint-order", "offset",
              "stop-color", "stop-opacity", "gradientUnits", "markerWidth", "markerHeight", "refX",
              "refY", "orient", "clip-path", "preserveAspectRatio", "dx", "dy", "letter-spacing",
              "visibility"}
_URL = re.compile(r"url\(\s*([^)]*)\)", re.I)


def safe_svg(svg: str) -> str | None:
    """The SVG rebuilt from harmless elements and attributes only (no scripts, event
    handlers, links, styles or anything that loads), or ``None`` if it does not parse."""
    try:
        root = ET.fromstring(svg)
    except (ET.ParseError, TypeError, ValueError):
        return None
    if root.tag != _SVG_NS + "svg":
        return None
    return _svg_element(root, root=True)


def _svg_element(el: ET.Element, root: bool = False) -> str:
    if not isinstance(el.tag, str) or not el.tag.startswith(_SVG_NS):
        return ""
    tag = el.tag[len(_SVG_NS):]
    if tag not in _SVG_ELEMENTS:
        return ""
    attrs = ' xmlns="http://www.w3.org/2000/svg"' if root else ""
    for name, value in el.attrib.items():
        if name not in _SVG_ATTRS or not _safe_value(value):
            continue
        attrs += f' {name}="{_h(value)}"'
    inner = _h(el.text or "")
    for child in el:
        inner += _svg_element(child) + _h(child.tail or "")
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _safe_value(value: str) -> bool:
    lowered = value.lower()
    if "javascript:" in lowered or "expression(" in lowered or "@import" in lowered:
        return False
    return all(u.strip().strip("'\"").startswith("#") for u in _URL.findall(value))


# --- Markdown ----------------------------------------------------------------------

_MD_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
_MD_LINE_START = re.compile(r"^([#>=]|[-+](?=\s|$)|-(?=-)|\d+[.)](?=\s|$))")


# Runs of text a Markdown renderer would make a link of by itself (GFM's extended
# autolinks, markdown-it's linkify): a URL with a scheme, `www.`, an e-mail address, a
# bare domain. Inside them `.`, `:` and `@` are backslash-escaped: shown the same, but
# no renderer sees `www.`, `://` or `a@b.c` in one piece, so no link is made.
_MD_LINKY = re.compile(r"\S*(?:://|@|www\.|[A-Za-z0-9-]\.[A-Za-z]{2,})\S*", re.IGNORECASE)
_MD_LINK_PARTS = re.compile(r"([.:@])")


def md_text(value: Any) -> str:
    """One line of text that Markdown shows literally (no markup, links or HTML)."""
    line = clean("" if value is None else value).replace("\t", " ").strip()
    line = _MD_INLINE.sub(r"\\\1", line)
    line = _MD_LINKY.sub(lambda m: _MD_LINK_PARTS.sub(r"\\\1", m.group(0)), line)
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1)[0] in "#>+=-"
                              else m.group(1)[:-1] + "\\" + m.group(1)[-1], line)


def md_lines(value: Any, joiner: str = "\\\n") -> str:
    """Several lines, each escaped; joined with hard line breaks by default."""
    lines = [md_text(line) for line in clean("" if value is None else value).split("\n")]
    return joiner.join(line for line in lines if line) or ""


def to_markdown(sections: Sequence[Section] | Sequence[Block]) -> str:
    blocks = [b for s in sections for b in s.blocks] if sections and isinstance(sections[0], Section) \
        else list(sections)
    out = []
    for block in blocks:
        out.append(_block_md(block))
    return "\n\n".join(part for part in out if part) + "\n"


def _block_md(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(int(block.level), 1), 6)
        return "#" * level + " " + md_text(" ".join(clean(block.text).split()))
    if isinstance(block, Paragraph):
        return md_lines(block.text)
    if isinstance(block, Table):
        if not block.columns:
            return ""
        cell = lambda v: md_lines(_cell(v), joiner=" / ") or " "  # noqa: E731
        lines = ["| " + " | ".join(cell(c) for c in block.columns) + " |",
                 "|" + "|".join(" --- " for _ in block.columns) + "|"]
        for row in block.rows:
            values = list(row) + [""] * (len(block.columns) - len(row))
            lines.append("| " + " | ".join(cell(v) for v in values[: len(block.columns)]) + " |")
        if block.caption:
            lines += ["", "*" + md_text(block.caption) + "*"]
        return "\n".join(lines)
    if isinstance(block, Chart):
        text = "*Chart: " + md_text(block.alt) + "*"
        return text + ("\n\n" + md_text(block.caption) if block.caption else "")
    if isinstance(block, BulletList):
        return "\n".join("- " + (md_lines(i, joiner=" / ") or " ") for i in block.items)
    if isinstance(block, Quote):
        text = "\\\n".join("> " + (md_text(line) or "") for line in clean(block.text).split("\n"))
        return text + (f"\n>\n> — {md_text(block.role)}" if block.role else "")
    return md_text(_fallback(block))

