"""The workshop report: Markdown golden file, self-contained HTML, anonymisation, inert
participant text in every format, contained extra sections."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from facilitation_kit import hookimpl
from facilitation_kit.core.blocks import Chart, Paragraph
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.report.render import md_text, render_report, safe_svg

from .simulated_workshop import ANSI, MARKDOWN, RICH, SCRIPT

GOLDEN = Path(__file__).parent / "golden"


def check_golden(name: str, text: str) -> None:
    """Compare with the golden file; ``UPDATE_GOLDEN=1`` rewrites it (review the diff)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; rerun with UPDATE_GOLDEN=1 and review"


def test_markdown_report_matches_the_golden_file(plugins, workshop_export):
    check_golden("workshop-report.md", render_report(workshop_export, plugins, format="md"))


def test_markdown_report_with_names_matches_the_golden_file(plugins, workshop_export):
    check_golden("workshop-report-names.md", render_report(workshop_export, plugins, format="md", anonymise=False))


def test_markdown_sections(plugins, workshop_export):
    md = render_report(workshop_export, plugins, format="md")
    headings = re.findall(r"^## (.*)$", md, flags=re.M)
    assert headings == ["Agenda", "Participants", "Opening round", "Learning what people value", "Value mapping",
                        "From → To: how roles must change", "Ethical compass check", "What we take to management",
                        "Closing round"]
    assert "| Service user | 2 |" in md and "| No role given | 1 |" in md
    assert "HIDDEN CARD" not in md


def hostile_lines(md: str) -> list[str]:
    return [line for line in md.splitlines() if "PWNED" in line or "script" in line or "Living" in line
            or "heading" in line or "Not a heading" in line or "not a quote" in line]


def test_participant_text_is_inert_in_markdown(plugins, workshop_export):
    md = render_report(workshop_export, plugins, format="md")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", md)
    lines = hostile_lines(md)
    assert len(lines) >= 10
    for line in lines:
        cells = re.split(r"(?<!\\)\| ", line.strip("|*>- ").rstrip(" |*"))  # the report's own markup
        for cell in cells:
            assert not re.search(r"(?<!\\)[<>\[\]`|*_]", cell.strip()), line
    assert "\\<script\\>window.\\_\\_pwned" in md
    assert "\\[bold\\]Living\\[/bold\\] a normal life \\[\\@click=app\\.quit\\]x\\[/\\]" in md
    # a URL is broken up too (issue 11 item 15): no renderer links it
    assert ("\\| table \\| # heading \\`code\\` \\<b\\>bold\\</b\\> "
            "!\\[img\\](http\\://evil\\.example/x\\.png)") in md
    assert "\\]2;PWNED \\[31mred\\[0m" in md
    # the closing answer's Markdown stays text: no heading, quote or list is created
    assert "| Service user | \\# Not a heading / \\> not a quote / \\- not a list / 1\\. not a list |" in md
    assert not [line for line in md.splitlines() if line.startswith(("# Not", "> not", "- not", "1. not"))]


def test_markdown_escaping_rules():
    assert md_text("# title") == "\\# title"
    assert md_text("1. first") == "1\\. first" and md_text("2.67") == "2.67"
    assert md_text("a | b `c` *d* _e_ <f> [g](h) ~i~ &amp;") == \
        "a \\| b \\`c\\` \\*d\\* \\_e\\_ \\<f\\> \\[g\\](h) \\~i\\~ \\&amp;"
    assert md_text("\x1b[1mbold\x1b[0m\x00") == "\\[1mbold\\[0m"


def test_html_report_is_self_contained_and_escaped(plugins, workshop_export):
    page = render_report(workshop_export, plugins, format="html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page and "@media print" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    assert not re.search(r"(src|href)\s*=", page, flags=re.I)
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "").replace("http://evil.example/x.png", "")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", page)
    assert "&lt;script&gt;window.__pwned = 1; document.title = &#x27;PWNED&#x27;&lt;/script&gt;" in page
    assert "[bold]Living[/bold] a normal life [@click=app.quit]x[/]" in page
    assert "]2;PWNED [31mred[0m" in page
    assert "&lt;b&gt;More time&lt;/b&gt;" in page
    assert page.count("<svg") == 6 and page.count('role="img"') == 6
    assert "HIDDEN CARD" not in page
    for name in ("Aino", "Carl", "Eve", "onerror"):
        assert not re.search(rf"\b{name}\b", page)  # anonymised by default


def test_html_with_names_escapes_them(plugins, workshop_export):
    page = render_report(workshop_export, plugins, format="html", anonymise=False)
    assert "<th scope=\"col\">Name</th>" in page
    assert "<td>Aino</td>" in page and "<td>(no name)</td>" in page
    assert "&lt;img src=x onerror=alert(1)&gt;Bea" in page and "<img" not in page


def test_names_stay_out_of_anonymised_markdown(plugins, workshop_export):
    md = render_report(workshop_export, plugins, format="md")
    assert "Aino" not in md and "Bea" not in md and "| Role | Name |" not in md
    named = render_report(workshop_export, plugins, format="md", anonymise=False)
    assert "| Role | Name | Your answer |" in named and "| Service user | Aino |" in named


def test_a_secret_vote_stays_secret_while_open(plugins, workshop_export):
    next(a for a in workshop_export["activities"] if a["id"] == "priorities")["state"] = "open"
    md = render_report(workshop_export, plugins, format="md")
    section = md.split("## What we take to management")[1].split("## Closing round")[0]
    assert "The results stay hidden until this activity is closed." in section
    assert "dots" not in section.replace("Place your dots", "")


def test_unknown_format_is_refused(plugins, workshop_export):
    with pytest.raises(ValueError, match="unknown report format"):
        render_report(workshop_export, plugins, format="pdf")


def test_svg_sanitiser_keeps_drawings_and_drops_anything_active():
    evil = ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink" role="img" onload="alert(1)">'
            '<title>t</title><script>alert(2)</script><foreignObject><div>x</div></foreignObject>'
            '<a x:href="javascript:alert(3)"><text>link</text></a><image x:href="http://evil.example/a.png"/>'
            '<rect width="3" fill="url(http://evil.example/p)" style="background:url(x)"/>'
            '<rect width="4" fill="url(#ok)"/><text x="1">&lt;b&gt;</text></svg>')
    out = safe_svg(evil)
    assert "alert" not in out and "evil.example" not in out and "style" not in out and "onload" not in out
    assert '<rect width="4" fill="url(#ok)"></rect>' in out and "<text x=\"1\">&lt;b&gt;</text>" in out
    assert ET.fromstring(out).get("role") == "img"
    assert safe_svg("<svg") is None and safe_svg("<html/>") is None


class Extras:
    @hookimpl
    def extra_report_sections(self, results):
        return [Paragraph(f"Cards counted: {results['values']['count']} <script>x</script>")]


class BadExtras:
    @hookimpl
    def extra_report_sections(self, workshop, results):
        raise RuntimeError("no section today")


class ForgedChart:
    @hookimpl
    def extra_report_sections(self, results):
        return [Chart('<svg xmlns="http://www.w3.org/2000/svg" role="img"><title>x</title>'
                      '<script>alert(1)</script></svg>', alt="forged")]


def test_extra_report_sections_are_appended_and_contained(workshop_export):
    host = load_plugins(extra=[("extras", Extras()), ("bad_extras", BadExtras()), ("forged", ForgedChart())])
    md = render_report(workshop_export, host, format="md")
    more = md.split("## More")[1]
    assert "Cards counted: 8 \\<script\\>x\\</script\\>" in more
    assert "could not add its section" in more and "RuntimeError: no section today" in more
    page = render_report(workshop_export, host, format="html")
    assert "<script" not in page and "Cards counted: 8 &lt;script&gt;x&lt;/script&gt;" in page


def test_markdown_line_starts_that_would_become_markup():
    assert md_text("- item") == "\\- item" and md_text("+ item") == "\\+ item"
    assert md_text("---") == "\\---" and md_text("===") == "\\==="
    assert md_text("-0.5") == "-0.5" and md_text("> quote") == "\\> quote"


def test_small_role_groups_never_appear_in_the_report(workshop_export, plugins):
    """min_group 3: one manager, two service users, two staff and one without a role are
    counted together as "Other roles"; no role name appears next to what anyone wrote."""
    workshop_export["agenda"]["min_group"] = 3
    md = render_report(workshop_export, plugins, format="md")
    assert "| Other roles | 6 |" in md
    for role in ("Manager", "Service user", "Front-line professional", "No role given"):
        assert f"| {role} |" not in md and f"— {role}" not in md, role
    workshop_export["agenda"]["min_group"] = 7          # still too small together: left out
    md = render_report(workshop_export, plugins, format="md")
    assert "Other roles" not in md and "| Manager |" not in md
