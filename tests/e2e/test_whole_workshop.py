"""A whole co-creation workshop, end to end (issue 13): the facilitator's real Textual TUI
(driven by the Pilot, the keys a facilitator presses), the host in its own child process
as `facilitation-kit run` starts it (port 0, a temp data dir), and eight phones in one
headless Chromium (a context each) that join from the link the TUI shows and fill in
the real forms by clicking and typing, in English and in Finnish.

The steps (tests/e2e/workshop.toml): stories (Most Significant Change) -> value cards ->
the facilitator groups them in the Themes view (suggestions accepted, edited and rejected,
then fixed by hand) and stars contributions -> everyone rates the themes (`from_themes`)
-> a journey map -> a dot vote over the rated themes' top 3 (`from`, `top = 3`) ->
actions with owners for the vote's top 2 -> the report (Markdown, HTML) and the JSON
export, written from the TUI's export keys.

Who is in the room: three people who use the service (two of them on Finnish phones),
three front-line staff (one Finnish), one family member and one manager. With `min_group
= 3` the family member and the manager are fewer than three in their roles (and fewer
than three together): no result may show them as a role group.

Checked at each step: what each phone shows (its form in its language), what the TUI
shows (live counts, results), and at the end the report's first page and that every
contribution a phone sent is in the JSON export.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from playwright.async_api import expect

from facilitation_kit.report.results import session_results
from facilitation_kit.tui.app import make_app
from facilitation_kit.tui.screens.dialogs import ExportScreen
from facilitation_kit.tui.screens.themes import LabelScreen, ThemesScreen
from facilitation_kit.tui.widgets.activity import ContributionTable
from facilitation_kit.tui.widgets.qr import QRCode
from tests.browser.participant_page_helpers import PHONE, TIMEOUT, Phone, chromium, join, saved_items
from tests.tui.helpers import wait_for, wait_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AGENDA = Path(__file__).with_name("workshop.toml")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
SIZE = (140, 45)

#: How each role is offered on the join screen, per language (the kit's plain words).
ROLE_WORDS = {
    "en": {"Service user": "I use this service", "Family or peer": "I'm family or a friend",
           "Front-line professional": "I work with people in this service", "Manager": "I manage or plan the service"},
    "fi": {"Service user": "Käytän tätä palvelua", "Family or peer": "Olen omainen tai ystävä",
           "Front-line professional": "Työskentelen ihmisten kanssa", "Manager": "Johdan tai suunnittelen"},
}

#: Per activity: its title on a phone, and words its form must show, per language.
FORM_WORDS = {
    "stories": {"en": ("A time that mattered", ["What happened?", "May we quote you (without your name)?",
                                                "The service let me down"]),
                "fi": ("Hetki, jolla oli väliä", ["Mitä tapahtui?", "Saammeko lainata sinua (ilman nimeäsi)?",
                                                  "Palvelu petti minut"])},
    "values": {"en": ("What matters, what is counted", ["Your card", "What is it about?",
                                                        "Something the service counts or checks"]),
               "fi": ("Mikä on tärkeää, mitä lasketaan", ["Korttisi", "Mistä on kyse?",
                                                          "Jotain, mitä palvelu laskee tai tarkistaa"])},
    "rate": {"en": ("Everyone rates the themes", ["How important is it?", "How well does the service do it today?",
                                                  "I don't know"]),
             "fi": ("Kaikki arvioivat teemat", ["Kuinka tärkeää se on?", "Kuinka hyvin palvelu tekee sen nyt?",
                                                "En osaa sanoa"])},
    "journey": {"en": ("Our way through home care", ["Which stage was it?", "How did it feel?", "Assessment"]),
                "fi": ("Polkumme kotihoidossa", ["Missä vaiheessa se oli?", "Miltä se tuntui?", "Arviointi"])},
    "vote": {"en": ("What we take to management", ["You have 3 dots. Give them to what matters most."]),
             "fi": ("Mitä viemme johdolle", ["Sinulla on 3 pistettä. Anna ne sille, mikä on tärkeintä."])},
    "actions": {"en": ("Who does what", ["What will be done?", "Who will do it?", "How will participants hear back?"]),
                "fi": ("Kuka tekee mitä", ["Mitä tehdään?", "Kuka tekee sen?", "Miten osallistujat kuulevat"])},
}
#: English words a Finnish phone must not show (and the other way round), per activity.
NOT_IN_FI = {"stories": "What happened?", "values": "Your card", "rate": "How important is it?",
             "journey": "How did it feel?", "vote": "You have 3 dots", "actions": "What will be done?"}
NOT_IN_EN = {"stories": "Mitä tapahtui?", "values": "Korttisi", "rate": "Kuinka tärkeää",
             "journey": "Miltä se tuntui?", "vote": "Sinulla on 3", "actions": "Mitä tehdään?"}

# The four themes the facilitator ends up with (and the cards that belong to each).
SAME = "Same worker every time"
WAIT = "Waiting for help"
FORMS = "Forms and paperwork"
HEARD = "Being listened to"
THEMES = [SAME, WAIT, FORMS, HEARD]

VALUE_KINDS = ["created", "output", "outcome", "missed", "destroyed", "idea"]
STAGES = ["first_contact", "assessment", "plan", "support", "leaving"]


@dataclass
class Person:
    name: str  # only for the test's own messages: everyone joins anonymously
    role: str
    lang: str
    story: tuple[str, str, str]  # what happened, kind ("helped"/"let_down"), quote ("yes"/"no")
    cards: list[tuple[str, str, str | None]]  # (text, kind, its true theme or None)
    ratings: dict[str, tuple[int | None, int | None]]  # theme -> (importance, support); None: don't know
    moment: tuple[str, str, int]  # stage, what happened, how it felt (1-5)
    dots: dict[str, int]  # theme -> dots
    action: dict[str, str] | None = None  # the priority's theme under "priority"
    phone: Phone | None = field(default=None, repr=False)


PEOPLE = [
    Person("Ulla", "Service user", "en",
           ("My carer changed every week, so I stopped opening the door.", "let_down", "yes"),
           [("The same worker every time", "outcome", SAME),
            ("I waited three months for the first visit", "destroyed", WAIT)],
           {SAME: (5, 1), WAIT: (4, 2), FORMS: (2, 3), HEARD: (4, 1)},
           ("assessment", "The assessment took three visits and nobody asked what I can do.", 1),
           {SAME: 2, HEARD: 1}),
    Person("Aino", "Service user", "fi",
           ("Sama hoitaja kävi koko talven ja tunsi minut.", "helped", "yes"),
           [("Sama hoitaja joka kerta", "outcome", SAME),
            ("Kukaan ei kuuntele mitä haluan", "destroyed", HEARD)],
           {SAME: (5, 1), WAIT: (4, 2), FORMS: (2, None), HEARD: (4, 1)},
           ("assessment", "Arviointi kesti kuukauden.", 2),
           {SAME: 2, HEARD: 1}),
    Person("Eero", "Service user", "fi",
           ("Jouduin kertomaan asiani uudelleen joka kerta.", "let_down", "no"),
           [("Odotin apua kuukausia", "destroyed", WAIT),
            ("Hoitaja vaihtuu joka viikko", "destroyed", SAME)],
           {SAME: (5, 1), WAIT: (4, 2), FORMS: (2, 3), HEARD: (4, 1)},
           ("assessment", "Kukaan ei kysynyt mitä osaan itse.", 1),
           {SAME: 2, HEARD: 1}),
    Person("Fiona", "Family or peer", "en",
           ("A nurse called me at night when my mother fell.", "helped", "yes"),
           [("Nobody listens to what my mother wants", "destroyed", HEARD),
            ("Evening visits for my mother", "idea", None)],
           {SAME: (5, 2), WAIT: (4, 2), FORMS: (1, 3), HEARD: (5, 1)},
           ("support", "Visits were cut to ten minutes.", 2),
           {HEARD: 2, SAME: 1}),
    Person("Sam", "Front-line professional", "en",
           ("We found time for a long talk and the plan changed.", "helped", "yes"),
           [("Too many forms to fill in", "output", FORMS),
            ("Visits counted in minutes", "output", None)],
           {SAME: (4, 4), WAIT: (4, 3), FORMS: (5, 2), HEARD: (3, 4)},
           ("assessment", "We assess everyone in one visit.", 4),
           {WAIT: 2, SAME: 1}),
    Person("Sanna", "Front-line professional", "fi",
           ("Asiakas sai tukea nopeasti, kun tiimi auttoi.", "helped", "yes"),
           [("Liikaa lomakkeita ja kirjaamista", "output", FORMS),
            ("Asiakkaalle oma hoitaja", "idea", SAME)],
           {SAME: (4, 4), WAIT: (4, 3), FORMS: (5, 2), HEARD: (3, 4)},
           ("assessment", "Arvio tehdään nopeasti.", 4),
           {WAIT: 2, SAME: 1},
           {"priority": WAIT, "what": "Arviointi kahden viikon sisällä", "who": "Kotihoidon tiimi",
            "by_when": "Kesäkuun loppuun mennessä", "support": "",
            "hear_back": "Kerromme asiakastapaamisessa kesäkuussa."}),
    Person("Tom", "Front-line professional", "en",
           ("A client got her own key worker and came back to the day centre.", "helped", "yes"),
           [("Long waiting lists for assessment", "output", WAIT),
            ("Paperwork takes our time from people", "destroyed", FORMS)],
           {SAME: (4, 4), WAIT: (4, 3), FORMS: (5, 2), HEARD: (3, 4)},
           ("assessment", "The assessment form is clear.", 5),
           {WAIT: 2, SAME: 1}),
    Person("Mia", "Manager", "en",
           ("Our budget report showed visits, not what changed for people.", "let_down", "yes"),
           [("Less paperwork for the team", "output", FORMS),
            ("People want to be heard before we plan", "outcome", HEARD)],
           {SAME: (3, 5), WAIT: (4, 4), FORMS: (4, 3), HEARD: (3, 4)},
           ("first_contact", "The first call is answered within a day.", 3),
           {WAIT: 2, HEARD: 1},
           {"priority": SAME, "what": "Give each person one named care worker", "who": "Head of home care",
            "by_when": "1 May", "support": "Two more staff hours a week",
            "hear_back": "A letter to everyone in May, and at the next user forum."}),
]
LONE_ROLES = ["Family or peer", "Manager"]  # fewer than min_group = 3, even together


# --------------------------------------------------------------------------- helpers
def keys_for(text: str) -> list[str]:
    """The keys a facilitator presses to type ``text`` into an input."""
    return ["space" if ch == " " else ch for ch in text]


async def type_label(pilot, text: str) -> None:
    """In the theme-name dialog: clear what is offered, type ``text``, press enter."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, LabelScreen), what="the theme-name dialog")
    await pilot.press("home", "ctrl+k", *keys_for(text), "enter")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, LabelScreen), what="the dialog closed")


async def cursor_to(pilot, table, key: str) -> None:
    """Move a table's cursor to the row ``key`` with the arrow keys."""
    target = table.get_row_index(key)
    for _ in range(table.row_count + 1):
        if table.cursor_row == target:
            return
        await pilot.press("down" if table.cursor_row < target else "up")
    assert table.cursor_row == target


def key_of(c: dict) -> str:
    return f"{c['participant']}/{c['id']}"


def themes_of(w) -> list[dict]:
    return sorted((t for t in w.tables["themes"].values() if t["activity"] == "values"),
                  key=lambda t: t["created_at"])


async def phone_form(person: Person, activity_id: str) -> str:
    """Wait until the phone shows this activity's form, in its language; return its text."""
    page = person.phone.page
    title, words = FORM_WORDS[activity_id][person.lang]
    await expect(page.locator("#activity-h")).to_have_text(title, timeout=TIMEOUT)
    await expect(page.locator("#activity-form")).to_be_visible(timeout=TIMEOUT)
    text = await page.locator("#activity").inner_text()
    for w in words:
        assert w in text, (person.name, activity_id, w)
    other = NOT_IN_FI if person.lang == "fi" else NOT_IN_EN
    assert other[activity_id] not in text, (person.name, activity_id, "wrong language")
    return text


async def send(person: Person, saved: int) -> None:
    page = person.phone.page
    await page.click("#send-btn")
    await saved_items(page, saved)


async def fieldsets(page) -> list[tuple[str, str]]:
    """(id, legend) of each question of the open form, in order."""
    out = []
    for fs in await page.locator("#activity-form fieldset.field").all():
        out.append((await fs.get_attribute("id"), (await fs.locator("legend").first.inner_text()).strip()))
    return out


async def export_from_tui(pilot, fmt_key: str) -> Path:
    app = pilot.app
    before = app.last_export
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, ExportScreen), what="the export dialog")
    await pilot.press(fmt_key)
    await wait_for(pilot, lambda: app.last_export is not None and app.last_export != before, timeout=30,
                   what=f"the {fmt_key} export")
    return app.last_export


# --------------------------------------------------------------------------- the phones' parts
async def tell_story(p: Person) -> None:
    page = p.phone.page
    await phone_form(p, "stories")
    happened, kind, quote = p.story
    await page.locator("#f0-input").fill(happened)
    await page.locator("#f3-o0" if kind == "helped" else "#f3-o1").check()
    await page.locator("#f4-o0" if quote == "yes" else "#f4-o1").check()
    await send(p, 1)


async def post_cards(p: Person) -> None:
    page = p.phone.page
    await phone_form(p, "values")
    for n, (text, kind, _theme) in enumerate(p.cards, start=1):
        await page.locator("#f0-input").fill(text)
        await page.locator(f"#f1-o{VALUE_KINDS.index(kind)}").check()
        await send(p, n)


async def rate_themes(p: Person) -> None:
    page = p.phone.page
    await phone_form(p, "rate")
    questions = await fieldsets(page)
    assert len(questions) == 2 * len(THEMES), questions
    seen = set()
    for fid, legend in questions:
        theme, question = legend.split(" — ", 1)
        assert theme in THEMES, legend
        importance, support = p.ratings[theme]
        first = question in ("How important is it?", "Kuinka tärkeää se on?")
        value = importance if first else support
        seen.add((theme, first))
        await page.locator(f"#{fid}-skip" if value is None else f"#{fid}-v{value}").check()
    assert len(seen) == 2 * len(THEMES)
    await send(p, 1)


async def share_moment(p: Person) -> None:
    page = p.phone.page
    text = await phone_form(p, "journey")
    assert ("😞" in text and "😄" in text), "the face scale"
    stage, happened, felt = p.moment
    await page.locator(f"#f0-o{STAGES.index(stage)}").check()
    await page.locator("#f1-input").fill(happened)
    await page.locator(f"#f2-o{felt - 1}").check()
    await send(p, 1)


async def vote(p: Person, expected_items: list[str]) -> None:
    page = p.phone.page
    await phone_form(p, "vote")
    items = page.locator("#f0 .vote-item")
    await expect(items).to_have_count(len(expected_items), timeout=TIMEOUT)
    labels = [(await items.nth(i).locator(".vote-label").inner_text()).strip() for i in range(len(expected_items))]
    assert labels == expected_items, labels  # the rated themes' top 3, in their ranking
    for theme, dots in p.dots.items():
        row = items.nth(labels.index(theme))
        for _ in range(dots):
            await row.locator("button").nth(1).click()  # "+"
    await send(p, 1)


async def write_action(p: Person, expected_priorities: list[str]) -> None:
    page = p.phone.page
    await phone_form(p, "actions")
    options = page.locator("#f0 label")
    labels = [t.strip() for t in await options.all_inner_texts()]
    other = "Something else" if p.lang == "en" else "Jokin muu"
    assert labels == [*expected_priorities, other], labels  # the vote's top 2, then "something else"
    await page.locator(f"#f0-o{expected_priorities.index(p.action['priority'])}").check()
    for n, name in enumerate(["what", "who", "by_when", "support", "hear_back"], start=1):
        if p.action[name]:
            await page.locator(f"#f{n}-input").fill(p.action[name])
    await send(p, 1)


# --------------------------------------------------------------------------- the TUI's parts
async def open_next(pilot, activity_id: str, position: int, title: str, first: bool = False) -> None:
    """The facilitator moves on (n) and opens submissions (o); the status strip says so."""
    app = pilot.app
    w = app.workshop_host.workshop
    if not first:
        await pilot.press("n")
        await wait_for(pilot, lambda: w.current_id == activity_id, what=f"{activity_id} current")
    await pilot.press("o")
    await wait_for(pilot, lambda: w.activity_state(activity_id)["state"] == "open", what=f"{activity_id} open")
    # the status strip repaints after the state it shows: wait for both, not one then the other
    text = await wait_text(pilot, f"{position}/6 {title}", "OPEN")
    assert "OPEN" in text


async def close_and_show_results(pilot, activity_id: str, *words: str) -> str:
    """The facilitator closes submissions (c) and looks at the Results tab (4)."""
    w = pilot.app.workshop_host.workshop
    await pilot.press("c")
    await wait_for(pilot, lambda: w.activity_state(activity_id)["state"] == "closed", what=f"{activity_id} closed")
    await pilot.press("4")
    await wait_text(pilot, "(closed; the current activity")
    text = ""
    for words_ in words:
        text = await wait_text(pilot, words_, timeout=20)
    return text


async def live_count(pilot, activity_id: str, count: int) -> str:
    """The Activity tab (3) counts the contributions as they arrive."""
    await pilot.press("3")
    text = await wait_text(pilot, f"{count} contributions", timeout=20)
    assert len(pilot.app.workshop_host.workshop.contributions(activity_id)) == count
    return text


async def star(pilot, key: str) -> None:
    """On the Activity tab: move to a contribution and press * (its status says starred)."""
    app = pilot.app
    table = app.main.query_one(ContributionTable)
    table.focus()
    await cursor_to(pilot, table, key)
    await pilot.press("asterisk")
    participant, cid = key.split("/", 1)
    w = app.workshop_host.workshop
    await wait_for(pilot, lambda: any(c.get("starred") and c["participant"] == participant and c["id"] == cid
                                      for c in w.tables["contributions"].values()), what=f"star on {key}")
    # its row's status cell says so (before the contribution's text, so always on screen)
    status = list(table.columns).index("status")
    await wait_for(pilot, lambda: "* starred" in table.get_row(key)[status].plain, what=f"{key} shown starred")


async def group_themes(pilot, cards: dict[str, tuple[str, str | None]]) -> None:
    """The Themes view (g): suggestions (S) rejected (u), edited (r) and accepted (enter),
    then the facilitator fixes the grouping by hand (space selects, g groups, v moves,
    u ungroups) and confirms every theme (enter). ``cards``: key -> (text, true theme)."""
    app = pilot.app
    w = app.workshop_host.workshop
    await pilot.press("g")
    screen = await wait_for(pilot, lambda: isinstance(app.screen, ThemesScreen) and app.screen, what="Themes view")
    assert screen.activity_id == "values"
    await wait_text(pilot, f"{len(cards)} contributions · 0 themes")
    contributions = screen.query_one("#themes-contributions")
    themes_list = screen.query_one("#themes-list")

    # suggestions, computed on this laptop: nothing is stored before one is accepted
    await pilot.press("S")
    await wait_for(pilot, lambda: screen.suggestions, timeout=180,
                   what=f"suggestions {[n.message for n in app._notifications]}")
    await wait_text(pilot, "suggested")
    for s in screen.suggestions:
        assert s["contributions"] and all(key_of(r) in cards for r in s["contributions"]), s
    assert themes_of(w) == []
    await pilot.press("tab")
    assert app.focused is themes_list
    if len(screen.suggestions) > 1:  # reject the last one
        count = len(screen.suggestions)
        await cursor_to(pilot, themes_list, f"suggestion:{count - 1}")
        await pilot.press("u")
        await wait_for(pilot, lambda: len(screen.suggestions) == count - 1, what="a suggestion rejected")
        assert themes_of(w) == []
    # edit the first suggestion's name to what most of its cards are about, then accept it
    first = screen.suggestions[0]
    truths = [cards[key_of(r)][1] for r in first["contributions"]]
    named = max(THEMES, key=lambda t: (truths.count(t), -THEMES.index(t)))
    await cursor_to(pilot, themes_list, "suggestion:0")
    await pilot.press("r")
    await type_label(pilot, named)
    assert screen.suggestions[0]["label"] == named
    await pilot.press("enter")
    await wait_for(pilot, lambda: [t["label"] for t in themes_of(w)] == [named], what="the suggestion accepted")
    assert themes_of(w)[0]["confirmed"] is False  # a draft: nothing shown yet
    await wait_text(pilot, "draft")
    while screen.suggestions:  # reject the rest
        count = len(screen.suggestions)
        await cursor_to(pilot, themes_list, "suggestion:0")
        await pilot.press("u")
        await wait_for(pilot, lambda: len(screen.suggestions) == count - 1, what="a suggestion rejected")

    # by hand: every theme holds exactly its cards
    async def select(keys):
        contributions.focus()
        for key in keys:
            await cursor_to(pilot, contributions, key)
            await pilot.press("space")
        await wait_for(pilot, lambda: screen.selected == set(keys), what=f"{len(keys)} selected")

    for theme in THEMES:
        wanted = {k for k, (_text, t) in cards.items() if t == theme}
        existing = next((t for t in themes_of(w) if t["label"] == theme), None)
        members = {f"{p}/{c}" for p, c in existing["contributions"]} if existing else set()
        if existing and members - wanted:  # stray cards in it: ungroup, then group again
            themes_list.focus()
            await cursor_to(pilot, themes_list, existing["id"])
            await pilot.press("u")
            await wait_for(pilot, lambda: existing["id"] not in w.tables["themes"], what="ungrouped")
            existing, members = None, set()
        if existing:
            if wanted - members:
                await select(sorted(wanted - members))
                themes_list.focus()
                await cursor_to(pilot, themes_list, existing["id"])
                await pilot.press("v")
        else:
            await select(sorted(wanted))
            await pilot.press("g")
            await type_label(pilot, theme)
        await wait_for(pilot, lambda: any(t["label"] == theme and {f"{p}/{c}" for p, c in t["contributions"]} == wanted
                                          for t in themes_of(w)), what=f"theme {theme!r}")
    await wait_for(pilot, lambda: sorted(t["label"] for t in themes_of(w) if t["contributions"]) == sorted(THEMES),
                   what="the four themes")
    for t in themes_of(w):  # a theme emptied by moving its cards out goes
        if not t["contributions"]:
            themes_list.focus()
            await cursor_to(pilot, themes_list, t["id"])
            await pilot.press("u")
    # confirm each theme: only now may a vote, the screen or the report use it
    themes_list.focus()
    for t in themes_of(w):
        await cursor_to(pilot, themes_list, t["id"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: w.tables["themes"][t["id"]]["confirmed"], what=f"{t['label']} confirmed")
    text = await wait_text(pilot, f"{len(cards)} contributions · 4 themes")
    assert text.count("confirmed") >= 4
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is app.main, what="back to the cockpit")


# --------------------------------------------------------------------------- the test
@pytest.fixture
async def browser():
    async with chromium("the whole-workshop test") as b:
        yield b


async def test_a_whole_workshop_from_the_tui_with_phones(browser, tmp_path):
    people = [replace(p) for p in PEOPLE]  # each gets its phone
    assert {p.lang for p in people} == {"en", "fi"} and len(people) >= 6
    app = make_app(AGENDA, data_dir=tmp_path / "data", host="127.0.0.1", port=0, child_process=True)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: app.main is not None and app.main.workshop is not None, timeout=30,
                       what="the host open")
        host = app.workshop_host
        w = host.workshop

        # --- the lobby: everyone joins from the link the TUI shows (its QR code)
        url = app.main.query_one("#lobby-qr", QRCode).data
        assert url == host.url and f":{host.port}/" in url
        for p in people:
            locale = "fi-FI" if p.lang == "fi" else "en-GB"
            context = await browser.new_context(**PHONE, locale=locale)
            p.phone = Phone(context, await context.new_page())
        await asyncio.gather(*(join(p.phone.page, url, role=ROLE_WORDS[p.lang][p.role]) for p in people))
        # the status strip can count the connections a flush before the lobby shows their roles
        text = await wait_text(pilot, f"{len(people)} connected", "3 Service user", "3 Front-line professional")
        for role in ("Service user", "Front-line professional"):
            assert f"3 {role}" in text
        assert "1 Family or peer" in text and "1 Manager" in text  # the facilitator's own screen
        langs = {pp["lang"] for pp in w.participants()}
        assert langs == {"en", "fi"}
        assert sorted(pp["role"] for pp in w.participants()) == sorted(p.role for p in people)

        # --- 1. stories (Most Significant Change)
        await open_next(pilot, "stories", 1, "A time that mattered", first=True)
        await asyncio.gather(*(tell_story(p) for p in people))
        text = await live_count(pilot, "stories", len(people))
        assert "My carer changed every week" in text
        stories = {c["data"]["happened"]: key_of(c) for c in w.contributions("stories")}
        await star(pilot, stories[PEOPLE[0].story[0]])   # quotable: the report's quote
        await star(pilot, stories[PEOPLE[2].story[0]])   # its author said no: never quoted
        await close_and_show_results(pilot, "stories", "8 stories.", "7 may be quoted.")

        # --- 2. value cards
        await open_next(pilot, "values", 2, "What matters, what is counted")
        await asyncio.gather(*(post_cards(p) for p in people))
        n_cards = sum(len(p.cards) for p in people)
        await live_count(pilot, "values", n_cards)
        truth = {text: theme for p in people for text, _k, theme in p.cards}
        cards = {key_of(c): (c["data"]["text"], truth[c["data"]["text"]]) for c in w.contributions("values")}
        assert len(cards) == n_cards
        manager_card = next(k for k, (t, _) in cards.items() if t == PEOPLE[7].cards[1][0])
        await star(pilot, manager_card)  # the lone manager's words, quoted without the role
        await close_and_show_results(pilot, "values", "Value cards: 16.")

        # --- 3. themes in the TUI's Themes view
        await group_themes(pilot, cards)

        # --- 4. everyone rates the confirmed themes
        await open_next(pilot, "rate", 3, "Everyone rates the themes")
        await asyncio.gather(*(rate_themes(p) for p in people))
        await live_count(pilot, "rate", len(people))
        text = await close_and_show_results(pilot, "rate", "8 people rated the items.",
                                            "The biggest difference between roles")
        assert f"“{SAME}”, how well it is done today: Service user 1, Front-line professional 4" in text

        # --- 5. the journey
        await open_next(pilot, "journey", 4, "Our way through home care")
        await asyncio.gather(*(share_moment(p) for p in people))
        await live_count(pilot, "journey", len(people))
        await close_and_show_results(pilot, "journey", "8 moments shared.", "At “Assessment” the roles differ most")

        # --- 6. the dot vote over the rated themes' top 3 (ranked by importance)
        await open_next(pilot, "vote", 5, "What we take to management")
        ranked = [SAME, WAIT, HEARD]  # mean importance 4.38, 4.0, 3.62; Forms 3.25 is left out
        await asyncio.gather(*(vote(p, ranked) for p in people))
        await live_count(pilot, "vote", len(people))
        text = await close_and_show_results(pilot, "vote", "8 people voted.", "Roles put different things first")

        # --- 7. actions with owners for the vote's top 2
        await open_next(pilot, "actions", 6, "Who does what")
        writers = [p for p in people if p.action]
        others = [p for p in people if not p.action]
        await asyncio.gather(*(write_action(p, [SAME, WAIT]) for p in writers),
                             *(phone_form(p, "actions") for p in others))
        await live_count(pilot, "actions", len(writers))
        await close_and_show_results(pilot, "actions", "2 actions agreed.", "Head of home care")

        # --- the exports, from the TUI's keys
        exported = json.loads((await export_from_tui(pilot, "j")).read_text(encoding="utf-8"))
        md = (await export_from_tui(pilot, "m")).read_text(encoding="utf-8")
        html = (await export_from_tui(pilot, "h")).read_text(encoding="utf-8")
        plugins = host.plugins
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # to read after a failure
        for name, text in (("report.md", md), ("report.html", html)):
            (ARTIFACTS / name).write_text(text, encoding="utf-8")

        for p in people:
            assert not p.phone.errors, (p.name, p.phone.errors)
            await p.phone.context.close()

    check_nothing_lost(exported, people, plugins)
    check_report(md, people)
    check_html(html)


# --------------------------------------------------------------------------- after the workshop
def check_nothing_lost(exported: dict, people: list[Person], plugins) -> None:
    """Every contribution a phone sent is in the JSON export, with its author's role.
    Items reach an activity under opaque ids: the report's own reading of the export
    (session_results) maps them back to their labels."""
    results = session_results(exported, plugins)
    label = {aid: {i.id: i.label for i in results[aid]["info"].items} for aid in ("rate", "vote", "actions")}
    assert list(label["rate"].values()) == [t["label"] for t in exported["themes"]]  # oldest first
    assert list(label["vote"].values()) == [SAME, WAIT, HEARD]
    assert list(label["actions"].values()) == [SAME, WAIT]
    role_of = {pp["id"]: pp["role"] for pp in exported["participants"]}
    by_activity: dict[str, list[dict]] = {}
    for c in exported["contributions"]:
        by_activity.setdefault(c["activity"], []).append(c)
    themes = {t["id"]: t["label"] for t in exported["themes"] if t["activity"] == "values"}
    assert sorted(themes.values()) == sorted(THEMES)

    def of(activity, role, pred):
        found = [c for c in by_activity.get(activity, []) if role_of[c["participant"]] == role and pred(c["data"])]
        assert len(found) == 1, (activity, role, found)
        return found[0]

    for p in people:
        d = of("stories", p.role, lambda d: d["happened"] == p.story[0])["data"]
        assert (d["kind"], d["quote"]) == p.story[1:]
        for text, kind, _theme in p.cards:
            assert of("values", p.role, lambda d: d["text"] == text)["data"]["kind"] == kind
        stage, happened, felt = p.moment
        d = of("journey", p.role, lambda d: d["happened"] == happened)["data"]
        assert (d["stage"], d["felt"]) == (stage, str(felt))
        if p.action:
            d = of("actions", p.role, lambda d: d["what"] == p.action["what"])["data"]
            assert label["actions"][d["priority"]] == p.action["priority"]
            assert (d["who"], d["by_when"], d["hear_back"]) == (p.action["who"], p.action["by_when"],
                                                                p.action["hear_back"])
    # the ratings and the dots: one each per person, as given
    for activity in ("rate", "vote"):
        assert len(by_activity[activity]) == len(people)
    for p in people:
        mine = [c for c in by_activity["rate"] + by_activity["vote"] if role_of[c["participant"]] == p.role]
        rates = [{(label["rate"][name.split("/")[0]], name.split("/")[1]): v for name, v in c["data"].items()}
                 for c in mine if c["activity"] == "rate"]
        wanted = {(theme, scale): v for theme in THEMES
                  for scale, v in zip(("importance", "support"), p.ratings[theme])}
        assert wanted in rates, (p.name, rates)  # "don't know" is stored as null
        votes = [{label["vote"][k]: n for k, n in c["data"]["dots"].items()} for c in mine if c["activity"] == "vote"]
        assert p.dots in votes, (p.name, votes)
    total = sum(1 + len(p.cards) + 1 + 1 + 1 + bool(p.action) for p in people)
    assert len(exported["contributions"]) == total


def page_one(md: str) -> str:
    """The report's first page: everything before the first activity's section."""
    first = md.index("\n## ")
    return md[:first]


def check_report(md: str, people: list[Person]) -> None:
    one = page_one(md)
    assert one.startswith("# Home care, together")
    # who took part: only the role groups of at least min_group people
    assert "8 people took part. Service user: 3; Front-line professional: 3." in one
    # the actions with their owners
    assert "### What happens now" in one
    for p in people:
        if p.action:
            row = next(line for line in one.splitlines() if p.action["what"] in line)
            assert p.action["who"] in row and p.action["by_when"] in row
    assert "Management answers each action on 10 April." in one  # how participants hear back
    # the top priorities, from the vote, each role's dots side by side
    top = one.split("### Top priorities", 1)[1].split("###", 1)[0]
    assert "| Priority | In all | Service user | Front-line professional |" in top
    assert f"| 1\\. {SAME} | 10 dots | 6 (67%) | 3 (33%) |" in top
    assert f"| 2\\. {WAIT} | 8 dots | 0 (0%) | 6 (67%) |" in top
    # where views differ, in sentences
    differ = one.split("### Where views differ", 1)[1].split("###", 1)[0]
    assert f"“{SAME}”, how well it is done today: Service user 1, Front-line professional 4" in differ
    assert "At “Assessment” the roles differ most: Service user 1.3, Front-line professional 4.3" in differ
    assert f"“{WAIT}” got 67% of the dots of Front-line professional and 0% of the dots of Service user." in differ
    # the starred quotes: the quotable story and the lone manager's card (without a role)
    words = one.split("### In their words", 1)[1].split("###", 1)[0]
    assert PEOPLE[0].story[0] in words
    assert PEOPLE[7].cards[1][0] in words
    # a story whose author said no is never quoted, anywhere in the report
    assert PEOPLE[2].story[0] not in md
    # min_group: the family member and the manager are never shown as a role group
    for role in LONE_ROLES:
        assert role not in md, (role, [line for line in md.splitlines() if role in line][:5])


def check_html(html: str) -> None:
    assert html.lstrip().lower().startswith("<!doctype html")
    assert "Home care, together" in html
    for words in ("Head of home care", "1 May", "Kotihoidon tiimi", "Kesäkuun loppuun mennessä"):
        assert words in html, words
    assert PEOPLE[2].story[0] not in html
    for role in LONE_ROLES:
        assert role not in html, role
    assert "<script" not in html.lower()
