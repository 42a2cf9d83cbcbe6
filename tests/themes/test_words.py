"""A contribution's own words are its text answers only (docs/themes.md "Words"): a value
card's stakeholder and a role shift's role are choices stored as readable names ("Manager",
"Front-line professional"), never someone's words. Against a real host, real files, the
TUI's Themes view in the Pilot, and the report."""

from __future__ import annotations

import copy

from facilitation_kit.core.themes import (export_text_fields, suggestion_entries, text_answers,
                                          text_fields, words_of)
from facilitation_kit.host.store import read_session
from facilitation_kit.report.render import render_report
from facilitation_kit.testing import agenda_toml

ROLES = ["Service user", "Front-line professional", "Manager"]
AGENDA = agenda_toml([
    {"id": "values", "plugin": "value_mapping", "title": "Value mapping", "prompt": "What matters?"},
    {"id": "shifts", "plugin": "role_redefinition", "title": "From and to", "prompt": "Which role?"},
], roles=ROLES)

#: value cards about one thing, each "for the Manager" (a choice stored as its name)
CARDS = ["Visits held on time", "Visits on time every week", "Home visits held on time"]
#: role shifts of the front-line professional (a choice stored as the role's name)
SHIFTS = [("Checks if I am allowed help", "Helps me find what I can do"),
          ("Checks if I am allowed any help", "Helps me find what I can do myself"),
          ("Checks whether I am allowed help", "Helps me find what I could do")]


def card(text: str) -> dict:
    return {"text": text, "kind": "output", "stakeholder": "Manager", "importance": 4, "support": 2}


def shift(from_text: str, to_text: str) -> dict:
    return {"role": "Front-line professional", "from_text": from_text, "to_text": to_text,
            "barriers": ["rules"], "who": ["management"]}


async def wait_recorded(host, activity_id: str) -> list[str]:
    """The host records an activity's text fields just after it builds its form."""
    import asyncio
    for _ in range(200):
        fields = text_fields(host.workshop, activity_id)
        if fields is not None:
            return fields
        await asyncio.sleep(0.01)
    raise AssertionError(f"no text fields recorded for {activity_id}")


async def submitted(host, activity_id: str, datas: list[dict]) -> list[dict[str, str]]:
    refs = []
    for data in datas:
        phone = await host.phone(role="Service user")
        ack = await phone.submit(data)
        assert ack["type"] == "ack", ack
        refs.append({"participant": phone.welcome["participant"]["id"], "id": ack["id"]})
    return refs


async def both_activities(workshop_host, **kw):
    host = await workshop_host(AGENDA, **kw)
    await host.open()
    cards = await submitted(host, "values", [card(t) for t in CARDS])
    await host.goto("shifts")
    await host.open()
    shifts = await submitted(host, "shifts", [shift(a, b) for a, b in SHIFTS])
    return host, cards, shifts


def row_with(md: str, text: str) -> str:
    return next(line for line in md.splitlines() if text in line)


async def test_the_host_records_each_forms_text_fields_durably(workshop_host, tmp_path):
    data = tmp_path / "data"
    host, _, _ = await both_activities(workshop_host, data_dir=data)
    assert await wait_recorded(host, "values") == ["text"]
    assert await wait_recorded(host, "shifts") == ["from_text", "to_text", "note", "helps"]
    # in the JSON export's activities, and in the session's files (journalled like every change)
    assert export_text_fields(host.export(), "values") == ["text"]
    tables, _ = read_session(host.host.data_dir, host.workshop.session_id)
    assert tables["activities"]["shifts"]["text_fields"] == ["from_text", "to_text", "note", "helps"]
    # a host restarted on the same data dir (`serve --resume`) still knows them
    session = host.workshop.session_id
    await host.host.close()
    again = await workshop_host(AGENDA, data_dir=data, resume=session)
    assert text_fields(again.workshop, "values") == ["text"]
    assert [text for _, text, _ in suggestion_entries(again.workshop, "shifts")] == \
        [f"{a}\n{b}" for a, b in SHIFTS]


async def test_choices_stored_as_names_are_not_words_anywhere(workshop_host):
    from tests.core.test_screen_channel import Screen
    host, cards, shifts = await both_activities(workshop_host)
    await wait_recorded(host, "values")
    await wait_recorded(host, "shifts")
    # what theme suggestions cluster
    assert [text for _, text, _ in suggestion_entries(host.workshop, "values")] == CARDS
    assert [text for _, text, _ in suggestion_entries(host.workshop, "shifts")] == \
        [f"{a}\n{b}" for a, b in SHIFTS]
    # a confirmed theme of each, one member starred: the report's quotes and its Themes table
    for activity, refs, label in (("values", cards, "On time"), ("shifts", shifts, "Helping")):
        await host.command("theme_create", activity=activity, label=label, contributions=refs, confirmed=True)
        await host.command("star", participant=refs[0]["participant"], id=refs[0]["id"])
    export = host.export()
    quotes = {c["activity"]: words_of(c["data"], export_text_fields(export, c["activity"]))
              for c in export["contributions"] if c.get("starred")}
    assert quotes == {"values": CARDS[0], "shifts": "\n".join(SHIFTS[0])}
    md = host.report("md")
    for line in (row_with(md, "| On time"), row_with(md, "| Helping")):  # the Themes tables
        assert "Manager" not in line and "Front-line professional" not in line, line
    assert CARDS[0] in row_with(md, "| On time")
    assert SHIFTS[0][0] in row_with(md, "| Helping")
    # page one's starred quotes: the typed words only
    quote_lines = [line for line in md.splitlines() if line.startswith(">")]
    assert any(CARDS[0] in line for line in quote_lines), md
    assert any(SHIFTS[0][0] in line and SHIFTS[0][1] in line for line in quote_lines), md
    assert not any("Manager" in line or "Front-line professional" in line for line in quote_lines), quote_lines
    # the room's screen: the theme tile quotes the starred member's typed words only
    screen = await Screen.connect(host)
    await host.command("screen", view="themes")
    frame = await screen.until(lambda f: (f.get("screen", f).get("themes") or [{}])[0].get("quote"))
    assert frame.get("screen", frame)["themes"][0]["quote"] == "\n".join(SHIFTS[0])
    await screen.ws.close()


def test_a_session_recorded_before_text_fields_keeps_the_old_guess_there_only():
    data = {"text": "Visits held on time", "kind": "output", "stakeholder": "Manager", "importance": 4}
    # recorded text fields: their answers, in form order
    assert words_of(data, ["text"]) == "Visits held on time"
    assert text_answers({"to_text": " b ", "from_text": "a", "note": "  "}, ["from_text", "to_text", "note"]) == \
        ["a", "b"]
    assert words_of(data, []) == ""  # a form without text fields: no words
    # none recorded (a session from before the fix): the guess, which takes "Manager" too
    assert words_of(data, None) == "Visits held on time\nManager"


async def test_the_report_of_an_old_export_takes_the_text_fields_from_the_installed_plugin(workshop_host):
    host, cards, _ = await both_activities(workshop_host)
    await wait_recorded(host, "values")
    await host.command("star", participant=cards[0]["participant"], id=cards[0]["id"])
    old = copy.deepcopy(host.export())
    for a in old["activities"]:
        a.pop("text_fields", None)  # as exported before activities recorded them
    starred = next(c for c in old["contributions"] if c.get("starred"))
    assert words_of(starred["data"], export_text_fields(old, "values")) == f"{CARDS[0]}\nManager"  # the guess, there only
    md = render_report(old, host.host.plugins, format="md")
    quote_lines = [line for line in md.splitlines() if line.startswith(">")]
    assert any(CARDS[0] in line for line in quote_lines), md
    assert not any("Manager" in line for line in quote_lines), quote_lines


async def test_a_resumed_session_from_before_records_the_text_fields_of_the_forms_it_builds(workshop_host, tmp_path):
    from facilitation_kit.core.ops import put
    from facilitation_kit.host.store import Store
    data = tmp_path / "data"
    host, _, _ = await both_activities(workshop_host, data_dir=data)
    await wait_recorded(host, "shifts")
    session = host.workshop.session_id
    await host.host.close()
    # the session's files as a host from before the fix left them: no text fields in the rows
    store = Store.open(data, session)
    try:
        await store.write([put("activities", a, {k: v for k, v in row.items() if k != "text_fields"})
                           for a, row in store.tables["activities"].items()])
    finally:
        store.close()
    again = await workshop_host(AGENDA, data_dir=data, resume=session)
    assert text_fields(again.workshop, "shifts") is None  # the guess, until the form is built again
    await again.phone(role="Service user")  # a phone's welcome builds the current form
    assert await wait_recorded(again, "shifts") == ["from_text", "to_text", "note", "helps"]
    assert text_fields(again.workshop, "values") is None  # not built again: the old guess stays there


def test_the_words_example_of_the_themes_docs_runs():
    import re
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[2] / "docs" / "themes.md").read_text("utf-8")
    section = doc.split("## Words", 1)[1].split("\n## ", 1)[0]
    (example,) = re.findall(r"```python\n(.*?)```", section, re.S)
    exec(compile(example, "docs/themes.md", "exec"), {})
