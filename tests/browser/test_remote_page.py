"""The facilitator's remote (/remote, docs/facilitators.md) in a phone-sized headless
Chromium against a real host on loopback, with real participants' phones
(facilitation_kit.testing Phone) on the participant channel: Next, Previous, Open and
Close reach the phones; the timer starts, pauses and gets a minute; held contributions
are approved or hidden; the room's screen is blanked; a new remote token turns the page
off; axe-core finds nothing. The screenshot at 390x844 goes to test-artifacts/screens/
(docs/screens/remote-390x844.png is a copy)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from facilitation_kit.testing import agenda_toml
from participant_page_helpers import TIMEOUT, XSS, assert_accessible, poll

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
NAME = "Zebulon Namecheck"
AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "What helps",
     "prompt": "What would make this service better for you?"},
    {"id": "vote", "plugin": "dot_vote", "title": "Priorities", "prompt": "Place your dots.",
     "items": ["More time to listen", "Less paperwork"], "dots": 3},
    {"id": "cards", "plugin": "value_mapping", "title": "Value cards"},
], title="Remote test workshop", roles=["Service user", "Manager"])


async def remote_url(host) -> str:
    token = (await host.command("remote_token"))["token"]
    return f"{host.http_url}/remote#token={token}"


async def test_remote_drives_the_room(workshop_host, new_phone, screens):
    host = await workshop_host(AGENDA)
    w = host.workshop
    person = await host.phone(name=NAME, role="Manager")
    remote = await new_phone()
    page = remote.page
    await page.goto(await remote_url(host))
    await expect(page.locator("#v-remote")).to_be_visible(timeout=TIMEOUT)
    await expect(page.locator("#conn")).to_have_text("Connected")
    await expect(page.locator("#workshop")).to_have_text("Remote test workshop")
    await expect(page.locator("#act-h")).to_have_text("What helps")
    await expect(page.locator("#act-pos")).to_have_text("Activity 1 of 3")
    await expect(page.locator("#act-state")).to_have_text("Not open yet")
    await expect(page.locator("#b-previous")).to_be_disabled()
    await expect(page.locator("#b-close")).to_be_disabled()

    # Next and Open reach the participant's phone
    await page.click("#b-next")
    assert (await person.wait_activity("vote"))["title"] == "Priorities"
    await expect(page.locator("#act-h")).to_have_text("Priorities", timeout=TIMEOUT)
    await page.click("#b-open")
    assert (await person.wait_activity("vote", "open"))["state"] == "open"
    await expect(page.locator("#act-state")).to_have_text("Open: people can answer", timeout=TIMEOUT)
    await expect(page.locator("#b-open")).to_be_disabled()
    await page.click("#b-close")
    await person.wait_activity("vote", "closed")
    await expect(page.locator("#act-state")).to_have_text("Closed", timeout=TIMEOUT)
    await page.click("#b-previous")
    await person.wait_activity("ideas")
    await expect(page.locator("#act-h")).to_have_text("What helps", timeout=TIMEOUT)
    await page.click("#b-open")
    await person.wait_activity("ideas", "open")

    # the timer: start 3 minutes, pause, +1 minute, resume, stop
    await page.fill("#minutes", "3")
    await page.click("#b-start")
    await expect(page.locator("#timer-text")).to_have_text(re.compile(r"^Time left: [23]:\d\d$"), timeout=TIMEOUT)
    while not person.activity.get("ends_at"):  # the phone's countdown got the timer too
        await person.recv()
    await page.click("#b-pause")
    await expect(page.locator("#timer-text")).to_have_text(re.compile(r"^Timer paused: [23]:\d\d$"), timeout=TIMEOUT)
    await expect(page.locator("#b-pause")).to_have_text("Resume")
    await page.click("#b-add")
    await expect(page.locator("#timer-text")).to_have_text(re.compile(r"^Timer paused: [34]:\d\d$"), timeout=TIMEOUT)
    await page.click("#b-pause")
    await expect(page.locator("#timer-text")).to_have_text(re.compile(r"^Time left: [34]:\d\d$"), timeout=TIMEOUT)
    await page.click("#b-clear")
    await expect(page.locator("#timer-text")).to_have_text("No timer", timeout=TIMEOUT)
    assert w.activity_state("ideas")["ends_at"] is None

    # approve before showing; held contributions are approved or hidden from the phone
    await expect(page.locator("#held-h")).to_have_text("Waiting for approval: 0")
    await page.click("#b-moderate")
    await expect(page.locator("#b-moderate")).to_have_text("Turn off approve before showing", timeout=TIMEOUT)
    assert w.activity_state("ideas")["moderated"] is True
    for cid, text in (("c1", "More time to listen to people"), ("c2", XSS), ("c3", "Trust the staff")):
        ack = await person.submit({"answer": text}, id=cid)
        assert ack["type"] == "ack", ack
    held = page.locator("#held-list li")
    await expect(held).to_have_count(3, timeout=TIMEOUT)
    await expect(page.locator("#held-h")).to_have_text("Waiting for approval: 3")
    await expect(held.nth(1)).to_contain_text(XSS)  # as text, never as markup
    assert await page.evaluate("window.__xss") is None
    await page.evaluate("window.scrollTo(0, 0)")
    SCREENS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENS / "remote-390x844.png"))  # what the phone shows at once
    await screens(page, "remote-full")  # the whole page
    await assert_accessible(page, "remote with held contributions")
    await held.filter(has_text="More time to listen").get_by_role("button", name="Approve").click()
    await held.filter(has_text="onerror").get_by_role("button", name="Hide").click()
    await expect(held).to_have_count(1, timeout=TIMEOUT)
    await expect(held).to_contain_text("Trust the staff")
    doc = {c["id"]: c for c in w.contributions("ideas", include_hidden=True) if c["participant"] == person.id}
    assert not doc["c1"].get("hidden") and not w.is_held(person.id, "c1")
    assert doc["c2"].get("hidden") and not w.is_held(person.id, "c2")
    assert w.is_held(person.id, "c3")

    # blank the room's screen, and show it again
    await expect(page.locator("#screen-state")).to_have_text("The room's screen is on.")
    await page.click("#b-blank")
    await expect(page.locator("#screen-state")).to_have_text("The room's screen is blank.", timeout=TIMEOUT)
    await expect(page.locator("#b-blank")).to_have_attribute("aria-pressed", "true")
    assert w.screen_settings["view"] == "blank"
    await assert_accessible(page, "remote, screen blanked")
    await page.click("#b-blank")
    await expect(page.locator("#screen-state")).to_have_text("The room's screen is on.", timeout=TIMEOUT)
    await poll(lambda: w.screen_settings.get("view"), "live")

    assert NAME not in await page.inner_text("body")
    # a new remote token: this page stops and says so
    await host.command("remote_token", action="new")
    await expect(page.locator("#message-h")).to_contain_text("This remote no longer works", timeout=TIMEOUT)
    await expect(page.locator("#v-remote")).to_be_hidden()
    await assert_accessible(page, "remote revoked")
    assert not remote.errors and not remote.csp_violations, remote.errors + remote.csp_violations


async def test_a_wrong_token_or_none_opens_nothing(workshop_host, new_phone):
    host = await workshop_host(AGENDA)
    await host.command("remote_token")
    remote = await new_phone()
    screen_token = host.host.screen_url.split("#token=")[1]
    for token in (screen_token, host.host.facilitator_token[:-2] + "zz"):
        await remote.page.goto(f"{host.http_url}/remote#token={token}")
        await expect(remote.page.locator("#message-h")).to_contain_text("This remote no longer works",
                                                                       timeout=TIMEOUT)
        await expect(remote.page.locator("#v-remote")).to_be_hidden()
    await remote.page.goto(f"{host.http_url}/remote")
    await remote.page.reload()
    await expect(remote.page.locator("#message-h")).to_contain_text("no remote key", timeout=TIMEOUT)
    await assert_accessible(remote.page, "remote without a key")


async def test_the_remote_speaks_the_phones_language(workshop_host, new_phone):
    host = await workshop_host(AGENDA)
    remote = await new_phone(locale="fi-FI")
    await remote.page.goto(await remote_url(host))
    await expect(remote.page.locator("#b-next")).to_have_text("Seuraava", timeout=TIMEOUT)
    await expect(remote.page.locator("#act-state")).to_have_text("Ei vielä avattu", timeout=TIMEOUT)
    assert await remote.page.evaluate("document.documentElement.lang") == "fi"
    await remote.page.click("#b-next")
    await expect(remote.page.locator("#act-h")).to_have_text("Priorities", timeout=TIMEOUT)
    await assert_accessible(remote.page, "remote in Finnish")
