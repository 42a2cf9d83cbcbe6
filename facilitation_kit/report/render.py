"""The workshop report: one printable HTML file, or Markdown, from the JSON export.

The report holds the title and date, the agenda, how many participants came in each
role, then per activity its prompt, the plugin's result blocks (charts included) and
every contribution that was not hidden, and last what ``extra_report_sections`` hooks
add. Contributions are anonymised by default: they show the contributor's role, never
a name; ``anonymise=False`` adds the names participants chose to give.

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

from ..core.blocks import Block, BulletList, Chart, Heading, Paragraph, Quote, Table
from .charts import clean
from ..core.forms import ChoiceField, Field, Form, MatrixField, VoteField
from ..core.activity import ActivityInfo
from ..core.roles import role_groups
from ..core.themes import theme_summary
from .results import NO_ROLE, _call, PluginCallError, contributions_for, session_results

__all__ = ["render_report", "report_blocks", "to_html", "to_markdown"]

STATE_WORDS = {"pending": "not started", "open": "open", "closed": "closed"}


def render_report(export: Mapping[str, Any], plugins, *, format: str = "html",
                  anonymise: bool = True) -> str:
    """The report of an export as ``"html"`` (one self-contained file) or ``"md"``."""
    if format not in ("html", "md"):
        raise ValueError(f"unknown report format {format!r}; use 'html' or 'md'")
    title = _title(export)
    blocks = report_blocks(export, plugins, anonymise=anonymise)
    return to_html(title, blocks) if format == "html" else to_markdown(blocks)


def _title(export: Mapping[str, Any]) -> str:
    return ((export.get("session") or {}).get("title") or (export.get("agenda") or {}).get("title")
            or "Workshop report")


def report_blocks(export: Mapping[str, Any], plugins, *, anonymise: bool = True) -> list[Block]:
    """The whole report as blocks: level 1 is the title, level 2 starts a section."""
    session = export.get("session") or {}
    agenda = export.get("agenda") or {}
    results = session_results(export, plugins)
    participants = export.get("participants") or []
    names = {p.get("id"): p.get("name") for p in participants}

    date = str(session.get("created_at") or export.get("exported_at") or "")[:10]
    blocks: list[Block] = [Heading(_title(export), level=1)]
    facts = [f"Date: {date}" if date else "", f"Room: {session['room']}" if session.get("room") else "",
             f"Exported: {export['exported_at']}" if export.get("exported_at") else ""]
    blocks.append(Paragraph(" · ".join(f for f in facts if f)))
    if agenda.get("description"):
        blocks.append(Paragraph(agenda["description"]))

    blocks.append(Heading("Agenda", level=2))
    blocks.append(Table(["#", "Activity", "Type", "Timebox", "State", "Contributions"], [
        [n, spec.get("title") or spec["id"], _type_title(plugins, spec.get("plugin")),
         _minutes(spec.get("timebox")), STATE_WORDS.get(results[spec["id"]]["state"], results[spec["id"]]["state"]),
         len(contributions_for(export, spec["id"]))]
        for n, spec in enumerate(agenda.get("activities") or [], start=1)]))

    blocks.append(Heading("Participants", level=2))
    # role groups smaller than min_group are counted together (core.roles.role_groups)
    everyone = ActivityInfo(id="", plugin="", title="", prompt="", options={},
                            roles=tuple(session.get("roles") or agenda.get("roles") or ()),
                            min_group=int(agenda.get("min_group") or 3))
    groups = role_groups(everyone, [{"participant": p.get("id"), "role": p.get("role")} for p in participants])
    blocks.append(Paragraph(f"{len(participants)} participants took part."))
    blocks.append(Table(["Role", "Participants"], [[r, groups.sizes[r]] for r in groups.order]))

    for spec in agenda.get("activities") or []:
        blocks += _activity_section(export, plugins, spec, results[spec["id"]], names, anonymise)

    extra = _extra_sections(plugins, {k: v.get("summary") for k, v in results.items() if "summary" in v})
    if extra:
        blocks.append(Heading("More", level=2))
        blocks += extra
    return blocks


def _type_title(plugins, name: str | None) -> str:
    registered = plugins.activity_type(name) if name else None
    return (registered.activity_type.title if registered else "") or str(name)


def _minutes(seconds: Any) -> str:
    if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds <= 0:
        return "–"
    m, s = divmod(seconds, 60)
    return f"{m} min" + (f" {s} s" if s else "") if m else f"{s} s"


def _activity_section(export, plugins, spec, entry, names, anonymise) -> list[Block]:
    blocks: list[Block] = [Heading(entry["title"], level=2)]
    if spec.get("prompt"):
        blocks.append(Paragraph(spec["prompt"]))
    blocks.append(Paragraph(f"{_type_title(plugins, spec.get('plugin'))} · "
                            f"{STATE_WORDS.get(entry['state'], entry['state'])}"))
    if "error" in entry:
        blocks.append(Paragraph(f"The results of this activity could not be computed: {entry['error']}"))
    elif not entry["visible"]:
        blocks.append(Paragraph("The results stay hidden until this activity is closed."))
        return blocks
    else:
        blocks += [_clamp(b) for b in entry["blocks"]]
    blocks += _themes_section(export, spec["id"])
    if entry.get("skipped"):
        blocks.append(Paragraph(f"{entry['skipped']} contributions no longer fit this activity's form "
                                "and are left out of the results."))
    contributions = contributions_for(export, spec["id"])
    if not contributions:
        return blocks
    form = None
    registered = plugins.activity_type(spec.get("plugin"))
    if registered is not None and "info" in entry:
        try:
            form = _call(registered.activity_type.form, entry["info"])
        except PluginCallError:
            form = None
    fields = list(form.fields) if isinstance(form, Form) else []
    columns = ["Role"] + ([] if anonymise else ["Name"])
    columns += [f.label for f in fields] if fields else ["Contribution"]
    rows = []
    groups = role_groups(entry["info"], contributions) if "info" in entry else None
    for c in contributions:
        role = (groups.of(c) if groups is not None else c.get("role") or NO_ROLE) or "–"
        row = [role] + ([] if anonymise else [names.get(c.get("participant")) or "(no name)"])
        data = c.get("data") if isinstance(c.get("data"), dict) else {}
        if fields:
            row += [_value(f, data.get(f.name)) for f in fields]
        else:
            row.append(json.dumps(c.get("data"), ensure_ascii=False, sort_keys=True))
        rows.append(row)
    blocks.append(Heading("Contributions", level=3))
    blocks.append(Table(columns, rows))
    return blocks


def _themes_section(export, activity_id: str) -> list[Block]:
    """The activity's confirmed themes (docs/themes.md): count by role, after the
    ``min_group`` rule, and the most representative quote."""
    session, agenda = export.get("session") or {}, export.get("agenda") or {}
    themes = theme_summary(export, activity_id, tuple(session.get("roles") or agenda.get("roles") or ()),
                           int(agenda.get("min_group") or 3))
    if not themes:
        return []
    rows = [[t["label"], t["count"], ", ".join(f"{r}: {n}" for r, n in t["by_role"].items()) or "–", t["quote"]]
            for t in themes]
    return [Heading("Themes", level=3), Table(["Theme", "Contributions", "By role", "Most representative quote"], rows)]


def _clamp(block: Block) -> Block:
    """Plugin headings sit under the activity's heading (levels 3 to 6)."""
    if isinstance(block, Heading):
        return Heading(block.text, level=min(max(int(block.level), 3), 6))
    return block


def _value(f: Field, value: Any) -> str:
    """A submitted value as words, using the form's labels."""
    if value is None:
        return ""
    if isinstance(f, ChoiceField):
        labels = dict(f.options)
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, str(v)) for v in values)
    if isinstance(f, VoteField) and isinstance(value, dict):
        labels = dict(f.items)
        return "; ".join(f"{labels.get(k, k)}: {v}" for k, v in value.items() if v)
    if isinstance(f, MatrixField) and isinstance(value, dict):
        rows, cols = dict(f.rows), dict(f.columns)
        return "; ".join(f"{rows.get(k, k)}: {cols.get(v, v)}" for k, v in value.items())
    return str(value)


def _extra_sections(plugins, summaries: dict[str, Any]) -> list[Block]:
    """What ``extra_report_sections`` hooks return, each implementation contained."""
    out: list[Block] = []
    hook = plugins.pm.hook.extra_report_sections
    for impl in reversed(hook.get_hookimpls()):
        kwargs = {k: v for k, v in (("workshop", None), ("results", summaries)) if k in impl.argnames}
        try:
            value = _call(lambda: impl.function(**kwargs))
            if value is None:
                continue
            if not isinstance(value, (list, tuple)) or not all(isinstance(b, Block) for b in value):
                raise PluginCallError("extra_report_sections must return a list of report blocks")
        except PluginCallError as exc:
            out.append(Paragraph(f"The plugin {impl.plugin_name} could not add its section: {exc}"))
            continue
        out += [_clamp(b) for b in value]
    return out


# --- HTML ------------------------------------------------------------------------

def _h(value: Any) -> str:
    return html.escape(clean("" if value is None else value), quote=True)


def _h_lines(value: Any) -> str:
    return "<br>".join(_h(line) for line in clean("" if value is None else value).split("\n"))


CSS = """
:root { color-scheme: light; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a;
       max-width: 980px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 4px; margin-top: 2em; }
.meta { color: #555; }
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
@page { margin: 16mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  h2 { break-before: page; }
  h2.first { break-before: auto; }
  h2, h3, h4 { break-after: avoid; }
  figure, tr { break-inside: avoid; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def to_html(title: str, blocks: Sequence[Block]) -> str:
    body: list[str] = []
    section = header = False
    first = True
    for block in blocks:
        if header:
            header = False
            if isinstance(block, Paragraph):
                body.append(f'<p class="meta">{_h_lines(block.text)}</p></header>')
                continue
            body.append("</header>")
        if isinstance(block, Heading) and block.level <= 2:
            if section:
                body.append("</section>")
            if block.level == 1:
                section, header = False, True
                body.append(f"<header><h1>{_h(block.text)}</h1>")
            else:
                section = True
                css = ' class="first"' if first else ""
                body.append(f"<section><h2{css}>{_h(block.text)}</h2>")
                first = False
            continue
        body.append(_block_html(block))
    body.append("</header>" if header else "</section>" if section else "")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{_h(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


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


def md_text(value: Any) -> str:
    """One line of text that Markdown shows literally (no markup, links or HTML)."""
    line = clean("" if value is None else value).replace("\t", " ").strip()
    line = _MD_INLINE.sub(r"\\\1", line)
    return _MD_LINE_START.sub(lambda m: "\\" + m.group(1) if m.group(1)[0] in "#>+=-"
                              else m.group(1)[:-1] + "\\" + m.group(1)[-1], line)


def md_lines(value: Any, joiner: str = "\\\n") -> str:
    """Several lines, each escaped; joined with hard line breaks by default."""
    lines = [md_text(line) for line in clean("" if value is None else value).split("\n")]
    return joiner.join(line for line in lines if line) or ""


def to_markdown(blocks: Sequence[Block]) -> str:
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

