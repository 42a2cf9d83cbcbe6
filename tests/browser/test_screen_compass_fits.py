"""The Ethical compass on the room's screen fits the screen: the page hides overflow (a
projector shows no scroll bar), so in headless Chromium at 1920x1080 and 1280x720, in
Finnish and in English, with the largest view (three roles shown, every parameter
rated, the most flags), no element of the shown view ends below the window."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import agenda_toml
from participant_page_helpers import TIMEOUT
from test_screen import VIEWPORTS, local, open_screen

ROLES = ["Service user", "Front-line professional", "Manager"]
PARAMETERS = ("significance", "responsibilities", "resources", "participation")


def agenda(lang: str) -> str:
    return agenda_toml([{"id": "compass", "plugin": "ethical_compass", "title": "Kompassi"}],
                       title="Mahtuuko", roles=ROLES).replace('title = "Mahtuuko"',
                                                              f'title = "Mahtuuko"\nlanguage = "{lang}"\nscreen_roles = true')


def answer(role: int, n: int) -> dict:
    """Roles far apart and far from what they want: many rows and many flags."""
    def grid(p: int) -> dict:
        today = 1 + (role * 2 + p + n) % 5
        wanted = 5 - (role + p) % 2
        return {"person_today": str(today), "person_wanted": str(wanted),
                "professional_today": str(6 - today), "professional_wanted": str(1 + (role + n) % 5)}
    return {name: grid(p) for p, name in enumerate(PARAMETERS)}


BELOW = """() => {
  const view = [...document.querySelectorAll('#main > section')].find(s => !s.hidden);
  const out = [];
  for (const el of [view, ...view.querySelectorAll('*')]) {
    const r = el.getBoundingClientRect();
    if (r.width && r.height && r.bottom > window.innerHeight + 0.5)
      out.push(`${el.tagName}#${el.id}.${el.className}: ${Math.round(r.bottom)} > ${window.innerHeight}`);
  }
  return out;
}"""


@pytest.mark.parametrize("lang", ["fi", "en"])
@pytest.mark.parametrize("size", VIEWPORTS)
async def test_the_compass_screen_view_fits(tmp_path, browser, screens, lang, size):
    path = tmp_path / "agenda.toml"
    path.write_text(agenda(lang), encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0) as host:
        w = host.workshop
        people = [((await w.join(role=role))[0]["id"], r) for r, role in enumerate(ROLES) for _ in range(3)]
        context, page, errors = await open_screen(browser, local(host), size)
        try:
            await w.open()
            for n, (pid, role) in enumerate(people):
                await w.submit(pid, f"c{n}", "compass", answer(role, n))
            await w.close()
            await expect(page.locator("#act-answered")).to_have_text("9", timeout=TIMEOUT)
            chart = page.locator("#act-blocks .chart img")
            await expect(chart).to_have_count(1, timeout=TIMEOUT)
            await page.wait_for_function("() => [...document.images].every(i => i.complete)")
            # the largest view: eight rows in the chart (everyone), two flags under it
            alt = await chart.get_attribute("alt")
            assert alt.count(";") == 7 and not any(role in alt for role in ROLES), alt
            assert await page.locator("#act-blocks li").count() == 2
            box = await chart.bounding_box()  # the chart keeps a readable size
            await screens(page, f"screen-compass-{lang}-{size}")
            assert box["height"] >= VIEWPORTS[size]["height"] * 0.25, box
            below = await page.evaluate(BELOW)
            assert not below, below
            assert not errors, errors
        finally:
            await context.close()
