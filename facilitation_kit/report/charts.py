"""Small SVG charts for reports, in pure Python.

Every builder returns one ``<svg>`` string with ``role="img"`` and a ``<title>``. Every
label that reaches the drawing goes through :func:`esc`, so participant text can never
become markup, and nothing is loaded from anywhere: fonts are the reader's own and
fills are inline patterns. Colour is never the only cue: each series (usually a role)
has its own colour *and* its own pattern or marker shape, and the legend names it.

- :func:`stacked_bars`: horizontal bars, stacked by series (e.g. dots coloured by role).
- :func:`importance_support_map`: the value-mapping map with the "important but badly
  supported" corner shaded.
- :func:`dumbbell`: today vs desired per row (the ethical compass), grouped if wanted.
- :func:`word_cloud`: the frequent words of open answers, sized by count (the screen).
- :func:`scale_averages`: averages per item on a rating scale, one marker per series
  (usually a role) on a scale axis labelled at every point (rate_items, journey).

Every builder takes ``lang`` (a keyword, English by default): the words a chart writes
itself ("No data yet.", the description's "today"/"desired", "Scale 1 to 5.") come from
the report's catalogue in that language. Plugins pass ``activity.lang``; the labels and
titles they pass in are theirs to translate.
"""

from __future__ import annotations

import hashlib
import math
import re
import textwrap
import unicodedata
from typing import Mapping, Sequence
from html import escape as _html_escape

from ..core.i18n import Catalogue

__all__ = ["esc", "clean", "wrap_label", "text_lines", "stacked_bars", "importance_support_map", "dumbbell",
           "word_cloud", "scale_averages", "wrap_text", "PALETTE",
           "PATTERNS", "SHAPES"]

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
           "#000000")
PATTERNS = ("solid", "stripes", "dots", "crosshatch", "horizontal", "vertical", "checks",
            "diagonal")
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "star", "hexagon", "pentagon")

FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\""
#: The charts' own words (the report's catalogue: ``chart.*``).
_T = Catalogue("facilitation_kit.report")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: object) -> str:
    """Text without control characters (C0/C1 except newline and tab), bidi overrides
    and lone surrogates: what is left is safe to print anywhere once escaped."""
    value = str(text)
    value = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    return _CONTROLS.sub("", unicodedata.normalize("NFC", value))


def esc(text: object) -> str:
    """Escape text for XML content and double-quoted attributes."""
    # html.escape, not xml.sax.saxutils (which imports urllib, http and email: 20 ms of
    # every start of the host); the same text as saxutils.escape with these two entities
    return _html_escape(clean(text), quote=False).replace('"', "&quot;").replace("'", "&#39;")


def _short(text: str, limit: int) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def wrap_label(text: object, width: int) -> list[str]:
    """A label as lines of at most ``width`` characters, broken between words (a word
    longer than a line is split): every character stays, nothing is cut off."""
    text = " ".join(clean(text).split())
    return textwrap.wrap(text, width=max(4, width), break_long_words=True, break_on_hyphens=True) or [""]


def text_lines(x: float, y: float, lines: Sequence[str], *, line_height: float = 14,
               attrs: str = "", tooltip: str | None = None) -> str:
    """One ``<text>`` with a ``<tspan>`` per line, the first baseline at ``y``."""
    tip = f"<title>{esc(tooltip)}</title>" if tooltip else ""
    spans = "".join(f'<tspan x="{x:g}" dy="{0 if i == 0 else line_height:g}">{esc(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text x="{x:g}" y="{y:g}"{(" " + attrs) if attrs else ""}>{tip}{spans}</text>'


def _title_lines(title: str, pad: float, width: float) -> tuple[str, float]:
    """The chart's title, wrapped to the drawing's width; returns (svg, extra height)."""
    lines = wrap_label(title, max(20, int((width - 2 * pad) / 8)))
    return (text_lines(pad, 20, lines, line_height=18, attrs='font-size="14" font-weight="bold"'),
            18 * (len(lines) - 1))


def _uid(*parts: object) -> str:
    """A stable id prefix, so that two charts in one page do not share pattern ids."""
    return "fk" + hashlib.sha1(repr(parts).encode("utf-8", "replace")).hexdigest()[:10]


def _num(value: float) -> str:
    return f"{value:g}" if isinstance(value, int) or float(value).is_integer() else f"{value:.2f}".rstrip("0")


def _open(width: float, height: float, title: str, desc: str, uid: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width:g} {height:g}" '
        f'width="{width:g}" height="{height:g}" aria-labelledby="{uid}-t {uid}-d" {FONT} '
        f'font-size="12" class="fk-chart">',
        f'<title id="{uid}-t">{esc(title)}</title>',
        f'<desc id="{uid}-d">{esc(desc)}</desc>',
    ]


def _pattern_defs(uid: str, count: int) -> str:
    out = ["<defs>"]
    for i in range(count):
        colour, kind = PALETTE[i % len(PALETTE)], PATTERNS[i % len(PATTERNS)]
        ink = "#ffffff" if colour not in ("#F0E442", "#E69F00", "#56B4E9") else "#000000"
        out.append(f'<pattern id="{uid}-p{i}" patternUnits="userSpaceOnUse" width="8" height="8">'
                   f'<rect width="8" height="8" fill="{colour}"/>')
        out.append({
            "solid": "",
            "stripes": f'<path d="M-2,2 l4,-4 M0,8 l8,-8 M6,10 l4,-4" stroke="{ink}" stroke-width="1.5"/>',
            "dots": f'<circle cx="4" cy="4" r="1.6" fill="{ink}"/>',
            "crosshatch": f'<path d="M0,0 L8,8 M8,0 L0,8" stroke="{ink}" stroke-width="1"/>',
            "horizontal": f'<path d="M0,4 H8" stroke="{ink}" stroke-width="1.5"/>',
            "vertical": f'<path d="M4,0 V8" stroke="{ink}" stroke-width="1.5"/>',
            "checks": f'<rect width="4" height="4" fill="{ink}" opacity="0.6"/>'
                      f'<rect x="4" y="4" width="4" height="4" fill="{ink}" opacity="0.6"/>',
            "diagonal": f'<path d="M0,0 l8,8 M-2,6 l4,4 M6,-2 l4,4" stroke="{ink}" stroke-width="1.5"/>',
        }[kind])
        out.append("</pattern>")
    out.append("</defs>")
    return "".join(out)


def _legend(uid: str, series: Sequence[str], x: float, y: float, width: float,
            swatch: str = "pattern") -> tuple[list[str], float]:
    """Legend entries laid out left to right, wrapping; returns (svg parts, height)."""
    parts, cx, cy = [], x, y
    for i, name in enumerate(series):
        label = " ".join(clean(name).split())
        w = 22 + 7 * len(label) + 16
        if cx + w > x + width and cx > x:
            cx, cy = x, cy + 20
        if swatch == "pattern":
            parts.append(f'<rect x="{cx:g}" y="{cy:g}" width="14" height="14" fill="url(#{uid}-p{i})" '
                         f'stroke="#333" stroke-width="0.5"/>')
        else:
            parts.append(_marker(i, cx + 7, cy + 7, 6))
        parts.append(f'<text x="{cx + 20:g}" y="{cy + 11:g}">{esc(label)}</text>')
        cx += w
    return parts, (cy - y + 20) if series else 0


def stacked_bars(title: str, rows: Sequence[tuple[str, Mapping[str, float]]],
                 series: Sequence[str], *, unit: str = "", width: int = 640, lang: str = "en") -> str:
    """Horizontal bars, one per row, each stacked by series.

    ``rows`` are ``(label, {series name: value})``; ``series`` fixes the order (and so
    the colour and pattern) of the stack segments and the legend. The total is written
    at the end of each bar; each segment carries a tooltip ``label — series: value``.
    """
    uid = _uid("bars", title, rows and [(r[0], sorted(r[1].items())) for r in rows], tuple(series))
    label_w, pad, bar_h, gap, line_h = 210, 12, 20, 8, 14
    plot_w = width - label_w - pad * 2 - 50
    totals = [sum(v for v in values.values()) for _, values in rows]
    top = max(totals, default=0) or 1
    heading, extra = _title_lines(title, pad, width)
    legend, legend_h = _legend(uid, series, pad, 34 + extra, width - 2 * pad)
    y0 = 34 + extra + legend_h + 8
    labels = [wrap_label(label, 30) for label, _ in rows]
    heights = [max(bar_h, line_h * len(lines) + 6) for lines in labels]
    height = y0 + sum(h + gap for h in heights) + pad + (20 if not rows else 0)
    desc = "; ".join(f"{label}: {_num(t)}{(' ' + unit) if unit else ''}"
                     for (label, _), t in zip(rows, totals)) or _T.t(lang, "chart.no_data")
    out = _open(width, height, title, desc, uid)
    out.append(_pattern_defs(uid, len(series)))
    out.append(heading)
    out.extend(legend)
    if not rows:
        out.append(f'<text x="{pad}" y="{y0 + 14:g}" fill="#555">{esc(_T.t(lang, "chart.no_data"))}</text>')
    y = y0
    for r, ((label, values), total) in enumerate(zip(rows, totals)):
        h = heights[r]
        bar_y = y + (h - bar_h) / 2
        first = y + h / 2 - line_h * (len(labels[r]) - 1) / 2 + 4
        out.append(text_lines(label_w + pad - 6, first, labels[r], line_height=line_h,
                              attrs='text-anchor="end"', tooltip=label))
        x = label_w + pad
        for i, name in enumerate(series):
            value = values.get(name, 0)
            if not value:
                continue
            w = plot_w * value / top
            out.append(f'<rect x="{x:.1f}" y="{bar_y:g}" width="{w:.1f}" height="{bar_h}" '
                       f'fill="url(#{uid}-p{i})" stroke="#ffffff" stroke-width="0.8">'
                       f'<title>{esc(label)} — {esc(name)}: {_num(value)}</title></rect>')
            x += w
        out.append(f'<text x="{x + 6:.1f}" y="{bar_y + 14:g}" font-weight="bold">{_num(total)}</text>')
        y += h + gap
    out.append(f'<line x1="{label_w + pad}" y1="{y0 - 4:g}" x2="{label_w + pad}" '
               f'y2="{height - pad:g}" stroke="#333"/>')
    out.append("</svg>")
    return "".join(out)


def _marker(index: int, x: float, y: float, r: float, extra: str = "") -> str:
    colour, shape = PALETTE[index % len(PALETTE)], SHAPES[index % len(SHAPES)]
    style = f'fill="{colour}" stroke="#222" stroke-width="0.8" fill-opacity="0.85"{extra}'

    def poly(n, rot=-math.pi / 2, radius=r):
        pts = " ".join(f"{x + radius * math.cos(rot + 2 * math.pi * k / n):.1f},"
                       f"{y + radius * math.sin(rot + 2 * math.pi * k / n):.1f}" for k in range(n))
        return f'<polygon points="{pts}" {style}/>'

    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}/>'
    if shape == "square":
        return f'<rect x="{x - r * 0.85:.1f}" y="{y - r * 0.85:.1f}" width="{r * 1.7:.1f}" height="{r * 1.7:.1f}" {style}/>'
    if shape == "triangle":
        return poly(3, radius=r * 1.15)
    if shape == "diamond":
        return poly(4, radius=r * 1.1)
    if shape == "cross":
        a, b = r, r * 0.4
        pts = [(-b, -a), (b, -a), (b, -b), (a, -b), (a, b), (b, b), (b, a), (-b, a), (-b, b), (-a, b), (-a, -b), (-b, -b)]
        return '<polygon points="' + " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in pts) + f'" {style}/>'
    if shape == "star":
        pts = []
        for k in range(10):
            rad = r * 1.2 if k % 2 == 0 else r * 0.55
            ang = -math.pi / 2 + math.pi * k / 5
            pts.append(f"{x + rad * math.cos(ang):.1f},{y + rad * math.sin(ang):.1f}")
        return f'<polygon points="{" ".join(pts)}" {style}/>'
    return poly(6 if shape == "hexagon" else 5)


def importance_support_map(title: str, points: Sequence[tuple[int, int, str, int]],
                           series: Sequence[str], *, low: int = 1, high: int = 5,
                           important_at_least: int = 4, supported_at_most: int = 2,
                           width: int = 520, lang: str = "en") -> str:
    """The importance/support map of value mapping.

    ``points`` are ``(importance, support, series name, count)``: how many cards of
    that series got that pair of ratings. Support runs left to right, importance bottom
    to top; the corner ``importance >= important_at_least`` and ``support <=
    supported_at_most`` ("important but badly supported") is shaded and labelled.
    Each series has its own colour and marker shape; the number in a marker is the count.
    """
    uid = _uid("map", title, tuple(points), tuple(series))
    pad, left, cell = 14, 70, 64
    n = high - low + 1
    plot = cell * n
    heading, extra = _title_lines(title, pad, width)
    legend, legend_h = _legend(uid, series, pad, 34 + extra, width - 2 * pad, swatch="marker")
    top = 34 + extra + legend_h + 26  # room above the grid for the corner's label
    height = top + plot + 56
    total = sum(c for *_, c in points)
    flagged = sum(c for imp, sup, _, c in points if imp >= important_at_least and sup <= supported_at_most)
    desc = _T.t(lang, "chart.map_desc", total=total, flagged=flagged, important=important_at_least,
                supported=supported_at_most)
    out = _open(width, height, title, desc, uid)
    out.append(heading)
    out.extend(legend)

    def px(support: float) -> float:
        return left + (support - low + 0.5) * cell

    def py(importance: float) -> float:
        return top + (high - importance + 0.5) * cell

    qx0, qx1 = px(low - 0.5), px(supported_at_most + 0.5)
    qy0, qy1 = py(high + 0.5), py(important_at_least - 0.5)
    out.append(f'<rect x="{qx0:g}" y="{qy0:g}" width="{qx1 - qx0:g}" height="{qy1 - qy0:g}" '
               f'fill="#D55E00" fill-opacity="0.14" stroke="#D55E00" stroke-dasharray="6 3"/>')
    # the corner's label sits above the grid: no marker can cover it
    out.append(f'<text x="{qx0:g}" y="{qy0 - 6:g}" font-size="10" fill="#8a3200" font-weight="bold">'
               f'▼ {esc(_T.t(lang, "chart.map_corner"))}</text>')
    for k in range(n + 1):
        gx, gy = left + k * cell, top + k * cell
        out.append(f'<line x1="{gx}" y1="{top}" x2="{gx}" y2="{top + plot}" stroke="#ddd"/>')
        out.append(f'<line x1="{left}" y1="{gy}" x2="{left + plot}" y2="{gy}" stroke="#ddd"/>')
    for v in range(low, high + 1):
        out.append(f'<text x="{px(v):g}" y="{top + plot + 16}" text-anchor="middle">{v}</text>')
        out.append(f'<text x="{left - 8}" y="{py(v) + 4:g}" text-anchor="end">{v}</text>')
    out.append(f'<text x="{left + plot / 2:g}" y="{top + plot + 36}" text-anchor="middle">'
               f'{esc(_T.t(lang, "chart.map_x"))} →</text>')
    out.append(f'<text transform="translate({pad + 8},{top + plot / 2:g}) rotate(-90)" '
               f'text-anchor="middle">{esc(_T.t(lang, "chart.map_y"))} →</text>')
    slots = max(len(series), 1)
    for imp, sup, name, count in points:
        i = series.index(name) if name in series else 0
        angle = 2 * math.pi * i / slots
        spread = 16 if slots > 1 else 0
        x, y = px(sup) + spread * math.cos(angle), py(imp) + spread * math.sin(angle)
        r = min(6 + 2.5 * math.sqrt(count), 14)
        tip = _T.t(lang, "chart.map_point", name=name, count=count, importance=imp, support=sup)
        out.append(f'<g><title>{esc(tip)}</title>{_marker(i, x, y, r)}'
                   f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="10" '
                   f'font-weight="bold" fill="#fff" stroke="#000" stroke-width="2" paint-order="stroke">'
                   f'{count}</text></g>')
    out.append("</svg>")
    return "".join(out)


def dumbbell(title: str, rows: Sequence[tuple[str, str, float | None, float | None]], *,
             low: float = 1, high: float = 5, low_label: str = "", high_label: str = "",
             today_label: str | None = None, desired_label: str | None = None, width: int = 640,
             middle: bool = True, lang: str = "en") -> str:
    """Today vs desired, one line per row: a hollow circle for today, a filled square
    for desired, joined by a line. ``rows`` are ``(group, label, today, desired)``; a
    new ``group`` starts with a bold heading line (use ``""`` for no groups). The legend's
    ``today_label`` and ``desired_label`` default to "Today" and "Desired" in ``lang``."""
    today_label = _T.t(lang, "chart.today") if today_label is None else today_label
    desired_label = _T.t(lang, "chart.desired") if desired_label is None else desired_label

    def said(label: str, today: float | None, desired: float | None) -> str:
        missing = _T.t(lang, "chart.missing")
        return _T.t(lang, "chart.today_desired", label=label, today=_num(today) if today is not None else missing,
                    desired=_num(desired) if desired is not None else missing)

    uid = _uid("dumbbell", title, tuple(rows), low, high)
    pad, label_w, row_h, line_h = 14, 200, 22, 14
    plot_w = width - label_w - pad * 3
    grouped = any(g for g, *_ in rows)
    lines: list[tuple[str, object, list[str], float]] = []  # kind, value, label lines, height
    group = None
    for g, label, today, desired in rows:
        if g and g != group:
            wrapped = wrap_label(g, 28)
            lines.append(("group", g, wrapped, max(row_h, line_h * len(wrapped) + 8)))
        group = g
        wrapped = wrap_label(label, 26 if grouped else 28)
        lines.append(("row", (label, today, desired), wrapped, max(row_h, line_h * len(wrapped) + 8)))
    heading, extra = _title_lines(title, pad, width)
    top = 62 + extra
    body = sum(h for *_, h in lines)
    half = max(10, int(plot_w / 2 / 6.2))
    low_lines, high_lines = wrap_label(low_label, half), wrap_label(high_label, half)
    height = top + body + 44 + 13 * (max(len(low_lines), len(high_lines)) - 1)
    desc = "; ".join(f"{(g + ' — ') if g else ''}{said(label, t, d)}" for g, label, t, d in rows) \
        or _T.t(lang, "chart.no_data")
    out = _open(width, height, title, desc, uid)
    out.append(heading)
    out.append(f'<circle cx="{pad + 6}" cy="{38 + extra}" r="5" fill="#fff" stroke="#0072B2" stroke-width="2.5"/>'
               f'<text x="{pad + 16}" y="{42 + extra}">{esc(today_label)}</text>')
    lx = pad + 30 + 7 * len(today_label)
    out.append(f'<rect x="{lx}" y="{33 + extra}" width="10" height="10" fill="#D55E00"/>'
               f'<text x="{lx + 16}" y="{42 + extra}">{esc(desired_label)}</text>')

    def px(v: float) -> float:
        return label_w + pad + (v - low) / ((high - low) or 1) * plot_w

    mid = (low + high) / 2
    bottom = top + body
    if middle:  # a middle line only where the middle means something (not the compass v2)
        out.append(f'<line x1="{px(mid):.1f}" y1="{top - 6}" x2="{px(mid):.1f}" y2="{bottom}" '
                   f'stroke="#999" stroke-dasharray="4 3"/>')
    for v in range(math.ceil(low), math.floor(high) + 1):
        out.append(f'<line x1="{px(v):.1f}" y1="{top - 6}" x2="{px(v):.1f}" y2="{bottom}" stroke="#eee"/>')
        out.append(f'<text x="{px(v):.1f}" y="{bottom + 14}" text-anchor="middle">{v}</text>')
    axis_y = bottom + 32
    out.append(text_lines(px(low), axis_y, ["← " + low_lines[0]] + low_lines[1:], line_height=13,
                          attrs='font-size="11"'))
    out.append(text_lines(px(high), axis_y, high_lines[:-1] + [high_lines[-1] + " →"], line_height=13,
                          attrs='font-size="11" text-anchor="end"'))
    y_top = top
    for kind, value, wrapped, h in lines:
        y = y_top + h / 2
        first = y - line_h * (len(wrapped) - 1) / 2 + 4
        y_top += h
        if kind == "group":
            out.append(text_lines(pad, first, wrapped, line_height=line_h, attrs='font-weight="bold"'))
            continue
        label, today, desired = value
        indent = pad + (12 if grouped else 0)
        out.append(text_lines(indent, first, wrapped, line_height=line_h, tooltip=label))
        tip = said(label, today, desired)
        out.append(f"<g><title>{esc(tip)}</title>")
        if today is not None and desired is not None:
            out.append(f'<line x1="{px(today):.1f}" y1="{y:g}" x2="{px(desired):.1f}" y2="{y:g}" '
                       f'stroke="#555" stroke-width="2"/>')
        if today is not None:
            out.append(f'<circle cx="{px(today):.1f}" cy="{y:g}" r="5" fill="#fff" stroke="#0072B2" stroke-width="2.5"/>')
        if desired is not None:
            out.append(f'<rect x="{px(desired) - 5:.1f}" y="{y - 5:g}" width="10" height="10" fill="#D55E00"/>')
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def word_cloud(title: str, words: Sequence[tuple[str, int]], *, width: int = 960,
               height: int = 520, lang: str = "en") -> str:
    """A word cloud: the words of ``(word, count)`` (e.g. from
    :func:`facilitation_kit.report.words.word_counts`) laid out in centred rows, the
    most frequent first and largest. Size and weight carry the frequency (no colour
    needed); the description lists every word with its count. Words that do not fit are
    left out of the drawing (never out of the description)."""
    uid = _uid("cloud", title, tuple(words))
    desc = "; ".join(f"{clean(w)}: {n}" for w, n in words) or _T.t(lang, "chart.no_words")
    out = _open(width, height, title, desc, uid)
    if not words:
        out.append(f'<text x="{width / 2:g}" y="{height / 2:g}" text-anchor="middle" font-size="28" '
                   f'fill="#444">{esc(_T.t(lang, "chart.no_words"))}</text></svg>')
        return "".join(out)
    top, low = max(n for _, n in words), min(n for _, n in words)
    small, big = 30.0, 110.0
    rows: list[list[tuple[str, float, float]]] = [[]]
    row_w, pad = 0.0, 14.0
    for word, count in words:
        text = _short(word, 30)
        size = 56.0 if top == low else small + (big - small) * math.sqrt((count - low) / (top - low))
        w = 0.58 * size * len(text) + pad
        if row_w + w > width - 2 * pad and rows[-1]:
            rows.append([])
            row_w = 0.0
        rows[-1].append((text, size, w))
        row_w += w
    # the largest words in the middle rows: order rows by their biggest word, centre-out
    order = sorted(range(len(rows)), key=lambda i: -max(s for _, s, _ in rows[i]))
    arranged: list[int] = []
    for k, i in enumerate(order):
        if k % 2:
            arranged.insert(0, i)
        else:
            arranged.append(i)
    heights = [max(s for _, s, _ in rows[i]) * 1.25 for i in arranged]
    while sum(heights) > height - 2 * pad and len(arranged) > 1:  # drop the smallest rows
        k = min(range(len(arranged)), key=lambda j: heights[j])
        del arranged[k], heights[k]
    y = (height - sum(heights)) / 2
    for i, h in zip(arranged, heights):
        row = rows[i]
        x = (width - sum(w for _, _, w in row)) / 2
        for text, size, w in row:
            weight = "bold" if size >= (small + big) / 2 else "normal"
            out.append(f'<text x="{x + pad / 2:.1f}" y="{y + h * 0.8:.1f}" font-size="{size:.0f}" '
                       f'font-weight="{weight}" fill="#111">{esc(text)}</text>')
            x += w
        y += h
    out.append("</svg>")
    return "".join(out)


def wrap_text(text: str, width: int, max_lines: int | None = None) -> list[str]:
    """:func:`wrap_label` (every character kept, nothing cut); ``max_lines`` is only a
    hint for the layout and never drops text."""
    return wrap_label(text, width)


def _text_lines(x: float, y: float, lines: Sequence[str], *, step: float = 15, attrs: str = "") -> str:
    """One ``<text>`` with a ``<tspan>`` per line (every line escaped)."""
    spans = "".join(f'<tspan x="{x:g}" dy="{0 if k == 0 else step:g}">{esc(line)}</tspan>'
                    for k, line in enumerate(lines))
    return f'<text x="{x:g}" y="{y:g}"{(" " + attrs) if attrs else ""}>{spans}</text>'


def scale_averages(title: str, rows: Sequence[tuple[str, Mapping[str, float | None]]],
                   series: Sequence[str], *, low: int = 1, high: int = 5,
                   point_labels: Sequence[str] | None = None, width: int = 640,
                   note: str = "", lang: str = "en") -> str:
    """Where each series (usually a role) stands on a rating scale, per item.

    ``rows`` are ``(item label, {series name: average or None})``; ``None`` (or a missing
    series) draws no marker and writes "–". Each item gets its label (wrapped, never cut
    short of four lines) and one lane per series: the series' own colour *and* marker
    shape at its average, the series' name at the left and the number at the right, so
    the chart reads in black and white. The scale axis, at the top and bottom, has a tick
    and a label at every point: the number and, with ``point_labels`` (one per point,
    ``low`` to ``high``), its words, wrapped.
    """
    points = list(range(int(low), int(high) + 1))
    if point_labels is not None and len(point_labels) != len(points):
        raise ValueError(f"point_labels needs {len(points)} labels (one per point {low} to {high}), "
                         f"not {len(point_labels)}")
    uid = _uid("scale", title, [(r[0], sorted((k, v) for k, v in r[1].items())) for r in rows],
               tuple(series), low, high, tuple(point_labels or ()))
    pad, name_w, value_w, lane_h = 14, 150, 44, 20
    plot_x0 = pad + name_w
    plot_x1 = width - pad - value_w
    step = (plot_x1 - plot_x0) / max(len(points) - 1, 1)

    def px(v: float) -> float:
        return plot_x0 + (v - low) * step

    title_lines = wrap_text(title, int((width - 2 * pad) / 8.5), 3)
    head = 20 + 18 * (len(title_lines) - 1)
    legend, legend_h = _legend(uid, series, pad, head + 14, width - 2 * pad, swatch="marker")
    chars = max(6, int(step / 6.2))
    labels = [wrap_text(f"{p} {point_labels[k]}" if point_labels and point_labels[k] else str(p), chars, 3)
              for k, p in enumerate(points)]
    axis_h = 15 * max(len(lines) for lines in labels) + 10
    top = head + 14 + legend_h + 6
    out_rows = []
    y = top + axis_h
    for label, values in rows:
        lines = wrap_text(label, int((width - 2 * pad) / 7), 4)
        out_rows.append((y, lines, values))
        y += 15 * len(lines) + 6 + lane_h * len(series) + 12
    bottom = y
    height = bottom + axis_h + pad + (24 if not rows else 0) + (16 if note else 0)
    desc_parts = []
    for label, values in rows:
        shown = ", ".join(f"{name} {_num(values[name]) if values.get(name) is not None else '–'}"
                          for name in series)
        desc_parts.append(f"{label}: {shown}")
    desc = (_T.t(lang, "chart.scale", low=low, high=high) + " " + "; ".join(desc_parts)) if rows \
        else _T.t(lang, "chart.no_data")
    out = _open(width, height, title, desc, uid)
    out.append(_text_lines(pad, 20, title_lines, step=18, attrs='font-size="14" font-weight="bold"'))
    out.extend(legend)

    def axis(y_text: float) -> None:
        for k, p in enumerate(points):
            ends = len(points) > 1 and k in (0, len(points) - 1)
            anchor = ("start" if k == 0 else "end") if ends else "middle"
            out.append(_text_lines(px(p), y_text, labels[k], attrs=f'text-anchor="{anchor}" font-size="11"'))

    axis(top + 12)
    for p in points:
        out.append(f'<line x1="{px(p):.1f}" y1="{top + axis_h - 6:g}" x2="{px(p):.1f}" y2="{bottom:g}" '
                   f'stroke="#ccc"/>')
    if not rows:
        out.append(f'<text x="{pad}" y="{top + axis_h + 14:g}" fill="#555">{esc(_T.t(lang, "chart.no_data"))}</text>')
    for y0, lines, values in out_rows:
        out.append(_text_lines(pad, y0 + 12, lines, attrs='font-weight="bold"'))
        lane0 = y0 + 15 * len(lines) + 6
        for i, name in enumerate(series):
            ly = lane0 + i * lane_h + lane_h / 2
            value = values.get(name)
            out.append(f'<text x="{pad + 8}" y="{ly + 4:g}" font-size="11"><title>{esc(name)}</title>'
                       f'{esc(_short(name, 25))}</text>')
            out.append(f'<line x1="{plot_x0:g}" y1="{ly:g}" x2="{plot_x1:g}" y2="{ly:g}" stroke="#999" '
                       f'stroke-dasharray="2 3"/>')
            shown = _num(value) if value is not None else "–"
            if value is not None:
                out.append(f'<g><title>{esc(lines[0] if len(lines) == 1 else " ".join(lines))} — '
                           f'{esc(name)}: {shown}</title>{_marker(i, px(value), ly, 6)}</g>')
            out.append(f'<text x="{width - pad:g}" y="{ly + 4:g}" text-anchor="end" font-weight="bold">'
                       f'{esc(shown)}</text>')
    out.append(f'<line x1="{plot_x0:g}" y1="{bottom:g}" x2="{plot_x1:g}" y2="{bottom:g}" stroke="#333"/>')
    axis(bottom + 14)
    if note:
        out.append(f'<text x="{pad}" y="{height - 6:g}" font-size="11" fill="#333">{esc(_short(note, 110))}</text>')
    out.append("</svg>")
    return "".join(out)
