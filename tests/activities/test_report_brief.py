"""The report as a brief (issue 14), on a realistic workshop (realistic_workshop.py):
page one, per activity notes and themes, the appendix with each contribution once,
golden files in HTML, Markdown and DOCX (read back with python-docx), findings and
priorities from the plugins, the report in another language, the Word file from the CLI."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from facilitation_kit import Paragraph, ReportPart, hookimpl
from facilitation_kit.core.blocks import Heading, block_from_json
from facilitation_kit.report.render import render_report
from facilitation_kit.report.sections import report_sections

from .realistic_workshop import CONTRIBUTIONS, ActionsPlugin, export, plugins_with_actions
from .test_workshop_report import check_golden


@pytest.fixture(scope="module")
def host():
    return plugins_with_actions()


@pytest.fixture
def data(host):
    return export(host)


def docx_text(blob: bytes) -> str:
    """The Word file read back with python-docx, as text: one line per paragraph (its
    style, then its text), tables as rows, pictures with their description."""
    from docx import Document

    doc = Document(io.BytesIO(blob))
    lines = []
    body = doc.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            from docx.text.paragraph import Paragraph as P

            p = P(child, doc)
            pics = child.findall(".//{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr")
            for pic in pics:
                lines.append(f"[picture] {pic.get('descr')}")
            if 'w:br w:type="page"' in child.xml or "<w:br w:type=\"page\"/>" in child.xml:
                lines.append("[page break]")
            if p.text.strip():
                lines.append(f"[{p.style.name}] {p.text}")
        elif tag == "tbl":
            from docx.table import Table as T

            for row in T(child, doc).rows:
                lines.append("| " + " | ".join(c.text for c in row.cells) + " |")
    return "\n".join(lines) + "\n"


# --- golden files ---------------------------------------------------------------------

def test_golden_markdown(host, data):
    check_golden("brief-report.md", render_report(data, host, format="md"))


def test_golden_html(host, data):
    check_golden("brief-report.html", render_report(data, host, format="html"))


def test_golden_docx_read_back(host, data):
    blob = render_report(data, host, format="docx")
    assert blob[:2] == b"PK"  # a zip: the Office Open XML package
    check_golden("brief-report.docx.txt", docx_text(blob))


# --- page one ---------------------------------------------------------------------------

def summary_md(host, data, **kw) -> str:
    md = render_report(data, host, format="md", **kw)
    return md.split("\n## ")[0]


def test_page_one_comes_first_and_holds_the_brief(host, data):
    sections = report_sections(data, host)
    assert [s.kind for s in sections] == ["summary"] + ["activity"] * 6 + ["appendix"]
    page = summary_md(host, data)
    assert page.startswith("# Employment support that works for people\n\nDate: 14 March 2025"
                           " · Service: Employment support, City of Riverton")
    assert "relational way" in page and "ethical compass" in page
    # who took part: the two family members are fewer than min_group: never named as a group
    assert ("18 people took part. Service user: 7; Front-line professional: 6; Manager: 3. "
            "7 of them use the service (39% of the room). 17 of them agreed to the consent statement") in page
    assert "Family" not in page
    # the top priorities with each role's support
    assert "| 1\\. The same worker every time | 19 dots | 11 (44%) | 3 (15%) | 2 (13%) |" in page
    assert "| 2\\. Fewer forms for staff | 18 dots | 0 (0%) | 10 (50%) | 8 (53%) |" in page
    # where views differ: sentences naming the item, both roles and their figures; largest first
    differ = page.split("### Where views differ")[1].split("###")[0]
    assert ("How well the service supports what matters today: Front-line professional rated it 4 on average, "
            "Service user 1.57 (1 to 5).") in differ
    assert "“Fewer forms for staff” got 53% of the dots of Manager and 0% of the dots of Service user." in differ
    assert "Who decides: the person, today: Front-line professional put it at 3.33, Service user at 1.25" in differ
    assert differ.count("\n- ") == 4
    # quotes: 5 of the 6 starred, people who use the service first
    quotes = page.split("### In their words")[1].split("###")[0]
    roles = re.findall(r"^> — (.*)$", quotes, flags=re.M)
    assert roles == ["Service user"] * 4 + ["Other roles"]
    # actions with owners and dates, how people hear back, consent
    assert "| Give each person one named worker, in the north team first | Head of the north team | 1 May |" in page
    assert "On 10 April management answers each action" in page
    assert "never a name, and roles with fewer than 3 people are counted together" in page


def test_each_contribution_is_printed_at_most_twice(host, data):
    """Raw data moved to the appendix: a card is in its activity's findings at most once
    and in the appendix once (the issue saw each value card three times)."""
    md = render_report(data, host, format="md")
    body = md.split("\n## ", 1)[1]  # after page one (quotes and priorities repeat by design)
    for pid, activity, cid, d in CONTRIBUTIONS:
        text = d.get("text") or d.get("answer") or d.get("from_text")
        # (a card that is also a vote's item is named in every vote: not counted here)
        if text and (pid, cid) != ("w6", "v2") and text != "The same worker every time":
            assert body.count(text) <= 2, text
    assert "test card, please ignore" not in md  # hidden


def test_notes_and_themes_are_in_their_activity(host, data):
    md = render_report(data, host, format="md")
    values = md.split("## What the service counts, and what matters")[1].split("\n## ")[0]
    assert "### What we heard, what we agreed" in values and "first thing to test" in values
    # confirmed themes only (a theme not yet confirmed stays the facilitator's), with the
    # count by role group (min_group) and the most representative quote
    assert "| The same worker every time | 3 | Other roles: 3 | The same worker every time |" in values
    assert "Letters and forms" not in values
    appendix = md.split("## Appendix: the data")[1]
    assert "### Agenda" in appendix and "### Contributions to “How our roles should change”" in appendix
    assert "#### The worker" in appendix  # role redefinition's own table replaces the generic one


def test_no_findings_when_roles_agree(host, data):
    """Everyone answering alike: 'Where views differ' says so, and lists none."""
    for c in data["contributions"]:
        if c["activity"] == "values":
            c["data"].update(importance=4, support=3, kind="outcome")
        if c["activity"] == "compass":
            c["data"] = {p: {k: "3" for k in grid} for p, grid in c["data"].items() if isinstance(grid, dict)}
        if c["activity"] == "priorities":
            c["data"] = {"dots": dict(list(CONTRIBUTIONS[-16][3]["dots"].items()))}
        if c["activity"] == "roles":
            c["data"]["barriers"] = ["time"]
    page = summary_md(host, data)
    assert "The roles' answers did not differ much" in page
    assert "### Where views differ\n\nThe roles' answers did not differ much" in page


def test_page_one_in_another_language(host, data):
    page = summary_md(host, data, lang="fi")
    assert page.startswith("# Employment support that works for people\n\nPäivä: 14. maaliskuuta 2025")
    for words in ("### Ketkä osallistuivat", "18 ihmistä osallistui.", "### Tärkeimmät asiat",
                  "### Missä näkemykset eroavat", "### Heidän sanoin", "### Mitä tapahtuu seuraavaksi"):
        assert words in page
    # the plugins' own sentences in Finnish too
    assert "Kuinka hyvin palvelu tukee tärkeitä asioita nyt" in page
    html = render_report(data, host, format="html", lang="de")
    assert '<html lang="de">' in html and "Wo die Sichtweisen auseinandergehen" in html
    with pytest.raises(ValueError, match="unknown report language"):
        render_report(data, host, format="md", lang="xx")


@pytest.mark.parametrize("lang", ["en", "fi", "sv", "nl", "es", "pl", "it", "de"])
def test_method_names_only_the_steps_the_agenda_had(host, data, lang):
    """'What this workshop was for' says how we worked, and names the ethical compass only
    when the agenda had a compass step: in every report language."""
    from facilitation_kit.report.sections import T

    relational, compass = T.t(lang, "method.text"), T.t(lang, "method.plugin.ethical_compass")
    assert relational != compass and (lang == "en" or compass != T.t("en", "method.plugin.ethical_compass"))
    page = summary_md(host, data, lang=lang)
    assert f"{relational} {compass}" in page
    compass_ids = {a["id"] for a in data["agenda"]["activities"] if a.get("plugin") == "ethical_compass"}
    assert compass_ids
    data["agenda"]["activities"] = [a for a in data["agenda"]["activities"] if a["id"] not in compass_ids]
    data["contributions"] = [c for c in data["contributions"] if c["activity"] not in compass_ids]
    page = summary_md(host, data, lang=lang)
    assert relational in page and compass not in page
    assert "compass" not in page.lower() and "kompass" not in page.lower()


def test_the_charts_speak_the_report_language(host, data):
    """The plugins give the charts the report's language: no English text of a chart
    (its empty text, description, tooltips, axis words) in the Finnish report."""
    from .test_charts import _english_runs

    html = render_report(data, host, format="html", lang="fi")
    leaked = sorted(e for e in _english_runs() if len(e) >= 10 and e in html)
    assert not leaked, leaked
    assert "Kuinka tärkeä se on" in html  # the value map's axis, in Finnish
    english = render_report(data, host, format="html")
    assert "How important it is" in english


def test_every_catalogue_has_every_key():
    import json

    folder = Path(__file__).resolve().parents[2] / "facilitation_kit" / "report" / "locales"
    en = set(json.loads((folder / "en.json").read_text(encoding="utf-8")))
    for lang in ("fi", "sv", "nl", "es", "pl", "it", "de"):
        assert set(json.loads((folder / f"{lang}.json").read_text(encoding="utf-8"))) == en, lang


# --- plugin parts ---------------------------------------------------------------------------

class Placed:
    @hookimpl
    def extra_report_sections(self, results):
        return [ReportPart("summary", (Paragraph("SUMMARY PART"),)),
                ReportPart("appendix", (Heading("Raw extra", level=2), Paragraph("APPENDIX PART"))),
                Paragraph("OWN SECTION")]


def test_extra_sections_choose_their_part(data):
    from facilitation_kit.core.plugins import load_plugins

    host = load_plugins(extra=[("test_actions", ActionsPlugin()), ("placed", Placed())])
    md = render_report(data, host, format="md")
    page, rest = md.split("\n## ", 1)
    assert "### More from this workshop\n\nSUMMARY PART" in page
    assert "## More\n\nOWN SECTION" in md and md.index("OWN SECTION") < md.index("## Appendix")
    assert md.index("APPENDIX PART") > md.index("## Appendix") and "### Raw extra" in md


def test_report_part_crosses_the_channel_as_json():
    part = ReportPart("appendix", (Heading("x", level=4), Paragraph("y")))
    assert block_from_json(part.to_json()) == part
    with pytest.raises(ValueError):
        ReportPart("sidebar", ())


# --- the Word file -------------------------------------------------------------------------

def test_docx_has_the_charts_as_pictures_and_page_one_first(host, data):
    from docx import Document

    blob = render_report(data, host, format="docx")
    doc = Document(io.BytesIO(blob))
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == "Employment support that works for people"
    assert doc.paragraphs[0].style.name == "Title"
    html = render_report(data, host, format="html")
    assert len(doc.inline_shapes) == html.count("<figure")  # every chart as a picture
    assert all(s.width > 0 for s in doc.inline_shapes)
    page_break = next(i for i, p in enumerate(doc.paragraphs) if 'w:type="page"' in p._p.xml)
    first_activity = texts.index("A time the service helped, or let you down")
    assert page_break < first_activity and texts.index("Where views differ") < page_break
    assert doc.sections[0].page_width.cm == pytest.approx(21.0, abs=0.01)
