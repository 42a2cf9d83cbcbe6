"""An erased phone is told (issue 11 item 5): the host closes it with code 4009, the page
forgets its token and outbox, says its contributions were removed and offers to join
again as someone new. Headless Chromium against a real host."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from participant_page_helpers import (TIMEOUT, assert_accessible, connected, join, open_activity,
                                      saved_items, stored)

pytestmark = pytest.mark.browser


async def test_an_erased_phone_forgets_its_token_and_can_join_as_someone_new(host, phone, screens):
    page = phone.page
    await open_activity(host, "opening")
    await join(page, host.url, name="Aino", role="Service user")
    await page.fill("#f0-input", "Please erase this afterwards")
    await page.click("#send-btn")
    await saved_items(page, 1)
    [first] = host.workshop.participants()
    token = await page.evaluate("JSON.parse(localStorage.getItem('fk.me.' + %r)).token" % host.room)
    assert isinstance(token, str) and token

    await host.workshop.erase_participant(first["id"])
    await expect(page.locator("#screen-erased")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#erased-h")).to_have_text("Your contributions were removed")
    await expect(page.locator("#erased-h")).to_be_focused()
    await expect(page.locator("#screen-erased")).to_contain_text("This phone has forgotten them too")
    await screens(page, "10-erased")
    await assert_accessible(page, "erased")
    stored_me = await page.evaluate("localStorage.getItem('fk.me.' + %r)" % host.room)
    outbox = await page.evaluate("localStorage.getItem('fk.outbox.' + %r)" % host.room)
    assert stored_me is None and outbox in (None, "[]")
    # it stays put: no silent rejoin as a new participant with the old name and role
    await page.wait_for_timeout(2000)
    assert host.workshop.participants() == []
    await expect(page.locator("#screen-erased")).to_be_visible()
    # a reload does not bring the old identity back either
    await page.reload()
    await expect(page.locator("#join-btn")).to_be_visible(timeout=TIMEOUT)
    assert host.workshop.participants() == []
    await page.goto(host.url)
    await expect(page.locator("#join-btn")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#join-name")).to_have_value("")

    await page.click("#join-btn")
    await connected(page)
    [second] = host.workshop.participants()
    assert second["id"] != first["id"] and second["name"] is None and second["role"] is None
    await expect(page.locator("#mine-list .mine-item")).to_have_count(0)
    assert stored(host, "opening") == []
    assert not phone.errors and not phone.csp_violations


async def test_the_erased_button_leads_to_the_join_screen(host, phone):
    page = phone.page
    await open_activity(host, "opening")
    await join(page, host.url)
    [me] = host.workshop.participants()
    await host.workshop.erase_participant(me["id"])
    await expect(page.locator("#erased-btn")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#erased-btn")).to_have_text("Join again as someone new")
    await page.click("#erased-btn")
    await expect(page.locator("#join-btn")).to_be_visible(timeout=TIMEOUT)
    await page.click("#join-btn")
    await connected(page)
    [again] = host.workshop.participants()
    assert again["id"] != me["id"]
