"""Consent at join in the page: the consent screen in the phone's language, "not now"
makes a watcher (no form), agreeing later lets the phone send, and a reloaded page (the
same participant, resumed) is not asked again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host

from participant_page_helpers import TIMEOUT, assert_accessible, connected, open_activity, saved_items, stored

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"

AGENDA = """
title = { en = "Home care, together", fi = "Kotihoito yhdessä" }
roles = ["Service user", "Front-line professional", "Manager"]

[consent]

[[activity]]
id = "story"
plugin = "open_question"
"""


@pytest.fixture
async def consent_host(tmp_path, plugins):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, plugins=plugins) as h:
        yield h


async def test_consent_watch_then_agree_and_resume(consent_host, new_phone, screens):
    await open_activity(consent_host, "story")
    phone = await new_phone(locale="fi-FI")
    page = phone.page
    await page.goto(consent_host.url)
    await page.click("#join-btn")
    await expect(page.locator("#screen-consent")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#consent-h")).to_have_text("Ennen kuin aloitat")
    text = await page.locator("#consent-text").inner_text()
    for words in ("Mitä keräämme", "Osallistuminen on sinun valintasi", "ohjaajan tietokoneella",
                  "kerro ohjaajalle", "alle 3 hengen"):
        assert words in text, words
    await screens(page, "fi-consent")
    await assert_accessible(page, "consent in Finnish")
    # not now: a watcher sees the activity but no form
    await page.click("#consent-no")
    await expect(page.locator("#watching")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#watching")).to_contain_text("Seuraat")
    await expect(page.locator("#activity-form")).to_be_hidden()
    pid = consent_host.workshop.participants()[0]["id"]
    assert consent_host.workshop.participant(pid).get("declined_at")
    # then take part after all
    await page.click("#watching-btn")
    await page.click("#consent-yes")
    await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#watching")).to_be_hidden()
    assert consent_host.workshop.participant(pid).get("consented_at")
    await page.locator("#f0 textarea").fill("Sama työntekijä joka kerta")
    await page.click("#send-btn")
    await saved_items(page, 1)
    assert stored(consent_host, "story")[0]["data"]["answer"] == "Sama työntekijä joka kerta"
    # the same participant after a reload: resumed, not asked again
    await page.reload()
    await connected(page)
    await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#screen-consent")).to_be_hidden()
    assert len(consent_host.workshop.participants()) == 1
    assert not phone.errors


async def test_consent_screen_in_english_for_the_docs(consent_host, new_phone):
    phone = await new_phone(locale="en-GB")
    page = phone.page
    await page.goto(consent_host.url)
    await page.click("#join-btn")
    await expect(page.locator("#consent-text")).to_contain_text("Taking part is your choice", timeout=TIMEOUT)
    await expect(page.locator("#consent-h")).to_be_focused()
    await page.screenshot(path=str(ARTIFACTS / "consent-phone.png"))
    await page.click("#consent-yes")
    await connected(page)
    await expect(page.locator("#activity-h")).to_be_visible()
    assert not phone.errors
