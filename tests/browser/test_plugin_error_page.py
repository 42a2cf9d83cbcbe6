"""A plugin that fails on a submission: the phone shows a plain sentence in its own
language (the page's translation of the code ``plugin_error``), never the developer's
exception text, which goes to the facilitator and the session's log file."""

from __future__ import annotations

import json

import pytest
from playwright.async_api import expect

from facilitation_kit import hookimpl
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.core.plugins import load_plugins
from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import single_activity

from participant_page_helpers import TIMEOUT, connected, open_activity

pytestmark = pytest.mark.browser
WEB_I18N = __import__("pathlib").Path(__file__).resolve().parents[2] / "facilitation_kit" / "web" / "i18n"


class Crashy(ActivityType):
    name = "crashy"
    title = "Crashy"

    def form(self, activity):
        return Form([TextField("answer", label="Answer")])

    def validate(self, activity, data):
        raise RuntimeError("KeyError in crashy.validate: secret internals")


class CrashyPlugin:
    @hookimpl
    def register_activities(self, register):
        register(Crashy())


@pytest.mark.parametrize("locale, lang", [("fi-FI", "fi"), ("de-DE", "de")])
async def test_a_plugin_failure_is_shown_in_the_phones_language(tmp_path, new_phone, locale, lang):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(single_activity("crashy"), encoding="utf-8")
    plugins = load_plugins(extra=[("crashy", CrashyPlugin())])
    async with Host.start(agenda, data_dir=tmp_path / "data", host="127.0.0.1", port=0,
                          plugins=plugins) as host:
        phone = await new_phone(locale=locale)
        page = phone.page
        await open_activity(host, "a1")
        await page.goto(host.url)
        await page.click("#join-btn")
        await connected(page)
        await page.fill("#f0-input", "my answer")
        await page.click("#send-btn")
        expected = json.loads((WEB_I18N / f"{lang}.json").read_text(encoding="utf-8"))["err_plugin"]
        await expect(page.locator("#alert")).to_have_text(expected, timeout=TIMEOUT)
        body = await page.locator("body").inner_text()
        assert "RuntimeError" not in body and "secret internals" not in body
        log_text = host.log_file.read_text(encoding="utf-8")
        assert "RuntimeError: KeyError in crashy.validate: secret internals" in log_text
        assert "Traceback (most recent call last)" in log_text
