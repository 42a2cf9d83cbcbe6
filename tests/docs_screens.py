"""Make the pictures of docs/activities.md from a scripted workshop: ``make docs-screens``
(or ``.venv/bin/python -m tests.docs_screens [--out DIR]``).

A real host runs inside the real facilitator app (Textual, driven by its Pilot); one
participant fills in every form on a phone-sized headless Chromium (390x844), eight more
phones speak protocol v1 over websockets. For every built-in activity, and for the themes
step, three pictures are written to docs/screens/:

- ``phone-<plugin>.png``: the form on the phone, filled in, just before *Send*;
- ``tui-<plugin>.svg``: the app's Results tab for the activity once it is closed
  (``tui-themes.svg``: the Themes view);
- ``report-<plugin>.png``: the activity's section of the HTML report in Chromium
  (``report-themes.png``: the report's *Themes* table).

Room code, session id, time stamps and time zone are fixed (tests/tui/helpers.py), so a
run gives the same pictures as the last one unless something they show has changed.
tests/test_docs_screens.py checks that every picture the docs show exists.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
CHROMIUM = os.environ.get("FACILITATION_KIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True,
         "has_touch": True, "locale": "en-GB"}
TUI_SIZE = (110, 40)
REPORT_WIDTH = 900
#: A report section taller than this (CSS pixels) is shown from its top down to here.
REPORT_MAX_HEIGHT = 1600
TIMEOUT = 15.0

#: The built-in activities, in the order of the agenda below, and the themes step.
PICTURED = ("open_question", "story", "value_mapping", "themes", "role_redefinition", "dot_vote",
            "rate_items", "ethical_compass", "journey", "actions")

AGENDA = '''\
title = "Home support that works for people"
service = "Home support, Riverton"
language = "en"
min_group = 3
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "opening"
plugin = "open_question"
title = "A time the service helped, or let you down"
prompt = "Think of a time this service really helped you, or let you down. What made the difference?"

[[activity]]
id = "stories"
plugin = "story"
title = "Stories of change"

[[activity]]
id = "values"
plugin = "value_mapping"
title = "What the service counts, and what matters"
prompt = "One card each time: something the service counts, something that matters in a person's life, or something that goes wrong."

[[activity]]
id = "theme_vote"
plugin = "dot_vote"
title = "Which themes matter most?"
from = "values"
from_themes = true
dots = 3
max_per_item = 2

[[activity]]
id = "roles"
plugin = "role_redefinition"
title = "How our roles should change"
prompt = "Pick a role. What does it do today? What should it do in a service built around the person?"
roles = ["Front-line professional", "Manager", "Service user"]

[[activity]]
id = "priorities"
plugin = "dot_vote"
title = "What we take to management"
prompt = "Give your dots to what should change first."
items = ["The same worker every time", "Letters in plain language", "A talk before any sanction", "Fewer forms for staff", "Time for home visits"]
dots = 5
max_per_item = 3

[[activity]]
id = "rate"
plugin = "rate_items"
title = "Everyone rates the top three"
from = "priorities"
top = 3

[[activity]]
id = "compass"
plugin = "ethical_compass"
title = "Is the relationship fair?"
from = "priorities"
top = 3
include_service = false

[[activity]]
id = "journey"
plugin = "journey"
title = "Our way through the service"

[[activity]]
id = "actions"
plugin = "actions"
title = "Who does what, by when"
from = "priorities"
'''

SU, FAM, STAFF, MAN = "Service user", "Family or peer", "Front-line professional", "Manager"
#: The phones besides the one in Chromium (a service user): three service users, three
#: staff, and two managers and one family member, who are counted together as "Other
#: roles" (min_group = 3).
PEOPLE = [("u2", SU), ("u3", SU), ("w1", STAFF), ("w2", STAFF), ("w3", STAFF), ("m1", MAN), ("m2", MAN),
          ("f1", FAM)]


def compass_grid(person: tuple[int, int], worker: tuple[int, int]) -> dict[str, str]:
    return {"person_today": str(person[0]), "person_wanted": str(person[1]),
            "professional_today": str(worker[0]), "professional_wanted": str(worker[1])}


def compass(sig, resp, res, part) -> dict[str, Any]:
    """Each argument: ((person today, wanted), (worker today, wanted))."""
    return {p: compass_grid(*g) for p, g in zip(("significance", "responsibilities", "resources", "participation"),
                                                (sig, resp, res, part))}


# What the eight phones send, by activity; labels stand for ids (resolved from the form).
SCRIPT: dict[str, dict[str, list[dict[str, Any]]]] = {
    "opening": {
        "u2": [{"answer": "One worker called me back when she said she would. That is when I started to trust her."}],
        "u3": [{"answer": "I got a letter about a sanction that I could not understand."}],
        "w1": [{"answer": "When I had time to visit people at home, things moved."}],
        "w2": [{"answer": "We spend more time on forms than with people."}],
        "w3": [{"answer": "A family asked us what we count. We could not answer."}],
        "m1": [{"answer": "A weekly drop-in that one team tried worked well."}],
        "m2": [{"answer": "We met our targets, and people still felt nobody listened."}],
        "f1": [{"answer": "My mother was asked the same questions by four different people."}],
    },
    "stories": {
        "u2": [{"happened": "A new worker came to my home and asked what I wanted to try first.",
                "changed": "I joined a walking group. I go every week now.",
                "matters": "Nobody had asked me that in two years.", "kind": "helped", "quote": "yes"}],
        "w1": [{"happened": "We visited a man at home instead of sending a third letter.",
                "changed": "He came back to the service.", "kind": "helped", "quote": "yes"}],
        "f1": [{"happened": "My mother's support stopped while she was in hospital. Nobody told us.",
                "changed": "We lost trust in the service.", "matters": "It took months to start again.",
                "kind": "let_down", "quote": "yes"}],
        "u3": [{"happened": "I was sanctioned when I missed a meeting because my child was ill.",
                "kind": "let_down", "quote": "no"}],
    },
    "values": {
        "u2": [{"text": "Being listened to before decisions are made", "kind": "outcome", "stakeholder": SU,
                "importance": 5, "support": 1},
               {"text": "Number of visits per week", "kind": "output", "importance": 2, "support": 4}],
        "u3": [{"text": "Sanctions when I miss a meeting because of my kids", "kind": "destroyed",
                "stakeholder": SU, "importance": 5, "support": 1},
               {"text": "Letters I can understand", "kind": "outcome", "importance": 4, "support": 1}],
        "w1": [{"text": "Visits held on time", "kind": "output", "stakeholder": MAN, "importance": 3,
                "support": 4},
               {"text": "The same worker every time", "kind": "outcome", "stakeholder": SU, "importance": 4,
                "support": 4}],
        "w2": [{"text": "Time to talk, not only to fill in forms", "kind": "missed", "stakeholder": STAFF,
                "importance": 4, "support": 2}],
        "w3": [{"text": "A written plan for every person", "kind": "output", "importance": 3, "support": 4}],
        "m1": [{"text": "Cases closed on time", "kind": "output", "stakeholder": MAN, "importance": 4,
                "support": 4}],
        "m2": [{"text": "Staff who stay", "kind": "created", "stakeholder": STAFF, "importance": 4, "support": 3}],
        "f1": [{"text": "Being asked what matters to the family", "kind": "missed", "stakeholder": FAM,
                "importance": 4, "support": 1}],
    },
    "theme_vote": {
        "u2": [{"dots": {"The same worker every time": 2, "Being listened to": 1}}],
        "u3": [{"dots": {"Being listened to": 2, "Counting what is easy to count": 1}}],
        "w1": [{"dots": {"The same worker every time": 2, "Counting what is easy to count": 1}}],
        "w2": [{"dots": {"Counting what is easy to count": 2, "Being listened to": 1}}],
        "w3": [{"dots": {"Counting what is easy to count": 2, "The same worker every time": 1}}],
        "m1": [{"dots": {"Counting what is easy to count": 2, "Being listened to": 1}}],
        "f1": [{"dots": {"Being listened to": 2, "The same worker every time": 1}}],
    },
    "roles": {
        "u2": [{"role": STAFF, "from_text": "Reads out the rules", "to_text": "Asks what I need",
                "barriers": ["targets"], "helps": "Time in the plan for a talk", "who": ["management"]}],
        "u3": [{"role": SU, "from_text": "Waits to be told what to do", "to_text": "Says what I want to try",
                "barriers": ["confidence", "fear_of_losing_support"], "who": ["me", "my_team"]}],
        "w1": [{"role": STAFF, "from_text": "Fills in forms", "to_text": "Spends time with people",
                "barriers": ["time"], "helps": "One shorter form", "who": ["management"]}],
        "w2": [{"role": STAFF, "from_text": "Follows procedure", "to_text": "Asks how can I make this possible",
                "barriers": ["time", "staff_changes"], "who": ["my_team", "management"]}],
        "w3": [{"role": MAN, "from_text": "Counts cases closed", "to_text": "Asks what changed for people",
                "barriers": ["targets"], "who": ["politicians"]}],
        "m1": [{"role": MAN, "from_text": "Sets targets", "to_text": "Gives teams time",
                "barriers": ["money"], "helps": "A budget for two years", "who": ["politicians"]}],
        "m2": [{"role": STAFF, "from_text": "Works alone", "to_text": "Works with the family",
                "barriers": ["habits"], "who": ["my_team"]}],
    },
    "priorities": {
        "u2": [{"dots": {"The same worker every time": 3, "A talk before any sanction": 2}}],
        "u3": [{"dots": {"A talk before any sanction": 3, "Letters in plain language": 2}}],
        "w1": [{"dots": {"Fewer forms for staff": 3, "Time for home visits": 2}}],
        "w2": [{"dots": {"Fewer forms for staff": 3, "The same worker every time": 2}}],
        "w3": [{"dots": {"Time for home visits": 3, "Fewer forms for staff": 2}}],
        "m1": [{"dots": {"Fewer forms for staff": 3, "The same worker every time": 2}}],
        "m2": [{"dots": {"Fewer forms for staff": 2, "Time for home visits": 3}}],
        "f1": [{"dots": {"The same worker every time": 3, "A talk before any sanction": 2}}],
    },
    # rate_items: per item label, (importance, how well today) by phone
    "rate": {
        "u2": [{"The same worker every time": (5, 1), "Fewer forms for staff": (2, 2), "Time for home visits": (4, 2)}],
        "u3": [{"The same worker every time": (5, 2), "Fewer forms for staff": (3, None), "Time for home visits": (4, 1)}],
        "w1": [{"The same worker every time": (4, 4), "Fewer forms for staff": (5, 1), "Time for home visits": (5, 2)}],
        "w2": [{"The same worker every time": (4, 4), "Fewer forms for staff": (5, 2), "Time for home visits": (4, 2)}],
        "w3": [{"The same worker every time": (5, 3), "Fewer forms for staff": (4, 1), "Time for home visits": (5, 3)}],
        "m1": [{"The same worker every time": (4, 4), "Fewer forms for staff": (4, 2), "Time for home visits": (3, 3)}],
        "m2": [{"The same worker every time": (3, 4), "Fewer forms for staff": (4, 2), "Time for home visits": (4, 3)}],
        "f1": [{"The same worker every time": (5, 1), "Fewer forms for staff": (2, 3), "Time for home visits": (4, 2)}],
    },
    "compass": {
        who: [{"item": "The same worker every time", **grids}]
        for who, grids in {
            "u2": compass(((5, 5), (2, 3)), ((2, 3), (4, 4)), ((2, 4), (4, 4)), ((1, 4), (5, 3))),
            "u3": compass(((5, 5), (2, 3)), ((3, 3), (4, 3)), ((2, 4), (4, 4)), ((1, 3), (5, 3))),
            "w1": compass(((4, 4), (3, 3)), ((2, 3), (4, 3)), ((3, 4), (4, 4)), ((3, 4), (4, 3))),
            "w2": compass(((4, 5), (3, 3)), ((2, 3), (5, 4)), ((3, 4), (3, 4)), ((3, 4), (4, 3))),
            "w3": compass(((5, 5), (3, 3)), ((3, 3), (4, 4)), ((3, 3), (4, 4)), ((3, 3), (3, 3))),
            "m1": compass(((4, 4), (3, 3)), ((3, 3), (4, 4)), ((3, 4), (4, 4)), ((3, 4), (3, 3))),
            "m2": compass(((5, 5), (3, 3)), ((2, 3), (4, 4)), ((3, 4), (4, 4)), ((2, 4), (4, 3))),
            "f1": compass(((5, 5), (2, 2)), ((3, 3), (4, 4)), ((2, 4), (3, 4)), ((1, 4), (5, 3))),
        }.items()
    },
    "journey": {
        "u2": [{"stage": "first_contact", "happened": "I waited six weeks for a first call.", "felt": "2"},
               {"stage": "support", "happened": "My worker came on time and knew my story.", "felt": "4",
                "mattered": "Not having to explain again."}],
        "u3": [{"stage": "assessment", "happened": "Three people asked me the same questions.", "felt": "1"}],
        "w1": [{"stage": "assessment", "happened": "The form takes an hour; the talk gets ten minutes.",
                "felt": "2"},
               {"stage": "plan", "happened": "We wrote the plan together at the kitchen table.", "felt": "5"}],
        "w2": [{"stage": "first_contact", "happened": "We call back within two days.", "felt": "4"}],
        "w3": [{"stage": "leaving", "happened": "People leave with a letter, not a talk.", "felt": "3"}],
        "m1": [{"stage": "assessment", "happened": "The assessment meets the rules.", "felt": "4"}],
        "m2": [{"stage": "first_contact", "happened": "The waiting list is shorter this year.", "felt": "dont_know"}],
        "f1": [{"stage": "leaving", "happened": "Support stopped in hospital. Nobody told us.", "felt": "1",
                "mattered": "Being told what happens next."}],
    },
    "actions": {
        "m1": [{"priority": "The same worker every time",
                "what": "Give each person one named worker, in the north team first",
                "who": "Head of the north team", "by_when": "1 May", "support": "Two more staff hours a week",
                "hear_back": "A letter to everyone who took part, and the user forum in May"}],
        "w1": [{"priority": "A talk before any sanction",
                "what": "Rewrite the sanction letter with people who use the service",
                "who": "Two workers and two service users", "by_when": "15 May",
                "hear_back": "The new letter is shown at the user forum"}],
    },
}

# What the participant in Chromium does, by activity: (kind, field index, value...).
BROWSER: dict[str, list[tuple]] = {
    "opening": [("text", 0, "My worker changed three times in a year. I had to tell my story again each time.")],
    "stories": [("text", 0, "I had to tell my story again to a new worker every month."),
                ("text", 1, "I stopped asking for help."), ("text", 2, "Trust takes time."),
                ("choice", 3, 1), ("choice", 4, 0)],
    "values": [("text", 0, "The same worker every time"), ("choice", 1, 2), ("choice", 2, 0),
               ("scale", 3, 5), ("scale", 4, 1)],
    "theme_vote": [("vote", 0, "The same worker every time", 2), ("vote", 0, "Being listened to", 1)],
    "roles": [("choice", 0, 0), ("text", 1, "Checks if I am allowed help"), ("text", 2, "Helps me find what I can do"),
              ("choice", 3, 0), ("choice", 3, 1), ("text", 5, "A talk before any letter"), ("choice", 6, 2)],
    "priorities": [("vote", 0, "The same worker every time", 3), ("vote", 0, "Letters in plain language", 2)],
    "rate": [("scale", 0, 5), ("scale", 1, 1), ("scale", 2, 3), ("skip", 3), ("scale", 4, 4), ("scale", 5, 2)],
    # the compass: (field, row, column); rows: the person today, as it should be, the worker
    # today, as it should be; columns 0-4 are 1-5, column 5 is "I don't know"
    "compass": [("choice", 0, 0), ("text", 2, "Ask me before my worker changes."),
                *[("matrix", field, row, col) for field, cols in ((1, (4, 4, 1, 2)), (3, (1, 2, 3, 3)),
                                                                  (5, (1, 3, 3, 3)), (7, (0, 3, 4, 5)))
                  for row, col in enumerate(cols)]],
    "journey": [("choice", 0, 1), ("text", 1, "The assessment took three visits."), ("choice", 2, 1),
                ("text", 3, "Being asked what I can do, not only what I can't.")],
    "actions": [("choice", 0, 1), ("text", 1, "Letters in plain words, tested with two of us first"),
                ("text", 2, "Team leader"), ("text", 3, "End of June"), ("text", 4, "An hour with the letter writer"),
                ("text", 5, "A letter in July, and at the next user forum")],
}

THEMES = [  # (label, the value cards' texts, confirmed)
    ("The same worker every time", ["The same worker every time", "Staff who stay"], True),
    ("Being listened to", ["Being listened to before decisions are made", "Being asked what matters to the family",
                           "Time to talk, not only to fill in forms"], True),
    ("Counting what is easy to count", ["Number of visits per week", "Visits held on time", "Cases closed on time",
                                        "A written plan for every person"], True),
]


def _labels(field: dict[str, Any]) -> dict[str, str]:
    """A form field's labels → the values the host expects (items, options)."""
    pairs = [(i["label"], i["id"]) for i in field.get("items") or ()]
    pairs += [(o["label"], o["value"]) for o in field.get("options") or ()]
    return dict(pairs)


def resolve(activity: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """Scripted data with labels where the form has ids: the ids."""
    fields = {f["name"]: f for f in activity["form"]["fields"]}
    if activity["plugin"] == "rate_items":  # one scale field per item and scale, "<item> — <question>"
        out, seen = {}, {}
        for f in activity["form"]["fields"]:
            item = f["label"].rsplit(" — ", 1)[0]
            out[f["name"]] = data[item][seen.setdefault(item, 0)]
            seen[item] += 1
        return out
    out = {}
    for name, value in data.items():
        labels = _labels(fields[name]) if name in fields else {}
        if isinstance(value, dict) and fields.get(name, {}).get("kind") == "vote":
            value = {labels[k]: n for k, n in value.items()}
        elif isinstance(value, str) and value in labels:
            value = labels[value]
        out[name] = value
    return out


async def _until(predicate, what: str, timeout: float = TIMEOUT, step=None):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        if step is not None:
            await step()
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def fill(page, actions: list[tuple]) -> None:
    for kind, index, *args in actions:
        field = page.locator(f"#f{index}")
        if kind == "text":
            await page.fill(f"#f{index}-input", args[0])
        elif kind == "choice":
            await page.locator(f"#f{index}-o{args[0]}").check()
        elif kind == "scale":
            await page.locator(f"#f{index}-v{args[0]}").check()
        elif kind == "skip":
            await page.locator(f"#f{index}-skip").check()
        elif kind == "matrix":
            await page.locator(f"#f{index}-r{args[0]}-c{args[1]}").check()
        elif kind == "vote":
            plus = field.locator(".vote-item", has_text=args[0]).locator("button").nth(1)
            for _ in range(args[1]):
                await plus.click()
        else:
            raise ValueError(kind)


async def make_screens(out: Path, *, suggest: bool = True) -> list[Path]:
    """Run the scripted workshop and write the pictures into ``out``; returns their paths."""
    from playwright.async_api import async_playwright, expect
    import pytest

    from facilitation_kit.report.render import render_report
    from facilitation_kit.testing import Phone
    from facilitation_kit.tui.app import make_app
    from facilitation_kit.tui.screens.themes import ThemesScreen

    from tests.tui.helpers import make_deterministic, screen_text

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as mp:
        make_deterministic(mp)
        agenda = Path(tmp) / "agenda.toml"
        agenda.write_text(AGENDA, encoding="utf-8")
        app = make_app(agenda, data_dir=Path(tmp) / "data", host="127.0.0.1", port=0)
        async with app.run_test(size=TUI_SIZE) as pilot, async_playwright() as pw:
            await _until(lambda: app.main is not None and app.main.workshop is not None, "the app", step=pilot.pause)
            host = app.workshop_host
            workshop = host.workshop
            channel = host.channel
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            context = await browser.new_context(**PHONE)
            page = await context.new_page()
            await page.goto(f"http://127.0.0.1:{host.port}/?room={host.room}")
            await page.locator("#join-roles label", has_text="I use this service").click()
            await page.click("#join-btn")
            await expect(page.locator("#conn-text")).to_have_attribute("data-state", "on")
            phones: dict[str, Phone] = {}
            for key, role in PEOPLE:
                phones[key] = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
                await phones[key].hello(role=role)

            async def run_activity(aid: str, picture: str) -> None:
                await channel.request("goto", activity=aid)
                await channel.request("open")
                await expect(page.locator("#activity-form")).to_be_visible()
                await fill(page, BROWSER[aid])
                # no focus ring or caret: the picture is the same on every run
                await page.evaluate("document.activeElement && document.activeElement.blur()")
                await page.mouse.move(0, 0)
                target = out / f"phone-{picture}.png"
                await page.screenshot(path=str(target), full_page=True)
                written.append(target)
                before = len(workshop.contributions(aid))
                await page.click("#send-btn")
                await _until(lambda: len(workshop.contributions(aid)) > before, f"the phone's answer to {aid}")
                for key, items in SCRIPT.get(aid, {}).items():
                    phone = phones[key]
                    activity = await phone.wait_activity(aid, "open")
                    for data in items:
                        frame = await phone.submit(resolve(activity, data))
                        if frame["type"] != "ack":
                            raise RuntimeError(f"{key} on {aid}: {frame}")
                if aid == "values":
                    await make_themes(aid)
                await channel.request("close")

            async def make_themes(aid: str) -> None:
                by_text = {c["data"]["text"]: {"participant": c["participant"], "id": c["id"]}
                           for c in workshop.contributions(aid)}
                for label, texts, confirmed in THEMES:
                    await channel.request("theme_create", activity=aid, label=label,
                                          contributions=[by_text[t] for t in texts], confirmed=confirmed)

            async def tui_results(aid: str, picture: str) -> None:
                title = workshop.agenda.activity(aid).title
                await pilot.press("4")
                await _until(lambda: f"Results: {title}" in screen_text(app) and "(closed;" in screen_text(app)
                             and "Computing" not in screen_text(app), f"the results of {aid}", step=pilot.pause)
                await pilot.pause(0.5)
                target = out / f"tui-{picture}.svg"
                app.save_screenshot(filename=target.name, path=str(target.parent))
                written.append(target)

            async def tui_themes() -> None:
                await channel.request("goto", activity="theme_vote")
                await pilot.pause(0.3)
                await pilot.press("g")
                screen = await _until(lambda: isinstance(app.screen, ThemesScreen) and app.screen, "the Themes view",
                                      step=pilot.pause)
                await _until(lambda: "Counting what is easy" in screen_text(app), "the themes", step=pilot.pause)
                if suggest:
                    await pilot.press("S")
                    await _until(lambda: screen.suggestions, "suggestions", timeout=240, step=pilot.pause)
                    # keep the first suggestion only, so that the picture shows one waiting
                    del screen.suggestions[1:]
                    screen.refresh_all()
                screen.query_one("#themes-list").focus()
                await pilot.pause(0.5)
                app.clear_notifications()
                await pilot.pause(0.3)
                target = out / "tui-themes.svg"
                app.save_screenshot(filename=target.name, path=str(target.parent))
                written.append(target)
                await pilot.press("escape")

            plugin_of = {a.id: a.plugin for a in workshop.agenda.activities}
            for activity in workshop.agenda.activities:
                aid = activity.id
                picture = "themes" if aid == "theme_vote" else plugin_of[aid]
                await run_activity(aid, picture)
                if aid == "theme_vote":
                    await tui_themes()
                else:
                    await tui_results(aid, picture)
                await pilot.press("1")

            # the report, in Chromium: each activity's section
            html = render_report(workshop.export(), workshop.plugins, format="html")
            report = Path(tmp) / "report.html"
            report.write_text(html, encoding="utf-8")
            reader = await browser.new_page(viewport={"width": REPORT_WIDTH, "height": 1200})
            await reader.goto(report.as_uri())
            for activity in workshop.agenda.activities:
                if activity.id == "theme_vote":
                    continue
                target = out / f"report-{plugin_of[activity.id]}.png"
                box = await reader.locator(f"#activity-{activity.id}").bounding_box()
                box["height"] = min(box["height"], REPORT_MAX_HEIGHT)
                await reader.screenshot(path=str(target), clip=box, full_page=True)
                written.append(target)
            themes_table = reader.locator("#activity-values table", has=reader.locator("th", has_text="Theme"))
            heading = reader.locator("#activity-values h3", has_text="Themes")
            box = await _union(heading, themes_table)
            target = out / "report-themes.png"
            await reader.screenshot(path=str(target), clip=box, full_page=True)
            written.append(target)
            for phone in phones.values():
                await phone.close()
            await browser.close()
    return written


async def _union(*locators) -> dict[str, float]:
    boxes = [await loc.first.bounding_box() for loc in locators]
    boxes = [b for b in boxes if b]
    x0, y0 = min(b["x"] for b in boxes), min(b["y"] for b in boxes)
    x1 = max(b["x"] + b["width"] for b in boxes)
    y1 = max(b["y"] + b["height"] for b in boxes)
    return {"x": max(0, x0 - 8), "y": max(0, y0 - 8), "width": x1 - x0 + 16, "height": y1 - y0 + 16}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="where the pictures go (default: docs/screens)")
    parser.add_argument("--no-suggest", action="store_true",
                        help="no theme suggestions in the Themes view (they need the sentence model)")
    args = parser.parse_args(argv)
    written = asyncio.run(make_screens(args.out, suggest=not args.no_suggest))
    for path in written:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
