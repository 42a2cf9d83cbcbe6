"""The new activities on a phone (headless Chromium at 390x844): a story not to be
quoted, the vote on the most significant story with "why this one?", rating the same
items with "don't know", a journey moment on the face scale, an action with an owner.
Each form is filled in as a person would, checked with axe, sent, and stored as typed.
The screenshots are the pictures of docs/activities.md (copied to docs/screens/)."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host

from participant_page_helpers import TIMEOUT, assert_accessible, join, open_activity, saved_items, stored

AGENDA = """
title = "Home care, together"
language = "en"
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "stories"
plugin = "story"

[[activity]]
id = "vote"
plugin = "dot_vote"
from = "stories"
dots = 1
max_per_item = 1
note = true
hide_results_until_closed = false

[[activity]]
id = "rate"
plugin = "rate_items"
items = ["Same worker every time", "Time to talk"]

[[activity]]
id = "journey"
plugin = "journey"

[[activity]]
id = "actions"
plugin = "actions"
from = "rate"
"""


@pytest.fixture
async def new_host(tmp_path, plugins):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0, plugins=plugins) as h:
        yield h


async def _form(page, host, activity_id, title):
    await open_activity(host, activity_id)
    await expect(page.locator("#activity-h")).to_have_text(title, timeout=TIMEOUT)
    await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)


async def test_the_new_activities_on_a_phone(new_host, phone, screens):
    page = phone.page
    await join(page, new_host.url, role="I use this service")

    # a story its author does not allow to be quoted
    await _form(page, new_host, "stories", "Stories")
    await expect(page.locator("#activity")).to_contain_text("May we quote you (without your name)?")
    await page.fill("#f0-input", "I had to tell my story again to a new worker every month.")
    await page.fill("#f1-input", "I stopped asking for help.")
    await page.fill("#f2-input", "Trust takes time.")
    await page.locator("#f3-o1").check()   # the service let me down
    await page.locator("#f4-o1").check()   # no, do not quote me
    await assert_accessible(page, "story")
    await screens(page, "phone-story")
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(new_host, "stories")[0]["data"]
    assert (data["quote"], data["kind"]) == ("no", "let_down")

    # the vote on the most significant story: the story is only "Story 1" there
    await _form(page, new_host, "vote", "Dot vote")
    items = page.locator("#f0 .vote-item")
    await expect(items).to_have_count(1)
    await expect(items.first).to_contain_text("Story 1")
    assert "tell my story again" not in await page.locator("#activity").inner_text()
    await items.first.locator("button").nth(1).click()
    await page.fill("#f1-input", "It shows what changing workers does to trust.")
    await assert_accessible(page, "vote with a note")
    await page.click("#send-btn")
    await saved_items(page, 1)
    assert stored(new_host, "vote")[0]["data"]["note"] == "It shows what changing workers does to trust."

    # everyone rates the same items, "don't know" on one scale
    await _form(page, new_host, "rate", "Rate the same items")
    await expect(page.locator("#f0")).to_contain_text("Same worker every time — How important is it?")
    await page.locator("#f0-v5").check()
    await page.locator("#f1-v1").check()
    await page.locator("#f2-v4").check()
    await page.locator("#f3-skip").check()
    await assert_accessible(page, "rate_items")
    await screens(page, "phone-rate_items")
    await page.click("#send-btn")
    await saved_items(page, 1)
    values = list(stored(new_host, "rate")[0]["data"].values())
    assert values == [5, 1, 4, None]

    # a moment of the journey, on the face scale
    await _form(page, new_host, "journey", "Journey map")
    await page.locator("#f0-o1").check()   # assessment
    await page.fill("#f1-input", "The assessment took three visits.")
    await expect(page.locator("#f2")).to_contain_text("🙁 Bad")
    await expect(page.locator("#f2")).to_contain_text("I don't know")
    await page.locator("#f2-o1").check()   # 🙁 Bad
    await page.fill("#f3-input", "Being asked what I can do, not only what I can't.")
    await assert_accessible(page, "journey")
    await screens(page, "phone-journey")
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(new_host, "journey")[0]["data"]
    assert (data["stage"], data["felt"]) == ("assessment", "2")

    # an action with an owner, for one of the rated items
    await _form(page, new_host, "actions", "Actions with owners")
    await page.locator("#f0-o0").check()
    await page.fill("#f1-input", "One named worker for each family.")
    await page.fill("#f2-input", "Team leader")
    await page.fill("#f3-input", "End of June")
    await page.fill("#f4-input", "Two more staff hours a week.")
    await page.fill("#f5-input", "A letter in July, and at the next user forum.")
    await assert_accessible(page, "actions")
    await screens(page, "phone-actions")
    await page.click("#send-btn")
    await saved_items(page, 1)
    data = stored(new_host, "actions")[0]["data"]
    assert (data["who"], data["by_when"]) == ("Team leader", "End of June")
    assert not phone.errors
