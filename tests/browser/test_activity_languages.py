"""A Finnish phone sees every built-in activity in Finnish (the host builds each phone's
forms in its language), the roles in plain Finnish, and the "don't know" choice of a
scale, which is sent as null and stored as "don't know"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host

from participant_page_helpers import TIMEOUT, assert_accessible, connected, open_activity, saved_items, stored

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

AGENDA = """
title = { en = "Home care, together", fi = "Kotihoito yhdessä" }
language = "en"
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "story"
plugin = "open_question"
prompt = { en = "A time this service really helped you, or let you down: what made the difference?", fi = "Kerro kerrasta, jolloin tämä palvelu todella auttoi sinua tai petti sinut. Mikä teki eron?" }

[[activity]]
id = "values"
plugin = "value_mapping"

[[activity]]
id = "roles"
plugin = "role_redefinition"

[[activity]]
id = "compass"
plugin = "ethical_compass"

[[activity]]
id = "vote"
plugin = "dot_vote"
items = [{ en = "Same worker every time", fi = "Sama työntekijä joka kerta" }, "Peer groups"]
dots = 3
max_per_item = 2
hide_results_until_closed = false
"""

#: Per activity: (its Finnish title, Finnish texts the form must show, English ones it must not).
EXPECTED = {
    "story": ("Avoin kysymys", ["Vastauksesi", "Kerro kerrasta"], ["Your answer"]),
    "values": ("Arvon kartoitus", ["Korttisi", "Mistä on kyse?", "Jotain, mitä palvelu laskee tai tarkistaa",
                                   "Kenelle tämä on tärkeintä?", "En osaa sanoa"],
               ["Your card", "Something the service counts", "I don't know"]),
    "roles": ("Mistä mihin: miten roolit muuttuvat", ["Kenen rooli?", "Mikä estää?", "Pelko tuen menettämisestä",
                                                    "Mikä auttaisi?", "Kuka voi saada sen aikaan?", "Päättäjät"],
              ["Whose role?", "What stops it?", "(optional) (optional)", "(vapaaehtoinen) (vapaaehtoinen)"]),
    "compass": ("Eettinen kompassi", ["Kuka saa päättää?", "Hyvin vähän", "Paljon", "En osaa sanoa",
                                      "Palvelua käyttävä ihminen: nyt", "Työntekijä: niin kuin pitäisi",
                                      "Miten siitä voisi tehdä reilumman?"],
                ["Who gets to decide?", "Very little", "The worker"]),
    "vote": ("Pisteäänestys", ["Sinulla on 3 pistettä. Anna ne sille, mikä on tärkeintä.",
                               "Sama työntekijä joka kerta"], ["You have 3 dots", "Same worker every time"]),
}


@pytest.fixture
async def fi_host(tmp_path, plugins):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, plugins=plugins) as h:
        yield h


async def test_a_finnish_phone_sees_every_built_in_activity_in_finnish(fi_host, new_phone, screens):
    phone = await new_phone(locale="fi-FI")
    page = phone.page
    await page.goto(fi_host.url)
    roles = page.locator("#join-roles label")
    await expect(roles.first).to_have_text("Käytän tätä palvelua", timeout=TIMEOUT)
    await page.locator("#join-roles label", has_text="Työskentelen ihmisten kanssa").click()
    await page.click("#join-btn")
    await connected(page)
    assert fi_host.workshop.participants()[0]["role"] == "Front-line professional"   # the role's name
    for activity_id, (title, shown, hidden) in EXPECTED.items():
        await open_activity(fi_host, activity_id)
        await expect(page.locator("#activity-h")).to_have_text(title, timeout=TIMEOUT)
        await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
        text = await page.locator("#activity").inner_text()
        for words in shown:
            assert words in text, (activity_id, words)
        for words in hidden:
            assert words not in text, (activity_id, words)
        await screens(page, f"fi-{activity_id}")
        await assert_accessible(page, f"{activity_id} in Finnish")
    assert not phone.errors


async def test_dont_know_is_sent_as_null_and_switching_language_rerenders(fi_host, new_phone):
    phone = await new_phone(locale="fi-FI")
    page = phone.page
    await open_activity(fi_host, "values")
    await page.goto(fi_host.url)
    await page.click("#join-btn")
    await connected(page)
    # a scale's "don't know" is sent as null
    await page.locator("#f0 textarea").fill("Sama työntekijä joka kerta")
    await page.get_by_role("radio", name="En osaa sanoa").first.check()
    await page.get_by_role("radio", name="4").last.check()
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(fi_host, "values")[0]["data"]
    assert data["importance"] is None and data["support"] == 4
    # the compass: one grid per parameter, "don't know" a column of the grid
    await open_activity(fi_host, "compass")
    await expect(page.locator("#activity-h")).to_have_text("Eettinen kompassi", timeout=TIMEOUT)
    params = fi_host.workshop.agenda.activity("compass").options["parameters"]
    assert len(params) == 4
    for n in range(4):
        base = f"#f{2 * n}"                      # each grid is followed by its "fairer" box
        for row in range(4):
            column = 5 if (n, row) == (0, 0) else 2  # "don't know" once, else 3
            await page.locator(f"{base}-r{row}-c{column}").check()
    await page.locator("#f1 input").fill("Kysykää minulta ensin")
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(fi_host, "compass")[0]["data"]
    assert data["significance"] == {"person_today": "dont_know", "person_wanted": "3",
                                    "professional_today": "3", "professional_wanted": "3"}
    assert data["significance_fairer"] == "Kysykää minulta ensin"
    await expect(page.locator("#mine-list")).to_contain_text("Palvelua käyttävä ihminen: nyt: En osaa sanoa")
    # another language: the host sends the form again, in Swedish
    await page.click("#settings-btn")
    await page.select_option("#set-lang", "sv")
    await expect(page.locator("#activity")).to_contain_text("Vem får bestämma?", timeout=TIMEOUT)
    await expect(page.locator("#activity")).to_contain_text("Vet inte")
    await expect(page.locator("#activity")).to_contain_text("Personalen: i dag")
    assert not phone.errors


async def test_the_compass_grid_fits_a_phone(fi_host, new_phone, screens):
    """390 px wide: each row's six choices on one line, the page about two screens high;
    the screenshot is the one in docs/activities.md."""
    phone = await new_phone(locale="en-GB")
    page = phone.page
    await open_activity(fi_host, "compass")
    await page.goto(fi_host.url)
    await page.click("#join-btn")
    await connected(page)
    await expect(page.locator("#f0-r0-c5")).to_be_attached(timeout=TIMEOUT)
    tops = {round((await page.locator(f"#f0-r0-c{c}").bounding_box())["y"]) for c in range(6)}
    assert len(tops) == 1, tops                   # one line of buttons per row
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    height = await page.evaluate("document.documentElement.scrollHeight")
    assert height < 4 * 844, height
    await page.locator("#f0-r1-c3").check()
    await screens(page, "compass-phone-full")
    await page.screenshot(path=str(ARTIFACTS / "compass-phone.png"))      # the first screen, as in the docs
    await assert_accessible(page, "compass grid")
    assert not phone.errors
