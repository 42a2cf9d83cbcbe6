"""Item ids in chained forms are opaque (issue 11 item 11): an activity with
``from = ...`` shows the items of its source, and no participant id or client id of their
authors reaches other phones; what is voted still maps back to the items' labels, live
and in the report of the recorded session. A real host on loopback with real files."""

from __future__ import annotations

import json

from facilitation_kit.cli.main import load_export
from facilitation_kit.report.render import render_report
from facilitation_kit.testing import start_test_host

AGENDA = """\
title = "Chained"
roles = ["Service user", "Manager"]

[[activity]]
id = "ideas"
plugin = "open_question"
title = "Ideas"
auto_open = true

[[activity]]
id = "cards"
plugin = "value_mapping"
title = "Cards"
auto_open = true

[[activity]]
id = "vote"
plugin = "dot_vote"
title = "Vote"
from = "ideas"
dots = 3
hide_results_until_closed = false
auto_open = true

[[activity]]
id = "compass"
plugin = "ethical_compass"
title = "Compass"
from = "cards"
auto_open = true
"""


async def test_chained_items_carry_no_author_ids_and_still_map_to_labels(tmp_path):
    path = tmp_path / "chained.toml"
    path.write_text(AGENDA, encoding="utf-8")
    data_dir = tmp_path / "data"
    async with start_test_host(path, data_dir=data_dir) as host:
        session_id = host.host.session_id
        author = await host.phone(role="Service user")
        secrets = [author.id]
        for n, text in enumerate(["Time to listen", "Fewer forms"]):
            ack = await author.submit({"answer": text}, id=f"idea-client-{n}", activity="ideas")
            assert ack["type"] == "ack", ack
            secrets.append(f"idea-client-{n}")
        await host.goto("cards")
        data = {"text": "Being heard", "kind": "outcome"}
        ack = await author.submit(data, id="card-client-0", activity="cards")
        assert ack["type"] == "ack", ack
        secrets.append("card-client-0")

        await host.goto("vote")
        voter = await host.phone(role="Manager")
        shown = json.dumps(voter.welcome, ensure_ascii=False)
        assert "Time to listen" in shown and "Fewer forms" in shown
        for secret in secrets:
            assert secret not in shown, secret
        [field] = voter.activity["form"]["fields"]
        items = {i["label"]: i["id"] for i in field["items"]}
        ack = await voter.submit({"dots": {items["Fewer forms"]: 3}}, activity="vote")
        assert ack["type"] == "ack", ack
        ranked = (await host.summary("vote"))["items"]
        assert (ranked[0]["label"], ranked[0]["dots"]) == ("Fewer forms", 3)

        await host.goto("compass")
        shown = json.dumps(await voter.sync(), ensure_ascii=False)
        assert "Being heard" in shown
        for secret in secrets:
            assert secret not in shown, secret

    md = render_report(load_export(data_dir, session_id, anonymise=True), host.host.plugins, format="md")
    vote = md.split("## Vote", 1)[1].split("\n## ", 1)[0]
    assert "| 1 | Fewer forms | 3 |" in vote
    assert "Fewer forms: 3" in vote  # the contribution table reads the item's label too
