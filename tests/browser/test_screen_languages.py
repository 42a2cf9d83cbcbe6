"""The room's screen in the agenda's language, in headless Chromium against a real host:
with ``language = "fi"`` every built-in activity's screen view shows Finnish (its
catalogue's words, chart titles and labels included: the charts are read from the
page's image sources), and no English text of a plugin catalogue or of the page leaks
onto the screen. Every new screen key exists in all eight languages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.async_api import expect

from facilitation_kit import LANGUAGES, Catalogue
from facilitation_kit.host.assembly import Host
from facilitation_kit.testing import agenda_toml
from facilitation_kit_plugins._shared import catalogue
from facilitation_kit_plugins.dot_vote import item_id
from participant_page_helpers import TIMEOUT, assert_accessible
from test_screen import local, open_screen, page_text

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "plugins" / "facilitation_kit_plugins" / "locales"
SCREEN_I18N = ROOT / "facilitation_kit" / "web" / "screen-i18n"
MAIN = Catalogue("facilitation_kit_plugins")
FI = json.loads((SCREEN_I18N / "fi.json").read_text("utf-8"))
ROLES = ["Service user", "Front-line professional", "Manager"]

AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "Mikä auttaa"},
    {"id": "vote", "plugin": "dot_vote", "title": "Tärkeimmät", "items": ["Enemmän aikaa", "Vähemmän lomakkeita"],
     "dots": 3, "max_per_item": 3},
    {"id": "cards", "plugin": "value_mapping", "title": "Arvokortit"},
    {"id": "shifts", "plugin": "role_redefinition", "title": "Roolit"},
    {"id": "compass", "plugin": "ethical_compass", "title": "Kompassi"},
    {"id": "rate", "plugin": "rate_items", "title": "Arviot", "items": ["Keskusteluaika", "Vertaisryhmät"]},
    {"id": "stories", "plugin": "story", "title": "Tarinat"},
    {"id": "journey", "plugin": "journey", "title": "Polku"},
    {"id": "actions", "plugin": "actions", "title": "Toimet"},
], title="Näyttötesti", roles=ROLES).replace('title = "Näyttötesti"', 'title = "Näyttötesti"\nlanguage = "fi"')


def grid(today: int, wanted: int) -> dict:
    return {"person_today": str(today), "person_wanted": str(wanted),
            "professional_today": str(6 - today), "professional_wanted": str(6 - wanted)}


def answers(activity: str, n: int, fields: list[str]) -> dict:
    """Participant n's answer to each activity, in Finnish."""
    return {
        "ideas": {"answer": ["Sama työntekijä joka kerta", "Vähemmän paperitöitä", "Aikaa kuunnella"][n]},
        "vote": {"dots": {item_id("Enemmän aikaa"): 3 - n, item_id("Vähemmän lomakkeita"): n}},
        "cards": {"text": f"Kortti {n}: sama työntekijä", "kind": ["outcome", "output", "destroyed"][n],
                  "importance": 5, "support": 1 + n},
        "shifts": {"role": "Front-line professional", "from_text": f"Tarkistaa säännöt {n}",
                   "to_text": f"Auttaa löytämään keinot {n}"},
        "compass": {"significance": grid(2, 3), "responsibilities": grid(3, 3), "resources": grid(2, 4),
                    "participation": grid(1, 3)},
        "rate": {name: 2 + n for name in fields},
        "stories": {"happened": f"Tarina {n}: sain apua ajoissa", "changed": "Paljon", "kind": "helped",
                    "quote": "yes"},
        "journey": {"stage": "assessment", "happened": f"Odotin {n} viikkoa", "felt": str(2 + n),
                    "mattered": "Aika"},
        "actions": {"what": f"Soitetaan takaisin {n}", "who": "Tiimimme", "by_when": "Toukokuu",
                    "hear_back": "Kirje"},
    }[activity]


def expected(activity: str) -> list[str]:
    """Finnish words each activity's screen view must show (3 people answered)."""
    t = MAIN.t
    return {
        "ideas": [t("fi", "open_question.count", count=3)],
        "vote": [t("fi", "dot_vote.screen_title"), t("fi", "dot_vote.voters", count=3),
                 t("fi", "dot_vote.alt_dots", rank=1, item="Enemmän aikaa", count=6)],
        "cards": [t("fi", "value_mapping.screen_title"), t("fi", "value_mapping.kind.outcome"),
                  t("fi", "value_mapping.cards_unit")],
        "shifts": [t("fi", "role_redefinition.proposed", count=3), t("fi", "role_redefinition.role.Front-line professional")],
        "compass": [t("fi", "ethical_compass.chart_title"), t("fi", "ethical_compass.today_col")],
        "rate": [catalogue("rate_items").t("fi", "rate_items.count", count=3)],
        "stories": [catalogue("story").t("fi", "story.count", count=3)],
        "journey": [catalogue("journey").t("fi", "journey.count", count=3)],
        "actions": [catalogue("actions").t("fi", "actions.count", count=3),
                    catalogue("actions").t("fi", "actions.what_col")],
    }[activity]


def english_texts() -> set[str]:
    """Every English text of the plugin catalogues and the screen page that differs in
    Finnish (the longest literal run of a text with placeholders), for leak checks."""
    out = set()
    folders = [LOCALES, *[p for p in LOCALES.iterdir() if p.is_dir()], SCREEN_I18N]
    for folder in folders:
        en = json.loads((folder / "en.json").read_text("utf-8"))
        fi = json.loads((folder / "fi.json").read_text("utf-8"))
        for key, value in en.items():
            if fi.get(key) == value:
                continue
            for text in value.values() if isinstance(value, dict) else [value]:
                run = max(re.split(r"\{\w+\}", text), key=len).strip()
                if len(run) >= 8:
                    out.add(run)
    return out


async def test_every_built_in_screen_view_speaks_finnish(tmp_path, browser, screens):
    path = tmp_path / "agenda.toml"
    path.write_text(AGENDA, encoding="utf-8")
    leaks = english_texts()
    async with Host.start(path, data_dir=tmp_path / "data", host="127.0.0.1", port=0) as host:
        w = host.workshop
        people = [(await w.join(role=role))[0]["id"] for role in ROLES]
        context, page, errors = await open_screen(browser, local(host), "1920x1080")
        try:
            await expect(page.locator("#lobby-join")).to_have_text(FI["join_on_phone"], timeout=TIMEOUT)
            for index, act in enumerate(w.agenda.activities):
                if index:
                    await w.next()
                await w.open()
                view = await w.activity_view(act.id)
                fields = [f["name"] for f in view["form"]["fields"]]
                for n, pid in enumerate(people):
                    await w.submit(pid, f"{act.id}-{n}", act.id, answers(act.id, n, fields))
                await w.close()
                await expect(page.locator("#act-title")).to_have_text(act.title, timeout=TIMEOUT)
                await expect(page.locator("#act-state")).to_have_text(FI["answers_closed"], timeout=TIMEOUT)
                await expect(page.locator("#act-answered")).to_have_text("3", timeout=TIMEOUT)
                for text in expected(act.id):
                    await expect(page.locator("#act-blocks")).not_to_be_empty(timeout=TIMEOUT)
                    shown = await page_text(page)
                    assert text in shown, (act.id, text)
                shown = await page_text(page)
                leaked = sorted(e for e in leaks if e in shown)
                assert not leaked, (act.id, leaked)
                await screens(page, f"screen-fi-{act.id}")
            await assert_accessible(page, "screen in Finnish")
            assert not errors, errors
        finally:
            await context.close()


NEW_KEYS = ("dot_vote.none", "dot_vote.screen_title", "dot_vote.alt_dots", "open_question.no_words",
            "role_redefinition.proposed", "value_mapping.cards", "value_mapping.screen_title")


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_the_plugin_catalogue_has_every_key_in_every_language(lang):
    en = json.loads((LOCALES / "en.json").read_text("utf-8"))
    other = json.loads((LOCALES / f"{lang}.json").read_text("utf-8"))
    assert set(other) == set(en)
    assert set(NEW_KEYS) <= set(en)
    for key in NEW_KEYS:  # real translations, not English copies
        assert other[key] != en[key], (lang, key)
    for key, value in en.items():
        if isinstance(value, dict):
            forms = {"one", "few", "many"} if lang == "pl" else {"one", "other"}
            assert forms <= set(other[key]), (lang, key)
        placeholders = {p for v in (value.values() if isinstance(value, dict) else [value])
                        for p in re.findall(r"\{(\w+)\}", v)}
        theirs = {p for v in (other[key].values() if isinstance(other[key], dict) else [other[key]])
                  for p in re.findall(r"\{(\w+)\}", v)}
        assert theirs == placeholders, (lang, key)
