"""actions: commitments for the top priorities (what, who, by when, support, how
participants hear back); the list for the report's first page (actions_of) and the CSV
for follow-up (actions_csv, ``export --format actions-csv``). Against a real host."""

from __future__ import annotations

import asyncio
import csv
import io

from facilitation_kit.core.blocks import Table
from facilitation_kit.report.actions import ACTION_COLUMNS, actions_csv, actions_of
from facilitation_kit.report.results import session_results
from facilitation_kit.testing import agenda_toml

from tests.faults.helpers import run_cli

AGENDA = agenda_toml([
    {"id": "vote", "plugin": "dot_vote", "items": ["Same worker every time", "Time to talk", "Forms online"],
     "dots": 2, "max_per_item": 2, "hide_results_until_closed": False},
    {"id": "actions", "plugin": "actions", "from": "vote"},
], roles=["Service user", "Manager"], min_group=3)


async def test_actions_with_owners_for_the_top_priorities(workshop_host):
    host = await workshop_host(AGENDA)
    users = [await host.phone(role="Service user") for _ in range(3)]
    boss = await host.phone(role="Manager")
    await host.open()
    ids = {i["label"]: i["id"] for i in users[0].activity["form"]["fields"][0]["items"]}
    for phone in users + [boss]:
        await phone.submit({"dots": {ids["Same worker every time"]: 2}})
    await host.close()
    await host.next()
    await host.open()
    fields = {f["name"]: f for f in boss.activity["form"]["fields"]}
    assert [o["label"] for o in fields["priority"]["options"]] == [
        "Same worker every time", "Time to talk", "Forms online", "Something else"]   # ranked, then other
    assert [n for n in fields] == ["priority", "what", "who", "by_when", "support", "hear_back"]
    assert not fields["support"]["required"] and fields["hear_back"]["required"]
    assert fields["who"]["help"] == "A role (for example: our team, the manager) or a name."
    # the vote's items reach the actions with opaque ids of their own (issue 11, item 11)
    offered = {o["label"]: o["value"] for o in fields["priority"]["options"]}
    first = {"priority": offered["Same worker every time"], "what": "One named worker for each family",
             "who": "Team leader Anna", "by_when": "End of June", "support": "Two more staff hours a week",
             "hear_back": "A letter in July, and at the next user forum"}
    assert (await boss.submit(first))["type"] == "ack"
    second = {"priority": "other", "what": "=HYPERLINK(\"http://x\")", "who": "Our team", "by_when": "May",
              "hear_back": "Notice board"}
    assert (await users[0].submit(second))["type"] == "ack"
    missing = await users[1].submit({"priority": "other", "what": "Something"})
    assert missing["type"] == "error" and missing["code"] == "invalid"

    s = await host.summary("actions")
    assert s["count"] == 2 and s["without_owner"] == ["Time to talk", "Forms online"]
    assert s["actions"][0]["priority_label"] == "Same worker every time" and s["actions"][0]["who"] == "Team leader Anna"
    assert s["actions"][0]["role"] is None and s["actions"][1]["role"] is None   # 1 + 1 people: too few to show
    md = host.report("md")
    assert "No one has taken on these priorities yet: Time to talk; Forms online." in md
    table = next(b for b in session_results(host.export(), host.host.plugins)["actions"]["blocks"]
                 if isinstance(b, Table))
    assert table.columns == ["#", "For", "What", "Who", "By when", "Support needed", "How participants hear back"]
    assert table.rows[1][5] == "–"   # no support asked for

    listed = actions_of(host.export(), host.host.plugins)
    assert [(a["activity"], a["number"], a["priority"], a["what"], a["who"], a["by_when"]) for a in listed] == [
        ("actions", 1, "Same worker every time", "One named worker for each family", "Team leader Anna", "End of June"),
        ("actions", 2, "Something else", "=HYPERLINK(\"http://x\")", "Our team", "May")]
    assert set(listed[0]) == set(ACTION_COLUMNS)
    rows = list(csv.DictReader(io.StringIO(actions_csv(host.export(), host.host.plugins))))
    assert rows[0]["hear_back"] == "A letter in July, and at the next user forum"
    assert rows[1]["what"].startswith("'=")   # never a spreadsheet formula

    # the command line writes the same CSV from the session's files, while it runs
    result = await asyncio.to_thread(run_cli, "export", host.host.session_id, "--format", "actions-csv",
                                     "--data-dir", host.host.data_dir)
    assert result.returncode == 0, result.stderr
    assert list(csv.DictReader(io.StringIO(result.stdout))) == rows


async def test_without_from_and_with_nothing_agreed(workshop_host):
    host = await workshop_host(agenda_toml([{"id": "actions", "plugin": "actions"}]))
    ana = await host.phone()
    await host.open()
    assert "priority" not in {f["name"] for f in ana.activity["form"]["fields"]}
    assert "No actions were agreed here." in host.report("md")
    assert actions_of(host.export(), host.host.plugins) == []


async def test_page_one_lists_each_action_with_who_and_by_when(workshop_host):
    """The report's first page ("What happens now") shows the built-in actions plugin's
    commitments with their owner and their "By when" as typed."""
    host = await workshop_host(agenda_toml([{"id": "actions", "plugin": "actions"}], roles=["Manager"]))
    boss = await host.phone(role="Manager")
    await host.open()
    assert (await boss.submit({"what": "Cut the intake form to one page", "who": "Service manager",
                               "by_when": "End of June", "hear_back": "A letter in July"}))["type"] == "ack"
    md = host.report("md")
    page_one = md[:md.index("\n## ")]
    assert "| Cut the intake form to one page | Service manager | End of June |" in page_one
