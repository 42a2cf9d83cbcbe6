"""Helpers shared by the participant page tests (imported by name; this folder is on
sys.path under pytest's default import mode)."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page, async_playwright, expect

XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'
TIMEOUT = 15_000  # ms; generous for a loaded CI machine, never a speed assertion
CHROMIUM = os.environ.get("FACILITATION_KIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}


class Phone:
    """A phone-sized page plus what went wrong on it (console errors, dialogs)."""

    def __init__(self, context, page):
        self.context, self.page = context, page
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.csp_violations: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, msg):
        if msg.type == "error":
            text = msg.text
            # A refused websocket while the host is down is expected and logged by Chromium.
            if "WebSocket connection to" in text or "ERR_CONNECTION_REFUSED" in text:
                return
            if "Content Security Policy" in text:
                self.csp_violations.append(text)
            self.errors.append(text)

    async def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        await dialog.dismiss()


@asynccontextmanager
async def chromium(what: str):
    """Headless Chromium for ``what`` (a test's words); without it, fail in CI (CI=true) and
    skip elsewhere (tests.conftest.require_tool)."""
    from tests.conftest import require_tool

    require_tool(CHROMIUM, f"{what} (headless Chromium)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            await b.close()


async def join(page: Page, url: str, *, name: str | None = None, role: str | None = None) -> None:
    """Open the QR link and join (anonymous unless a name is given)."""
    await page.goto(url)
    await expect(page.locator("#join-btn")).to_be_visible(timeout=TIMEOUT)
    if name:
        await page.fill("#join-name", name)
    if role:
        await page.locator("#join-roles label", has_text=role).click()
    await page.click("#join-btn")
    await connected(page)


async def connected(page: Page) -> None:
    await expect(page.locator("#conn-text")).to_have_attribute("data-state", "on", timeout=TIMEOUT)
    await expect(page.locator("#screen-main")).to_be_visible(timeout=TIMEOUT)


async def activity_shown(page: Page, title: str, state: str = "open") -> None:
    await expect(page.locator("#activity-h")).to_have_text(title, timeout=TIMEOUT)
    if state == "open":
        await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
    else:
        await expect(page.locator("#activity-form")).to_be_hidden(timeout=TIMEOUT)


async def poll(fn, expected, timeout: float = TIMEOUT / 1000):
    """Wait until ``await fn()`` (or ``fn()``) equals ``expected``; return the last value."""
    import asyncio
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = fn()
        if inspect.isawaitable(value):
            value = await value
        if value == expected or loop.time() > deadline:
            assert value == expected
            return value
        await asyncio.sleep(0.1)


async def open_activity(host, activity_id: str) -> None:
    await host.workshop.goto(activity_id)
    await host.workshop.open()


def stored(host, activity_id: str | None = None) -> list[dict]:
    return host.workshop.contributions(activity_id, include_hidden=True)


async def saved_items(page: Page, count: int) -> None:
    """Wait until ``count`` contributions in "My contributions" are acked ("Saved")."""
    await expect(page.locator("#mine-list .status-saved")).to_have_count(count, timeout=TIMEOUT)


async def assert_accessible(page: Page, screen: str) -> None:
    """axe-core (bundled with axe-playwright-python, no CDN) with WCAG 2.0/2.1 A and AA
    rules: zero violations."""
    results = await Axe().run(page, options={
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
        "resultTypes": ["violations"],
    })
    violations = results.response["violations"]
    detail = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> " + ", ".join(str(n["target"]) for n in v["nodes"][:5])
        for v in violations)
    assert not violations, f"axe violations on the {screen} screen:\n{detail}"
