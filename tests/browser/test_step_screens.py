"""Facilitator-only steps on the phone page and the room's screen, in headless Chromium
against a real host: a break says when the room starts again, an input says "listen now",
in the phone's language, with no form to fill in; the room's screen says it too."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import agenda_toml
from participant_page_helpers import TIMEOUT, assert_accessible, connected, join, open_activity, saved_items

AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": {"en": "Ideas", "fi": "Ideat"},
     "prompt": {"en": "What would help?", "fi": "Mikä auttaisi?"}},
    {"id": "break", "kind": "break", "until": "11:20", "notes": "Coffee in the hall."},
    {"id": "talk", "kind": "input", "title": {"en": "A talk", "fi": "Alustus"},
     "prompt": {"en": "Maria tells us about the user council.", "fi": "Maria kertoo asiakasraadista."}},
], title="Steps on phones", roles=["Service user", "Front-line professional", "Manager"])

#: Per phone language: the break's title and words, the input's words.
WORDS = {
    "en": ("Break", "Break. We start again at 11:20.", "Listen now. No answer needed."),
    "fi": ("Tauko", "Tauko. Jatkamme kello 11:20.", "Kuuntele nyt. Sinun ei tarvitse vastata."),
}


@pytest.fixture
async def room(tmp_path):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0) as host:
        yield host


@pytest.mark.parametrize("locale", ["en-GB", "fi-FI"])
async def test_phones_show_the_break_and_the_input_in_their_language(room, new_phone, screens, locale):
    lang = locale[:2]
    title, break_words, input_words = WORDS[lang]
    phone = await new_phone(locale=locale)
    page = phone.page
    await open_activity(room, "ideas")
    await join(page, room.url)
    await page.fill("#f0-input", "Time to talk")
    await page.click("#send-btn")
    await saved_items(page, 1)

    await room.workshop.goto("break")
    await expect(page.locator("#activity-h")).to_have_text(title, timeout=TIMEOUT)
    await expect(page.locator("#activity-waiting")).to_have_text(break_words, timeout=TIMEOUT)
    await expect(page.locator("#activity-form")).to_be_hidden()
    await expect(page.locator("#activity-state")).to_be_hidden()  # no "not started yet" for a break
    await expect(page.locator("#mine")).to_be_hidden()  # nothing to send, so no empty list either
    await screens(page, f"phone-break-{lang}")
    await assert_accessible(page, f"the break in {lang}")
    await room.workshop.open()  # opened: still nothing to send, the same words
    await expect(page.locator("#activity-waiting")).to_have_text(break_words, timeout=TIMEOUT)
    await expect(page.locator("#activity-form")).to_be_hidden()

    await room.workshop.goto("talk")
    await expect(page.locator("#activity-h")).to_have_text("A talk" if lang == "en" else "Alustus",
                                                           timeout=TIMEOUT)
    await expect(page.locator("#activity-waiting")).to_have_text(input_words)
    await expect(page.locator("#activity-prompt")).to_contain_text("Maria")
    await expect(page.locator("#activity-form")).to_be_hidden()
    await screens(page, f"phone-input-{lang}")
    await assert_accessible(page, f"the input in {lang}")
    # back to the activity: what was sent there is still listed, to take back
    await room.workshop.goto("ideas")
    await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
    await saved_items(page, 1)
    await expect(page.locator("#mine")).to_be_visible()
    assert not phone.errors


async def test_the_rooms_screen_shows_the_break(room, browser, screens):
    await room.workshop.goto("break")
    token = room.screen_url.split("#token=")[1]
    context = await browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-GB")
    try:
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"http://127.0.0.1:{room.port}/screen#token={token}")
        await expect(page.locator("#v-activity")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("#act-title")).to_have_text("Break")
        await expect(page.locator("#act-state")).to_have_text("Break. We start again at 11:20.")
        await expect(page.locator("#act-answered")).to_be_hidden()  # a break counts no answers
        await screens(page, "screen-break")
        await room.workshop.goto("talk")
        await expect(page.locator("#act-state")).to_have_text("Listen now. No answers on phones.",
                                                              timeout=TIMEOUT)
        await room.workshop.goto("ideas")
        await room.workshop.open()
        await expect(page.locator("#act-state")).to_have_text("Answer on your phone", timeout=TIMEOUT)
        await expect(page.locator("#act-answered")).to_be_visible()
        assert not errors
    finally:
        await context.close()


async def test_a_phone_joining_during_the_break_sees_it(room, new_phone):
    await room.workshop.goto("break")
    phone = await new_phone(locale="fi-FI")
    await phone.page.goto(room.url)
    await phone.page.click("#join-btn")
    await connected(phone.page)
    await expect(phone.page.locator("#activity-waiting")).to_have_text(WORDS["fi"][1], timeout=TIMEOUT)
    assert not phone.errors
