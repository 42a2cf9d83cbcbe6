"""Themes and stars against a real host: commands over the facilitator channel, the
journal (resume), themes as a `from` source, erasure, the screen's and report's rules."""

from __future__ import annotations

import pytest

from facilitation_kit.core.themes import themes_of
from facilitation_kit.host.store import read_session
from facilitation_kit.testing import agenda_toml

AGENDA = agenda_toml([
    {"id": "ideas", "plugin": "open_question", "title": "Ideas", "prompt": "What would help?"},
    {"id": "vote", "plugin": "dot_vote", "title": "Vote on the themes", "from": "ideas", "from_themes": True,
     "dots": 3, "max_per_item": 3},
], roles=["Service user", "Staff"])

IDEAS = ["Same worker every time", "One contact person who knows me", "Shorter waiting times",
         "I waited months for a call back", "Less paperwork please", "Simpler forms"]


async def ideas_host(workshop_host, texts=IDEAS, **kw):
    host = await workshop_host(AGENDA, **kw)
    await host.open()
    refs = []
    for n, text in enumerate(texts):
        phone = await host.phone(role="Service user" if n % 2 else "Staff")
        ack = await phone.submit({"answer": text})
        refs.append({"participant": phone.welcome["participant"]["id"], "id": ack["id"]})
    return host, refs


async def error_of(host, command, **fields):
    frame = await host.facilitator.send_command(command, **fields)
    assert frame["type"] == "error", frame
    return frame["code"]


async def test_group_rename_move_merge_ungroup_confirm(workshop_host):
    host, refs = await ideas_host(workshop_host)
    a = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:2]))["theme"]
    b = (await host.command("theme_create", activity="ideas", label="Waiting", contributions=refs[2:4]))["theme"]
    assert a["contributions"] == [[r["participant"], r["id"]] for r in refs[:2]] and a["confirmed"] is False
    # a contribution is in at most one theme: grouping it again takes it out of the other
    c = (await host.command("theme_create", activity="ideas", label="  Paper\nwork  ", contributions=[refs[4], refs[1]]))["theme"]
    assert c["label"] == "Paper work"
    state = host.workshop.tables["themes"]
    assert state[a["id"]]["contributions"] == [[refs[0]["participant"], refs[0]["id"]]]
    await host.command("theme_move", contributions=[refs[1]], theme=a["id"])
    assert [refs[1]["participant"], refs[1]["id"]] in state[a["id"]]["contributions"]
    assert [refs[1]["participant"], refs[1]["id"]] not in state[c["id"]]["contributions"]
    await host.command("theme_move", contributions=[refs[4]], theme=None, activity="ideas")
    assert state[c["id"]]["contributions"] == []
    renamed = (await host.command("theme_rename", theme=b["id"], label="Waiting times"))["theme"]
    assert renamed["label"] == "Waiting times"
    merged = (await host.command("theme_merge", theme=c["id"], into=b["id"]))["theme"]
    assert c["id"] not in state and merged["id"] == b["id"]
    await host.command("theme_ungroup", theme=b["id"])
    assert b["id"] not in state
    confirmed = (await host.command("theme_confirm", theme=a["id"]))["theme"]
    assert confirmed["confirmed"] is True
    listed = (await host.command("themes", activity="ideas"))["themes"]
    assert [t["id"] for t in listed] == [a["id"]]
    # every change is journalled: the session's files hold the same themes
    tables, _ = read_session(host.host.data_dir, host.workshop.session_id)
    assert tables["themes"] == host.workshop.tables["themes"]


async def test_theme_commands_refuse_bad_input_clearly(workshop_host):
    host, refs = await ideas_host(workshop_host, IDEAS[:2])
    assert await error_of(host, "theme_create", activity="nope", label="x", contributions=refs) == "unknown_activity"
    assert await error_of(host, "theme_create", activity="ideas", label="   ", contributions=refs) == "invalid"
    assert await error_of(host, "theme_create", activity="ideas", label="x", contributions=[]) == "bad_message"
    assert await error_of(host, "theme_create", activity="ideas", label="x",
                          contributions=[{"participant": "p-x", "id": "c"}]) == "unknown_contribution"
    assert await error_of(host, "theme_create", activity="ideas", label="x", contributions=["oops"]) == "bad_message"
    assert await error_of(host, "theme_create", activity="ideas", label=5, contributions=refs) == "bad_message"
    assert await error_of(host, "theme_rename", theme="t-none", label="x") == "unknown_theme"
    t = (await host.command("theme_create", activity="ideas", label="A" * 200, contributions=refs))["theme"]
    assert len(t["label"]) == 80
    assert await error_of(host, "theme_merge", theme=t["id"], into=t["id"]) == "invalid"
    assert await error_of(host, "theme_move", contributions=refs, theme=None) == "bad_message"
    assert await error_of(host, "star", participant="p-x", id="nope") == "unknown_contribution"
    assert host.workshop.current_id == "ideas"  # the room goes on


async def test_confirmed_themes_are_the_items_of_a_vote(workshop_host):
    host, refs = await ideas_host(workshop_host)
    a = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:2]))["theme"]
    b = (await host.command("theme_create", activity="ideas", label="Waiting", contributions=refs[2:4]))["theme"]
    info = await host.workshop.activity_info("vote")
    assert info.items == ()  # nothing reaches a vote until confirmed
    await host.command("theme_confirm", theme=a["id"])
    await host.command("theme_confirm", theme=b["id"])
    await host.goto("vote")
    await host.open()
    phone = host.phones[0]
    view = await phone.wait_activity("vote", "open")
    items = view["form"]["fields"][0]["items"]
    assert [(i["id"], i["label"]) for i in items] == [(a["id"], "Continuity"), (b["id"], "Waiting")]
    ack = await phone.submit({"dots": {a["id"]: 2, b["id"]: 1}})
    assert ack["type"] == "ack"
    ranked = (await host.summary("vote"))["items"]
    assert ranked[0]["label"] == "Continuity" and ranked[0]["dots"] == 2
    # renaming a confirmed theme reaches the open vote at once
    await host.facilitator.send_command("theme_rename", theme=b["id"], label="Quicker answers")
    frame = await phone.expect("activity")
    assert any(i["label"] == "Quicker answers" for i in frame["activity"]["form"]["fields"][0]["items"])


async def test_stars_are_the_reports_quotes_and_erasure_empties_themes(workshop_host):
    host, refs = await ideas_host(workshop_host)
    answer = await host.command("star", participant=refs[0]["participant"], id=refs[0]["id"])
    assert answer["starred"] is True
    await host.command("star", participant=refs[3]["participant"], id=refs[3]["id"])
    await host.command("unstar", participant=refs[3]["participant"], id=refs[3]["id"])
    assert host.workshop.contribution(refs[0]["participant"], refs[0]["id"])["starred"] is True
    assert "starred" not in host.workshop.contribution(refs[3]["participant"], refs[3]["id"])
    # the export carries the stars (the report chooses its quotes from them: test_report_brief)
    assert [(c["data"]["answer"], c["role"]) for c in host.export()["contributions"]
            if c.get("starred")] == [("Same worker every time", "Staff")]
    await host.command("hide", participant=refs[0]["participant"], contribution=refs[0]["id"])
    assert [c.get("hidden") for c in host.export()["contributions"] if c.get("starred")] == [True]
    # erasing a participant takes their contributions out of every theme
    t = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:2]))["theme"]
    await host.command("erase", participant=refs[1]["participant"])
    assert host.workshop.tables["themes"][t["id"]]["contributions"] == [[refs[0]["participant"], refs[0]["id"]]]
    exported = host.export()["themes"]
    assert exported[0]["id"] == t["id"] and refs[1]["participant"] not in str(exported)


async def test_themes_and_stars_survive_a_resume(workshop_host, tmp_path):
    data = tmp_path / "resume"
    host, refs = await ideas_host(workshop_host, data_dir=data)
    t = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:2],
                            confirmed=True))["theme"]
    await host.command("star", participant=refs[2]["participant"], id=refs[2]["id"])
    session = host.workshop.session_id
    await host.host.close()
    again = await workshop_host(AGENDA, data_dir=data, resume=session)
    assert again.workshop.tables["themes"][t["id"]]["confirmed"] is True
    assert again.workshop.contribution(refs[2]["participant"], refs[2]["id"])["starred"] is True
    assert themes_of(again.workshop, "ideas", confirmed_only=True)[0]["label"] == "Continuity"


async def test_the_report_shows_confirmed_themes_by_role_with_a_quote(workshop_host):
    texts = ["Same worker every time", "The same worker every visit please", "One worker who knows me",
             "A worker every time the same", "Shorter waiting times"]
    host, refs = await ideas_host(workshop_host, texts)
    t = (await host.command("theme_create", activity="ideas", label="Continuity <b>", contributions=refs[:4]))["theme"]
    await host.command("theme_create", activity="ideas", label="Not confirmed", contributions=refs[4:])
    assert "Continuity" not in host.report("md")  # only confirmed themes reach the report
    await host.command("theme_confirm", theme=t["id"])
    md = host.report("md")
    assert "Themes" in md and "Continuity" in md and "Not confirmed" not in md
    # 2 staff and 2 service users: both groups are under min_group (3), together 4: "Other roles"
    row = next(line for line in md.splitlines() if "Continuity" in line)
    assert "Other roles: 4" in row and "Staff" not in row
    html = host.report("html")
    assert "Continuity &lt;b&gt;" in html
    # a starred member is the quote
    await host.command("star", participant=refs[2]["participant"], id=refs[2]["id"])
    row = next(line for line in host.report("md").splitlines() if "Continuity" in line)
    assert "One worker who knows me" in row


async def test_the_rooms_screen_shows_confirmed_themes_only(workshop_host):
    from tests.core.test_screen_channel import Screen
    host, refs = await ideas_host(workshop_host)
    t = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:3]))["theme"]
    await host.command("theme_create", activity="ideas", label="Draft", contributions=refs[3:5])
    screen = await Screen.connect(host)
    await host.command("screen", view="themes")
    frame = await screen.until(lambda f: f.get("screen", f).get("themes") is not None)
    state = frame.get("screen", frame)
    assert state["themes"] == []  # nothing until confirmed
    await host.command("theme_confirm", theme=t["id"])
    frame = await screen.until(lambda f: f.get("screen", f).get("themes"))
    state = frame.get("screen", frame)
    assert state["view"] == "themes" and state["themes_more"] == 0
    assert state["themes"] == [{"label": "Continuity", "count": 3, "quote": None, "roles": []}]
    # a starred member is the tile's quote; roles stay off (the agenda did not ask for them)
    await host.command("star", participant=refs[1]["participant"], id=refs[1]["id"])
    frame = await screen.until(lambda f: (f.get("screen", f).get("themes") or [{}])[0].get("quote"))
    assert frame.get("screen", frame)["themes"][0]["quote"] == "One contact person who knows me"
    # a hidden contribution leaves the count, and its words the tile
    await host.command("hide", participant=refs[1]["participant"], contribution=refs[1]["id"])
    frame = await screen.until(lambda f: (f.get("screen", f).get("themes") or [{}])[0].get("count") == 2)
    assert frame.get("screen", frame)["themes"][0]["quote"] is None
    assert "Draft" not in str(frame) and "knows me" not in str(frame)
    await screen.ws.close()


async def test_suggest_themes_groups_a_mixed_language_room_off_the_loop(workshop_host):
    texts = ["I want the same worker every time", "Haluaisin saman työntekijän joka kerta",
             "Ich möchte jedes Mal dieselbe Betreuerin haben", "Quiero ver siempre a la misma trabajadora social",
             "Shorter waiting times for a first appointment", "Lyhyemmät jonot ensimmäiselle käynnille",
             "Kürzere Wartezeiten auf den ersten Termin", "Menos tiempo de espera para la primera cita"]
    host, refs = await ideas_host(workshop_host, texts)
    answer = await host.command("suggest_themes", activity="ideas")
    assert answer["method"] in ("e5", "tfidf")
    seen = [(c["participant"], c["id"]) for t in answer["themes"] for c in t["contributions"]]
    assert len(seen) == len(set(seen))  # each contribution in at most one theme
    assert set(seen) <= {(r["participant"], r["id"]) for r in refs}
    assert all(0 < len(t["label"]) <= 80 and len(t["contributions"]) >= 2 for t in answer["themes"])
    assert host.workshop.tables["themes"] == {}  # nothing stored
    if answer["method"] == "e5":  # meaning, not language: the two groups come back
        groups = sorted(sorted(refs.index({"participant": c["participant"], "id": c["id"]}) for c in t["contributions"])
                        for t in answer["themes"])
        assert groups == [[0, 1, 2, 3], [4, 5, 6, 7]], groups
    assert await error_of(host, "suggest_themes", activity="nope") == "unknown_activity"
    # an activity with fewer than two contributions with words: no suggestion, no error
    assert (await host.command("suggest_themes", activity="vote"))["themes"] == []


def test_the_docs_agenda_example_parses_with_from_themes():
    import re
    from pathlib import Path
    from facilitation_kit.core.agenda import parse_agenda
    from facilitation_kit.core.plugins import load_plugins
    doc = (Path(__file__).resolve().parents[2] / "docs" / "themes.md").read_text("utf-8")
    (example,) = re.findall(r"```toml\n(.*?)```", doc, re.S)
    agenda = parse_agenda(example, load_plugins(), path="example.toml")
    assert agenda.activity("vote").from_themes and agenda.activity("vote").source == "ideas"


async def test_the_report_gives_a_vote_on_themes_the_themes_as_its_items(workshop_host):
    """The report reads an activity with ``from_themes`` as the live host does: its items
    are the source's confirmed themes (not the source plugin's own items), so the votes
    it stored count, under the themes' labels."""
    from facilitation_kit.report.results import session_results

    host, refs = await ideas_host(workshop_host)
    a = (await host.command("theme_create", activity="ideas", label="Continuity", contributions=refs[:2],
                            confirmed=True))["theme"]
    b = (await host.command("theme_create", activity="ideas", label="Waiting", contributions=refs[2:4],
                            confirmed=True))["theme"]
    await host.command("theme_create", activity="ideas", label="Draft only", contributions=refs[4:])
    await host.goto("vote")
    await host.open()
    phone = host.phones[0]
    await phone.wait_activity("vote", "open")
    assert (await phone.submit({"dots": {a["id"]: 2, b["id"]: 1}}))["type"] == "ack"
    live = [(i.id, i.label) for i in (await host.workshop.activity_info("vote")).items]
    results = session_results(host.export(), host.host.plugins)["vote"]
    assert [(i.id, i.label) for i in results["info"].items] == live == [(a["id"], "Continuity"), (b["id"], "Waiting")]
    assert [(i["label"], i["dots"]) for i in results["summary"]["items"]] == [("Continuity", 2), ("Waiting", 1)]
