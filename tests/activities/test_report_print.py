"""The report printed by a real headless Chromium at A4: page one (``#summary``) fits one
page, comes before every activity, and the whole report prints with page one alone on
its first page. Saves page one as docs/screens/report-page-one.png when
``UPDATE_SCREENS=1``."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.browser.participant_page_helpers import chromium

from facilitation_kit.report.render import render_report

from .realistic_workshop import export, plugins_with_actions

DOCS_SCREENS = Path(__file__).resolve().parents[2] / "docs" / "screens"

pytestmark = pytest.mark.browser


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


@pytest.fixture
async def page():
    async with chromium("the report print test") as browser:
        # 794 px: an A4 page's width at 96 dpi
        yield await browser.new_page(viewport={"width": 794, "height": 1123})


@pytest.fixture(scope="module")
def realistic():
    plugins = plugins_with_actions()
    return export(plugins), plugins


async def test_page_one_fits_one_a4_page(page, realistic, tmp_path):
    data, plugins = realistic
    path = tmp_path / "report.html"
    path.write_text(render_report(data, plugins, format="html"), encoding="utf-8")
    await page.goto(path.as_uri())
    ids = await page.eval_on_selector_all("body > section", "els => els.map(e => e.id)")
    assert ids[0] == "summary" and ids[-1] == "appendix"
    assert all(i.startswith("activity-") for i in ids[1:-1]) and len(ids) == 8

    whole = await page.pdf(format="A4", print_background=True)
    assert pdf_pages(whole) >= 4
    await page.emulate_media(media="print")
    # the summary alone, printed: one page
    await page.evaluate("document.querySelectorAll('body > section:not(#summary)').forEach(s => s.remove())")
    alone = await page.pdf(format="A4", print_background=True)
    assert pdf_pages(alone) == 1
    # and measured: the summary's height is within an A4 page less its margins (14 mm each)
    height = await page.eval_on_selector("#summary", "e => e.getBoundingClientRect().height")
    assert height <= (297 - 28) / 25.4 * 96
    summary = await page.inner_text("#summary")
    for words in ("Who took part", "Top priorities", "Where views differ", "In their words",
                  "What happens now", "How participants will hear back", "18 people took part."):
        assert words in summary
    if os.environ.get("UPDATE_SCREENS"):
        await page.emulate_media(media="screen")
        await page.set_viewport_size({"width": 900, "height": 1200})
        await page.locator("#summary").screenshot(path=str(DOCS_SCREENS / "report-page-one.png"))


async def test_page_one_fits_in_every_language(page, realistic, tmp_path):
    """The frame's words are longer in some languages (Finnish, German, Polish): page one
    still fits one A4 page in each."""
    data, plugins = realistic
    for lang in ("fi", "de", "pl", "nl"):
        path = tmp_path / f"report-{lang}.html"
        path.write_text(render_report(data, plugins, format="html", lang=lang), encoding="utf-8")
        await page.goto(path.as_uri())
        assert await page.get_attribute("html", "lang") == lang
        await page.evaluate("document.querySelectorAll('body > section:not(#summary)').forEach(s => s.remove())")
        assert pdf_pages(await page.pdf(format="A4", print_background=True)) == 1, lang
