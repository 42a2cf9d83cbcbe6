"""SVG charts: well-formed, accessible, every label escaped, nothing loaded."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from facilitation_kit.report import charts

EVIL = "<script>alert(1)</script> & \"quotes\" \x1b]2;PWNED\x07 [bold]x[/]"
NS = "{http://www.w3.org/2000/svg}"


def built():
    return {
        "bars": charts.stacked_bars(f"Dots {EVIL}", [(EVIL, {EVIL: 2, "Manager": 1}), ("Plain", {"Manager": 4})],
                                    [EVIL, "Manager"], unit="dots"),
        "map": charts.importance_support_map(f"Map {EVIL}", [(5, 1, EVIL, 2), (3, 4, "Manager", 1)], [EVIL, "Manager"]),
        "dumbbell": charts.dumbbell(f"Compass {EVIL}", [(EVIL, EVIL, 1.5, 4.0), (EVIL, "Manager", 3, None)],
                                    low_label=EVIL, high_label="Held by the service user"),
        "empty": charts.stacked_bars("Nothing", [], []),
    }


@pytest.mark.parametrize("kind", ["bars", "map", "dumbbell", "empty"])
def test_each_chart_is_well_formed_accessible_and_inert(kind):
    svg = built()[kind]
    root = ET.fromstring(svg)  # well-formed XML: every label was escaped
    assert root.tag == NS + "svg" and root.get("role") == "img"
    assert root.find(NS + "title") is not None and root.find(NS + "title").text
    assert not list(root.iter(NS + "script"))
    assert "<script" not in svg and "\x1b" not in svg and "\x07" not in svg
    assert not re.search(r"(href|src)=", svg) and "http://" not in svg.replace("http://www.w3.org/2000/svg", "")
    texts = "".join(root.itertext())
    if kind != "empty":
        assert "<script>alert(1)</script>" in texts  # shown as text, not markup


def test_bars_use_patterns_and_a_legend_so_colour_is_not_the_only_cue():
    svg = built()["bars"]
    root = ET.fromstring(svg)
    patterns = [p.get("id") for p in root.iter(NS + "pattern")]
    assert len(patterns) == 2 and len(set(patterns)) == 2
    assert len(root.find(NS + "defs").find(NS + "pattern")) == 1  # the first role is a solid fill ...
    assert len(list(root.iter(NS + "pattern"))[1]) == 2           # ... the second has stripes on top
    legend = [t.text for t in root.iter(NS + "text")]
    assert "Manager" in legend
    segments = [t.text for r in root.iter(NS + "rect") for t in r.iter(NS + "title")]
    assert "Plain — Manager: 4" in segments


def test_map_shades_the_important_but_badly_supported_corner():
    svg = charts.importance_support_map("Map", [(5, 1, "Service user", 3)], ["Service user", "Manager"])
    assert "important but badly supported" in svg
    assert "3 rated cards; 3 of them important (at least 4) but badly supported (at most 2)." in svg
    root = ET.fromstring(svg)
    shapes = [el.tag for el in root.iter() if el.tag in (NS + "circle", NS + "polygon", NS + "rect")]
    assert NS + "circle" in shapes and NS + "rect" in shapes  # marker shapes differ by role, legend too


def test_dumbbell_marks_today_and_desired_with_different_shapes():
    svg = charts.dumbbell("Compass", [("", "Significance", 2, 4)])
    root = ET.fromstring(svg)
    g = [el for el in root.iter(NS + "g")][0]
    assert {el.tag for el in g} >= {NS + "circle", NS + "rect", NS + "line", NS + "title"}
    assert "Significance: today 2, desired 4" in svg


def test_two_charts_never_share_pattern_ids():
    one = charts.stacked_bars("A", [("x", {"r": 1})], ["r"])
    two = charts.stacked_bars("B", [("x", {"r": 1})], ["r"])
    ids = lambda s: set(re.findall(r'id="([^"]+)"', s))  # noqa: E731
    assert not ids(one) & ids(two)


def test_clean_strips_controls_but_keeps_newlines_and_tabs():
    assert charts.clean("a\x00b\x1b[31mc\x9bd\u202ee\nf\tg") == "ab[31mcde\nf\tg"
    assert charts.esc("<a href='x'>&</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"


LONGER = ("Sanctions when I miss a meeting because of my kids, and having to explain it all again "
        "to a new worker every single time")


def _texts(svg):
    """(full text, [baselines]) of every <text> element that has <tspan> lines."""
    root = ET.fromstring(svg)
    out = []
    for t in root.iter(NS + "text"):
        spans = t.findall(NS + "tspan")
        if spans:  # each line's baseline: the text's y, then each line's dy
            ys, y = [], float(t.get("y"))
            for s in spans:
                y = float(s.get("y")) if s.get("y") is not None else y + float(s.get("dy") or 0)
                ys.append(y)
            out.append((" ".join(s.text or "" for s in spans), ys))
    return out


@pytest.mark.parametrize("kind", ["bars", "dumbbell"])
def test_long_labels_wrap_onto_several_lines_and_are_never_cut(kind):
    if kind == "bars":
        svg = charts.stacked_bars("Dots", [(LONGER, {"Manager": 3}), ("Short", {"Manager": 1}), (LONGER, {"Manager": 1})],
                                  ["Manager"])
    else:
        svg = charts.dumbbell("Compass", [(LONGER, LONGER, 1, 4), (LONGER, "Everyone", 2, 3), ("", "Short", 2, 2)])
    texts = _texts(svg)
    long_ones = [(text, ys) for text, ys in texts if len(ys) > 1]
    assert long_ones and all(text == LONGER for text, _ in long_ones)   # the whole label, word for word
    assert "…" not in svg
    # lines of one label never run into the next label's lines
    # (the scale's two end labels share a line, at the left and right ends: not labels of rows)
    spans = sorted((min(ys) - 11, max(ys) + 3) for text, ys in texts
                   if not (text.startswith("←") or text.endswith("→")))
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans
    ET.fromstring(svg)


def test_bars_sit_beside_their_wrapped_label_and_the_chart_grows():
    short = charts.stacked_bars("Dots", [("A", {"M": 1}), ("B", {"M": 1})], ["M"])
    tall = charts.stacked_bars("Dots", [(LONGER, {"M": 1}), ("B", {"M": 1})], ["M"])
    h = lambda svg: float(ET.fromstring(svg).get("height"))  # noqa: E731
    assert h(tall) > h(short) + 40
    root = ET.fromstring(tall)
    (text, ys), = [t for t in _texts(tall) if len(t[1]) > 1]
    bar = next(r for r in root.iter(NS + "rect") if r.get("height") == "20" and r.find(NS + "title") is not None)
    y, height = float(bar.get("y")), 20
    assert min(ys) - 11 <= y and y + height <= max(ys) + 4   # the bar is level with its label


def test_map_corner_label_is_above_the_plot_where_no_marker_can_cover_it():
    svg = charts.importance_support_map("Map", [(5, 1, "A", 9), (5, 2, "B", 9)], ["A", "B"])
    root = ET.fromstring(svg)
    label = next(t for t in root.iter(NS + "text") if "important but badly supported" in (t.text or ""))
    label_y = float(label.get("y"))
    markers = []
    for g in root.iter(NS + "g"):  # the plotted points (the legend's swatches are outside the plot)
        markers += [float(c.get("cy")) - float(c.get("r")) for c in g.iter(NS + "circle")]
        markers += [float(r.get("y")) for r in g.iter(NS + "rect")]
        markers += [min(float(p.split(",")[1]) for p in poly.get("points").split())
                    for poly in g.iter(NS + "polygon")]
    assert markers and label_y < min(markers), (label_y, min(markers))


LONG = "Outcome that matters to the person: being able to live a normal life with my family"


def test_long_labels_wrap_and_are_never_cut():
    """Issue 14: "Outcome that matters to the per..." — every word of a label is drawn."""
    bars = charts.stacked_bars(LONG, [(LONG, {"Service user": 3}), ("Short", {"Service user": 1})], ["Service user"])
    dumb = charts.dumbbell(LONG, [(LONG, LONG, 1, 4)], low_label="Mostly the professional, who decides alone",
                           high_label="Mostly the person, who decides with support")
    for svg in (bars, dumb):
        root = ET.fromstring(svg)
        drawn = " ".join(" ".join(t.itertext()) for t in root.iter(NS + "text")
                         if t.find(NS + "title") is None) + " " + " ".join(
            "".join(s.itertext()) for t in root.iter(NS + "text") for s in t.iter(NS + "tspan"))
        assert "…" not in drawn
        for word in LONG.split() + ["alone", "support"] * (svg is dumb):
            assert word.strip(":,") in drawn, word
        assert len([s for s in root.iter(NS + "tspan")]) > 3  # wrapped onto several lines
    # a taller row for the wrapped label: the bars do not overlap
    rects = [r for r in ET.fromstring(bars).iter(NS + "rect") if r.find(NS + "title") is not None]
    first, second = (float(r.get("y")) for r in rects)
    assert second - first >= 3 * 14


def test_wrap_label_keeps_every_character():
    assert charts.wrap_label(LONG, 20) == ["Outcome that matters", "to the person: being", "able to live a",
                                          "normal life with my", "family"]
    assert "".join(charts.wrap_label("x" * 50, 20)) == "x" * 50


def test_map_corner_label_is_above_the_grid_where_no_marker_is():
    svg = charts.importance_support_map("Map", [(5, 1, "Service user", 6), (5, 2, "Manager", 2)],
                                        ["Service user", "Manager"])
    root = ET.fromstring(svg)
    label = next(t for t in root.iter(NS + "text") if "important but badly supported" in "".join(t.itertext()))
    grid_top = min(float(line.get("y1")) for line in root.iter(NS + "line"))
    assert float(label.get("y")) < grid_top
    markers = [float(c.get("cy")) - float(c.get("r")) for g in root.iter(NS + "g") for c in g.iter(NS + "circle")]
    assert markers
    assert all(m > float(label.get("y")) for m in markers)


# --- the charts' own words in the report's / screen's language ----------------------------

def _every_chart(lang=None):
    kw = {} if lang is None else {"lang": lang}
    return [
        charts.stacked_bars("T", [], [], **kw),
        charts.stacked_bars("T", [("A", {"S": 2})], ["S"], **kw),
        charts.importance_support_map("T", [(5, 1, "S", 2), (3, 4, "S", 1)], ["S"], **kw),
        charts.dumbbell("T", [], **kw),
        charts.dumbbell("T", [("G", "A", 1.5, None)], **kw),
        charts.word_cloud("T", [], **kw),
        charts.scale_averages("T", [], ["S"], **kw),
        charts.scale_averages("T", [("A", {"S": 2.5})], ["S"], **kw),
    ]


def _words(svg: str) -> str:
    """Everything a chart shows or says: its text, titles and description."""
    return " ".join(t.strip() for t in ET.fromstring(svg).itertext() if t.strip())


def _english_runs() -> set[str]:
    """The charts' English texts (the longest literal run of each, its placeholders cut)."""
    en = charts._T.strings("en")
    out = set()
    for key, value in en.items():
        if key.startswith("chart."):
            for text in value.values() if isinstance(value, dict) else [value]:
                out.add(max(re.split(r"\{\w+\}", text), key=len).strip(" :;,."))
    return {r for r in out if len(r) >= 3}


def test_without_a_language_the_charts_speak_english_as_before():
    said = " | ".join(_words(svg) for svg in _every_chart())
    for text in ("No data yet.", "No words yet.", "Scale 1 to 5.", "A: today 1.5, desired n/a", "Today", "Desired",
                 "important but badly supported", "How important it is", "S: 2 cards, importance 5, support 1",
                 "3 rated cards; 2 of them important (at least 4) but badly supported (at most 2)."):
        assert text in said, text
    assert _every_chart() == _every_chart("en")


@pytest.mark.parametrize("lang", ["fi", "sv", "nl", "es", "pl", "it", "de"])
def test_every_text_of_a_chart_is_in_its_language(lang):
    english = _english_runs()
    for svg in _every_chart(lang):
        said = _words(svg)
        leaked = sorted(e for e in english if e in said)
        assert not leaked, (lang, leaked, said)
    said = " | ".join(_words(svg) for svg in _every_chart(lang))
    for key in ("chart.no_data", "chart.no_words", "chart.today", "chart.desired", "chart.map_corner", "chart.map_y"):
        assert charts._T.t(lang, key) in said, (lang, key)
