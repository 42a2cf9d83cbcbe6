"""A Finnish phone sees every built-in activity in Finnish (the host builds each phone's
forms in its language), the roles in plain Finnish, and the "don't know" choice of a
scale, which is sent as null and stored as "don't know"."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host

from participant_page_helpers import TIMEOUT, assert_accessible, connected, open_activity, saved_items, stored

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
    "compass": ("Eettinen kompassi", ["Kuka saa päättää?", "Enimmäkseen ammattilainen", "En osaa sanoa",
                                      "Miten siitä voisi tehdä reilumman?"],
                ["Who gets to decide?", "Mostly the professional"]),
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
    await open_activity(fi_host, "compass")
    await page.goto(fi_host.url)
    await page.click("#join-btn")
    await connected(page)
    fields = fi_host.workshop.agenda.activity("compass").options["parameters"]
    assert len(fields) == 4
    # answer every scale: "don't know" on the first, a number on the others
    for n in range(8):
        if n == 0:
            await page.locator(f"#f{n}-skip").check()
        else:
            await page.locator(f"#f{n}-v3").check()
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(fi_host, "compass")[0]["data"]
    assert data["significance_today"] is None and data["significance_desired"] == 3
    await expect(page.locator("#mine-list")).to_contain_text("En osaa sanoa")
    # another language: the host sends the form again, in Swedish
    await page.click("#settings-btn")
    await page.select_option("#set-lang", "sv")
    await expect(page.locator("#activity")).to_contain_text("Vem får bestämma?", timeout=TIMEOUT)
    await expect(page.locator("#activity")).to_contain_text("Vet inte")
    assert not phone.errors
