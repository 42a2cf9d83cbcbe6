"""The room's screen page in headless Chromium at 1920x1080 and 1280x720, against a real
host on loopback: the lobby's QR code decodes (zbarimg) to the join link; an opened
activity shows its prompt and a running timer; a silent vote shows no tallies until
closed; held contributions stay off until approved; no participant name ever appears;
axe-core finds nothing on any view; the page resyncs by itself after the host restarts
with ``--resume`` (a real ``serve --headless`` subprocess).

Screenshots of every view go to test-artifacts/screens/ (docs/screens/ holds copies).
"""

from __future__ import annotations

import re
import socket
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
from playwright.async_api import expect

from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import agenda_toml
from facilitation_kit_plugins.dot_vote import item_id
from participant_page_helpers import TIMEOUT, XSS, assert_accessible, poll
from tests.conftest import require_tool
from tests.faults.helpers import Served

VIEWPORTS = {"1920x1080": {"width": 1920, "height": 1080}, "1280x720": {"width": 1280, "height": 720}}
NAME = "Zebulon Namecheck"

AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "What helps",
     "prompt": "What would make this service better for you?"},
    {"id": "vote", "plugin": "dot_vote", "title": "Priorities", "prompt": "Place your dots.",
     "items": ["More time to listen", "Trust front-line staff", "Less paperwork"], "dots": 3, "max_per_item": 3},
    {"id": "cards", "plugin": "value_mapping", "title": "Value cards"},
], title="Screen test workshop", roles=["Service user", "Front-line professional", "Manager"])


@pytest.fixture
async def room(tmp_path):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0) as host:
        yield host


def local(host) -> str:
    return f"http://127.0.0.1:{host.port}/screen#token={host.screen_url.split('#token=')[1]}"


async def open_screen(browser, url: str, size: str):
    context = await browser.new_context(viewport=VIEWPORTS[size], locale="en-GB")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and
            "WebSocket connection to" not in msg.text and "ERR_CONNECTION_REFUSED" not in msg.text else None)
    await page.goto(url)
    return context, page, errors


async def page_text(page) -> str:
    """Everything the page shows or carries: text, attributes, chart images (decoded)."""
    return unquote(await page.content()) + await page.inner_text("body")


async def submit(w, participant: str, cid: str, activity: str, data: dict) -> None:
    await w.submit(participant, cid, activity, data)


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_lobby_qr_decodes_to_the_join_link(room, browser, screens, size, tmp_path):
    zbarimg = require_tool("zbarimg", "decoding the screen's QR code (zbar-tools)")
    context, page, errors = await open_screen(browser, local(room), size)
    try:
        await expect(page.locator("#v-lobby")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("#lobby-code")).to_have_text(room.room)
        await expect(page.locator("#lobby-url")).to_have_text(room.url)
        await expect(page.locator("#lobby-next-title")).to_have_text("What helps")
        await expect(page.locator("#corner")).to_be_hidden()
        shot = tmp_path / "qr.png"
        await page.locator("#lobby-qr").screenshot(path=str(shot))
        decoded = subprocess.run([zbarimg, "--raw", "-q", str(shot)], capture_output=True, text=True, timeout=60)
        assert decoded.stdout.strip() == room.url
        p, _, _ = await room.workshop.join(name=NAME)
        room.workshop.connect(p["id"], resumed=False)
        await expect(page.locator("#lobby-joined")).to_have_text("1", timeout=TIMEOUT)
        await screens(page, f"screen-lobby-{size}")
        await assert_accessible(page, f"screen lobby {size}")
        assert NAME not in await page_text(page)
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_activity_prompt_timer_wall_highlight_cloud_and_blank(room, browser, screens, size):
    w = room.workshop
    context, page, errors = await open_screen(browser, local(room), size)
    try:
        await expect(page.locator("#v-lobby")).to_be_visible(timeout=TIMEOUT)
        await w.open()
        await w.set_timer(300)
        await expect(page.locator("#v-activity")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("#act-title")).to_have_text("What helps")
        await expect(page.locator("#act-prompt")).to_have_text("What would make this service better for you?")
        await expect(page.locator("#act-state")).to_have_text("Answer on your phone")
        timer = page.locator("#act-timer")
        await expect(timer).to_have_text(re.compile(r"^[45]:\d\d$"), timeout=TIMEOUT)
        first = await timer.inner_text()
        await expect(timer).not_to_have_text(first, timeout=TIMEOUT)  # it counts down
        await expect(page.locator("#corner")).to_be_visible()
        await expect(page.locator("#corner-code")).to_have_text(room.room)
        await screens(page, f"screen-activity-{size}")
        await assert_accessible(page, f"screen activity {size}")

        p, _, _ = await w.join(name=NAME, role="Manager")
        answers = ["More time to listen to people", "Trust the front-line staff to decide",
                   "Less paperwork, more care", "Continuity: the same worker every week", XSS]
        for i, text in enumerate(answers):
            await submit(w, p["id"], f"c{i}", "ideas", {"answer": text})
        await expect(page.locator("#act-answered")).to_have_text("1", timeout=TIMEOUT)
        await expect(page.locator(".wall li")).to_have_count(5, timeout=TIMEOUT)
        await expect(page.locator(".wall")).to_contain_text(XSS)  # as text, never as markup
        assert await page.evaluate("window.__xss") is None
        await screens(page, f"screen-wall-{size}")
        await assert_accessible(page, f"screen wall {size}")

        await w.set_screen("highlight", p["id"], "c3")
        await expect(page.locator("#hl-text")).to_have_text("Continuity: the same worker every week", timeout=TIMEOUT)
        await expect(page.locator("#hl-role")).to_be_hidden()  # roles only when the agenda asks
        await screens(page, f"screen-highlight-{size}")
        await assert_accessible(page, f"screen highlight {size}")

        await w.set_screen("blank")
        await expect(page.locator("#v-blank")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("#v-activity")).to_be_hidden()
        await screens(page, f"screen-blank-{size}")
        await assert_accessible(page, f"screen blank {size}")
        await w.set_screen("live")
        await expect(page.locator("#v-activity")).to_be_visible(timeout=TIMEOUT)

        await w.close()
        await expect(page.locator("#act-state")).to_have_text("Answers are closed", timeout=TIMEOUT)
        cloud = page.locator("#act-blocks figure.chart img")
        await expect(cloud).to_have_count(1, timeout=TIMEOUT)
        alt = await cloud.get_attribute("alt")
        assert "paperwork: 1" in alt and "the:" not in alt and "to:" not in alt
        await expect(page.locator("#act-timer-wrap")).to_be_hidden()
        await screens(page, f"screen-cloud-{size}")
        await assert_accessible(page, f"screen word cloud {size}")
        text = await page_text(page)
        assert NAME not in text and "Manager" not in text
        assert not errors, errors
    finally:
        await context.close()


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_silent_vote_and_held_contributions(room, browser, screens, size):
    w = room.workshop
    context, page, errors = await open_screen(browser, local(room), size)
    try:
        people = []
        for n in range(3):
            doc, _, _ = await w.join(name=f"{NAME} {n}", role="Service user")
            people.append(doc["id"])
        # held contributions: counted, never shown until approved
        await w.set_moderated("ideas", True)
        await w.open()
        await submit(w, people[0], "h1", "ideas", {"answer": "Approved words appear later"})
        await submit(w, people[1], "h2", "ideas", {"answer": "Rejected words never appear"})
        await expect(page.locator("#act-answered")).to_have_text("2", timeout=TIMEOUT)
        await expect(page.locator("#act-note")).to_have_text("Nothing to show yet.")
        assert "words appear" not in await page_text(page)
        await w.set_hidden(people[0], "h1", False)  # approve
        await w.set_hidden(people[1], "h2", True)   # reject
        await expect(page.locator(".wall")).to_contain_text("Approved words appear later", timeout=TIMEOUT)
        await expect(page.locator("#act-answered")).to_have_text("1")
        assert "Rejected words" not in await page_text(page)

        # the silent vote: nothing until it is closed, even when results are asked for
        await w.next()
        await w.open()
        for pid, item in zip(people, ["Trust front-line staff", "Trust front-line staff", "Less paperwork"]):
            await submit(w, pid, "v", "vote", {"dots": {item_id(item): 3}})
        await expect(page.locator("#act-answered")).to_have_text("3", timeout=TIMEOUT)
        await w.set_screen("results")
        await expect(page.locator("#v-activity.results")).to_be_visible(timeout=TIMEOUT)
        await expect(page.locator("#act-note")).to_have_text("The results are shown when the vote is closed.")
        await expect(page.locator("#act-blocks > *")).to_have_count(0)
        text = await page_text(page)
        assert "6 dots" not in text and "Trust front-line staff" not in text
        await screens(page, f"screen-vote-hidden-{size}")
        await assert_accessible(page, f"screen silent vote {size}")
        await w.close()
        chart = page.locator("#act-blocks figure.chart img")
        await expect(chart).to_have_count(1, timeout=TIMEOUT)
        assert "1. Trust front-line staff: 6 dots" in await chart.get_attribute("alt")
        await expect(page.locator("#act-note")).to_be_hidden()
        await screens(page, f"screen-results-{size}")
        await assert_accessible(page, f"screen results {size}")
        assert NAME not in await page_text(page)
        assert not errors, errors
    finally:
        await context.close()


async def test_revoked_link_says_so_in_words(room, browser):
    context, page, errors = await open_screen(browser, local(room), "1280x720")
    try:
        await expect(page.locator("#v-lobby")).to_be_visible(timeout=TIMEOUT)
        await room.workshop.new_screen_token()
        await expect(page.locator("#connecting-h")).to_contain_text("no longer works", timeout=TIMEOUT)
        await page.goto(f"http://127.0.0.1:{room.port}/screen")
        await expect(page.locator("#connecting-h")).to_contain_text("no screen key", timeout=TIMEOUT)
    finally:
        await context.close()


async def test_screen_speaks_the_agendas_language(tmp_path, browser):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA.replace('title = "Screen test workshop"',
                                   'title = "Screen test workshop"\nlanguage = "fi"'), encoding="utf-8")
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0) as host:
        context, page, _ = await open_screen(browser, local(host), "1280x720")
        try:
            await expect(page.locator("#lobby-join")).to_have_text("Liity puhelimellasi", timeout=TIMEOUT)
            assert await page.get_attribute("html", "lang") == "fi"
        finally:
            await context.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_screen_resyncs_after_the_host_restarts_with_resume(tmp_path, browser):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    port = free_port()
    served = Served(tmp_path / "data", "--port", str(port), agenda=agenda)
    try:
        info = served.info
        assert info["port"] == port and info["screen_url"]
        url = info["screen_url"]
        context, page, errors = await open_screen(browser, url, "1920x1080")
        await expect(page.locator("#v-lobby")).to_be_visible(timeout=TIMEOUT)
        served.kill9()  # a crash, not a clean stop
        await expect(page.locator("#conn")).to_contain_text("Reconnecting", timeout=TIMEOUT)
        served = Served(tmp_path / "data", "--resume", info["session_id"], "--port", str(port))
        assert served.info["screen_url"] == url  # the projector need not be touched
        from facilitation_kit.testing import Facilitator

        facilitator = await Facilitator.connect(served.ws, served.info["facilitator_token"])
        assert (await facilitator.send_command("open"))["type"] == "ok"
        await expect(page.locator("#act-title")).to_have_text("What helps", timeout=30_000)
        await expect(page.locator("#conn")).to_be_hidden()
        await facilitator.close()
        await context.close()
        assert not errors, errors
    finally:
        served.stop()


async def assert_tiles_fit(page) -> None:
    """Readable across the room: a theme's label is larger than body text, the tiles fit
    the display, and the corner's join code covers none of them."""
    sizes = await page.evaluate("""() => {
        const label = document.querySelector('.theme-label');
        const body = parseFloat(getComputedStyle(document.body).fontSize);
        const tiles = [...document.querySelectorAll('ol.themes > li')].map(t => t.getBoundingClientRect());
        const c = document.getElementById('corner').getBoundingClientRect();
        const overlaps = tiles.some(t => t.left < c.right && c.left < t.right && t.top < c.bottom && c.top < t.bottom);
        return {label: parseFloat(getComputedStyle(label).fontSize), body, bottom: tiles.pop().bottom,
            height: window.innerHeight, width: document.documentElement.scrollWidth,
            view: window.innerWidth, overlaps};
    }""")
    assert sizes["label"] >= 1.1 * sizes["body"] and sizes["label"] >= 30
    assert sizes["bottom"] <= sizes["height"] and sizes["width"] <= sizes["view"]
    assert not sizes["overlaps"]  # the corner's join code covers no tile


THEMES = {"Continuity of care": ["The same worker every time", "One contact person who knows me",
                                 "Not telling my story again and again", "A worker who remembers me"],
          "Waiting times": ["Shorter waiting times", "I waited months for a call back", "Faster first appointment"],
          "Paperwork": ["Less paperwork please", "Simpler forms"],
          "Letters": ["Letters in plain language"]}


@pytest.mark.parametrize("size", VIEWPORTS)
async def test_themes_are_large_tiles_confirmed_only_without_names(room, browser, screens, size):
    w = room.workshop
    context, page, errors = await open_screen(browser, local(room), size)
    try:
        await w.open()
        refs: dict[str, list[tuple[str, str]]] = {}
        n = 0
        for label, texts in THEMES.items():
            for text in texts:
                p, _, _ = await w.join(name=f"{NAME} {n}", role="Service user")
                await submit(w, p["id"], f"t{n}", "ideas", {"answer": text})
                refs.setdefault(label, []).append((p["id"], f"t{n}"))
                n += 1
        await w.set_screen("themes")
        await expect(page.locator("#act-note")).to_have_text("No themes are confirmed yet.", timeout=TIMEOUT)
        from facilitation_kit.testing import Facilitator

        facilitator = await Facilitator.connect(f"ws://127.0.0.1:{room.port}", room.facilitator_token)

        async def command(kind, **fields):
            frame = await facilitator.send_command(kind, **fields)
            assert frame["type"] == "ok", frame
            return frame

        for label, members in refs.items():
            theme = (await command("theme_create", activity="ideas", label=label,
                                   contributions=[{"participant": p, "id": c} for p, c in members]))["theme"]
            if label != "Letters":  # a suggestion not confirmed never shows
                await command("theme_confirm", theme=theme["id"])
        for label, index in (("Continuity of care", 1), ("Letters", 0)):
            pid, cid = refs[label][index]
            await command("star", participant=pid, id=cid)
        tiles = page.locator("ol.themes > li")
        await expect(tiles).to_have_count(3, timeout=TIMEOUT)
        await expect(page.locator("#act-title")).to_have_text("Themes: What helps")
        await expect(page.locator("#act-prompt")).to_be_hidden()
        # largest first; the count in words and figures; only the starred member quoted
        await expect(tiles.locator(".theme-label")).to_have_text(["Continuity of care", "Waiting times", "Paperwork"])
        await expect(tiles.locator(".theme-count")).to_have_text(["Contributions: 4", "Contributions: 3",
                                                                  "Contributions: 2"])
        await expect(tiles.nth(0).locator(".theme-quote")).to_have_text("One contact person who knows me",
                                                                         timeout=TIMEOUT)
        await expect(tiles.nth(1).locator(".theme-quote")).to_have_count(0)
        text = await page_text(page)
        assert "Letters" not in text and NAME not in text and "Service user" not in text
        # readable across the room: the label is at least body size, the tiles fit the screen
        await assert_tiles_fit(page)
        await screens(page, f"screen-themes-{size}")
        await assert_accessible(page, f"screen themes {size}")
        # hiding a member takes it out of the count and its words off the tile
        await w.set_hidden(*refs["Continuity of care"][1], True)
        await expect(tiles.nth(0).locator(".theme-count")).to_have_text("Contributions: 3", timeout=TIMEOUT)
        assert "knows me" not in await page_text(page)
        # nine confirmed themes: the eight largest fit on the screen, the ninth is counted
        for k in range(6):
            p, _, _ = await w.join(role="Service user")
            await submit(w, p["id"], f"x{k}", "ideas", {"answer": f"Idea number {k}"})
            theme = (await command("theme_create", activity="ideas", label=f"Small theme {k}",
                                   contributions=[{"participant": p["id"], "id": f"x{k}"}]))["theme"]
            await command("theme_confirm", theme=theme["id"])
        await expect(tiles).to_have_count(8, timeout=TIMEOUT)
        await expect(page.locator("#act-blocks > p.para")).to_have_text("More themes: 1")
        await assert_tiles_fit(page)
        await screens(page, f"screen-themes-many-{size}")
        await assert_accessible(page, f"screen eight themes {size}")
        await facilitator.close()
        assert not errors, errors
    finally:
        await context.close()
