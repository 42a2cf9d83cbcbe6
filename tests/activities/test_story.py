"""story: Most Significant Change, and the promise on its form: a story its author did
not allow to be quoted never appears word for word outside the facilitator's record
(the export keeps it): not in the results, the report, the room's screen (also when
highlighted), nor as the label of an item a vote gets. Then the vote on the most
significant story, with "why this one?". Against a real host."""

from __future__ import annotations

import json

from facilitation_kit.report.render import render_report
from facilitation_kit.testing import agenda_toml

from tests.core.test_screen_channel import Screen

SECRET = "My caseworker SECRET-WORDS told my landlord"
SECRET_TOO = "SECRET-CHANGE I lost my flat"

AGENDA = agenda_toml([
    {"id": "stories", "plugin": "story", "title": "Stories"},
    {"id": "vote", "plugin": "dot_vote", "from": "stories", "dots": 1, "max_per_item": 1, "note": True,
     "hide_results_until_closed": False},
], roles=["Service user", "Front-line professional"], min_group=3)


def story(happened, quote, **more):
    return {"happened": happened, "quote": quote, **more}


async def test_a_story_not_to_be_quoted_stays_in_the_facilitators_record(workshop_host):
    host = await workshop_host(AGENDA)
    screen = await Screen.connect(host)
    users = [await host.phone(role="Service user") for _ in range(3)]
    staff = [await host.phone(role="Front-line professional") for _ in range(3)]
    await host.open()
    fields = {f["name"]: f for f in users[0].activity["form"]["fields"]}
    assert fields["quote"]["label"] == "May we quote you (without your name)?"
    assert [o["value"] for o in fields["quote"]["options"]] == ["yes", "no"] and fields["quote"]["required"]
    assert fields["happened"]["required"] and not fields["changed"]["required"]

    first = await users[0].submit(story("The same nurse came every week", "yes", changed="I trusted her",
                                        matters="I could stay at home", kind="helped"))
    secret = await users[1].submit(story(SECRET, "no", changed=SECRET_TOO, kind="let_down"))
    assert first["type"] == secret["type"] == "ack"
    assert (await staff[0].submit(story("A family meeting at their kitchen table", "yes")))["type"] == "ack"
    missing = await users[2].submit({"happened": "No answer to the question"})
    assert missing["type"] == "error" and missing["code"] == "invalid"   # quote must be answered

    summary = await host.summary("stories")
    assert (summary["count"], summary["quotable"], summary["withheld"]) == (3, 2, 1)
    assert summary["stories"][1] == {"number": 2, "id": f"{users[1].id}:{secret['id']}", "quotable": False,
                                     "kind": "let_down", "role": "Other roles"}  # 2 + 1 people: one group
    # the screen: only the stories that may be quoted
    frame = await screen.until(lambda f: any("same nurse" in json.dumps(b) for b in f.get("blocks") or []))
    assert "SECRET" not in json.dumps(frame)
    # highlighting the secret story shows that it may not be quoted, not its words
    await host.command("screen", view="highlight", participant=users[1].id, contribution=secret["id"])
    frame = await screen.until(lambda f: f["view"] == "highlight")
    assert "SECRET" not in json.dumps(frame)
    assert frame["highlight"]["text"] == ("(Not to be quoted: its author did not allow it.)\n"
                                          "The service let me down · No, do not quote me")
    await host.command("screen", view="highlight", participant=users[0].id, contribution=first["id"])
    frame = await screen.until(lambda f: "same nurse" in (f.get("highlight") or {}).get("text", ""))
    assert frame["highlight"]["text"].startswith("The same nurse came every week\nI trusted her")

    await host.close()
    await host.next()
    await host.open()
    items = {i["label"]: i["id"] for i in users[0].activity["form"]["fields"][0]["items"]}
    assert list(items) == ["Story 1: The same nurse came every week", "Story 2",
                           "Story 3: A family meeting at their kitchen table"]
    assert users[0].activity["form"]["fields"][1]["label"] == "Why this one?"
    for n, phone in enumerate(users + staff):
        choice = "Story 2" if n % 2 else "Story 1: The same nurse came every week"
        ack = await phone.submit({"dots": {items[choice]: 1}, "note": f"Reason {n}: it changed a life"})
        assert ack["type"] == "ack"
    vote = await host.summary("vote")
    assert [n["items"] for n in vote["notes"]][:2] == [["Story 1: The same nurse came every week"], ["Story 2"]]
    await host.close()

    export = host.export()
    assert SECRET in json.dumps(export, ensure_ascii=False)   # the facilitator's record keeps it
    for fmt in ("md", "html"):
        report = render_report(export, host.host.plugins, format=fmt)
        assert "SECRET" not in report, fmt
        assert "The same nurse came every week" in report and "I could stay at home" in report
        assert "Story 2 stays in the facilitator" in report
        assert "(Not to be quoted: its author did not allow it.)" in report   # its row in the table
        assert "Reason 1: it changed a life" in report
    assert "SECRET" not in json.dumps(await host.summary("stories"))
    assert all("SECRET" not in json.dumps(f) for f in screen.frames)


async def test_a_starred_story_not_to_be_quoted_is_never_a_quote_in_the_report(workshop_host):
    """The facilitator may star any story (a mark in their own record), but the report's
    quotes ("In their words") take only what the plugin lets be shown: a story whose
    author said no is left out there too."""
    host = await workshop_host(AGENDA)
    users = [await host.phone(role="Service user") for _ in range(3)]
    await host.open()
    kept = await users[0].submit(story("The same nurse came every week", "yes"))
    secret = await users[1].submit(story(SECRET, "no", changed=SECRET_TOO))
    for phone, ack in ((users[0], kept), (users[1], secret)):
        assert (await host.command("star", participant=phone.id, id=ack["id"]))["starred"] is True
    for fmt in ("md", "html"):
        report = render_report(host.export(), host.host.plugins, format=fmt)
        assert "SECRET" not in report, fmt
        assert "The same nurse came every week" in report
    md = render_report(host.export(), host.host.plugins, format="md")
    quotes = md.split("### In their words", 1)[1].split("###", 1)[0]
    assert "> The same nurse came every week" in quotes and "Not to be quoted" not in quotes


async def test_a_theme_of_stories_never_quotes_one_not_to_be_quoted(workshop_host):
    """A confirmed theme's quote in the report (a starred member, else the most typical
    one) is never a story whose author said no, starred or not."""
    host = await workshop_host(AGENDA)
    users = [await host.phone(role="Service user") for _ in range(3)]
    await host.open()
    secret = await users[0].submit(story(SECRET + " every week the same nurse", "no"))
    open_ = await users[1].submit(story("The same nurse came every week", "yes"))
    refs = [{"participant": users[0].id, "id": secret["id"]}, {"participant": users[1].id, "id": open_["id"]}]
    await host.command("theme_create", activity="stories", label="Continuity", contributions=refs, confirmed=True)
    await host.command("star", participant=users[0].id, id=secret["id"])
    md = render_report(host.export(), host.host.plugins, format="md")
    row = next(line for line in md.splitlines() if line.startswith("| Continuity |"))
    assert "The same nurse came every week" in row and "SECRET" not in md
    # a theme of only withheld stories has no quote at all
    await host.command("theme_create", activity="stories", label="Alone", contributions=refs[:1], confirmed=True)
    md = render_report(host.export(), host.host.plugins, format="md")
    assert "SECRET" not in md and "| Alone | 1 |" in md


async def test_a_vote_may_get_only_the_quotable_stories(workshop_host):
    host = await workshop_host(agenda_toml([
        {"id": "stories", "plugin": "story", "offer": "quotable", "ask_kind": False},
        {"id": "vote", "plugin": "dot_vote", "from": "stories"},
    ]))
    ana, ben = await host.phone(), await host.phone()
    await host.open()
    assert "kind" not in {f["name"] for f in ana.activity["form"]["fields"]}
    await ana.submit(story("x" * 200, "yes"))
    await ben.submit(story(SECRET, "no"))
    await host.close()
    await host.next()
    labels = [i["label"] for i in ana.activity["form"]["fields"][0]["items"]]
    assert labels == ["Story 1: " + "x" * 79 + "…"]


async def test_the_form_in_swedish_and_polish_plurals(workshop_host, plugins):
    from .helpers import Room, info

    st = plugins.activity_type("story").activity_type
    sv = info(plugins, 'id = "s"\nplugin = "story"', language="sv")
    assert st.form(sv).fields[-1].label == "Får vi citera dig (utan ditt namn)?"
    pl = Room(st, info(plugins, 'id = "s"\nplugin = "story"', language="pl"))
    for n in range(3):
        pl.say(f"u{n}", None, story(f"historia {n}", "no"))
    text = pl.report()[0].text
    assert text.startswith("3 historie. 0 można cytować.")
    assert "historia 1" not in json.dumps([b.to_json() for b in pl.report()], ensure_ascii=False)
