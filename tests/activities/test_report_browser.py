"""The HTML report in a real headless Chromium: charts drawn, participant script inert
and shown as text, nothing fetched from anywhere. Saves a screenshot under test-artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.participant_page_helpers import chromium

from facilitation_kit.report.render import render_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture
async def report_page(tmp_path):
    """A fresh Chromium page; fails in CI (CI set) and skips elsewhere when Chromium is missing."""
    async with chromium("the report browser test") as browser:
        yield await browser.new_page(viewport={"width": 1000, "height": 1200})


async def test_report_renders_charts_and_keeps_script_inert(report_page, plugins, workshop_export, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(render_report(workshop_export, plugins, format="html"), encoding="utf-8")
    requests, dialogs, errors = [], [], []
    report_page.on("request", lambda r: requests.append(r.url))
    report_page.on("dialog", lambda d: dialogs.append(d.message))
    report_page.on("pageerror", lambda e: errors.append(str(e)))
    await report_page.goto(path.as_uri())

    assert await report_page.title() == "From outputs to outcomes: redesigning our service together"
    assert await report_page.evaluate("window.__pwned") is None
    assert await report_page.evaluate("document.scripts.length") == 0
    assert dialogs == [] and errors == []
    assert requests == [path.as_uri()]  # nothing else was fetched

    assert await report_page.locator("svg[role=img]").count() == 6
    sizes = await report_page.eval_on_selector_all(
        "svg[role=img]", "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })")
    assert all(w > 200 and h > 80 for w, h in sizes)
    assert await report_page.locator("svg[role=img] title").first.text_content() == "Value cards by kind and role"
    assert await report_page.locator("svg pattern").count() >= 4

    cards = report_page.locator("td", has_text="Being listened to")
    assert "<script>window.__pwned = 1; document.title = 'PWNED'</script>" in await cards.first.inner_text()
    assert await report_page.locator("td", has_text="[@click=app.quit]x[/]").count() >= 1
    assert await report_page.locator("td b").count() == 0  # "<b>More time</b>" stayed text
    assert await report_page.locator("h2").count() == 8  # 7 activities and the appendix; page one has the h1
    assert await report_page.locator("#summary h1").count() == 1

    await report_page.emulate_media(media="print")
    # page one alone on its page, the appendix from a new page
    assert await report_page.evaluate("getComputedStyle(document.querySelector('#summary')).breakAfter") == "page"
    assert await report_page.evaluate("getComputedStyle(document.querySelector('#appendix')).breakBefore") == "page"
    await report_page.emulate_media(media="screen")
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "workshop-report.png"
    await report_page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
