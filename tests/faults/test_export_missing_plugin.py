"""Exporting a session on a machine where one of its plugins is missing (issue 11 item
18): every stored activity is exported, the one of the missing plugin with a generic
section (its contributions as a table), a warning on stderr names the plugin, exit 0.
The session is recorded by a real host (real files); ``facilitation-kit export`` runs as
a subprocess, where the test-only plugin is not installed."""

from __future__ import annotations

import json

from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import Form, ScaleField, TextField
from facilitation_kit.testing import start_test_host

from .helpers import run_cli

AGENDA = """\
title = "Missing plugin drill"
roles = ["Service user", "Manager"]

[[activity]]
id = "ideas"
plugin = "open_question"
title = "Ideas"
prompt = "Tell us"
auto_open = true

[[activity]]
id = "rated"
plugin = "only_on_this_machine"
title = "Rated ideas"
prompt = "Rate it"
auto_open = true

[[activity]]
id = "closing"
plugin = "open_question"
title = "Closing round"
auto_open = true
"""


class OnlyHere(ActivityType):
    name = "only_on_this_machine"
    title = "Only here"

    def form(self, activity):
        return Form([TextField("idea", label="Idea"), ScaleField("score", label="Score", min=1, max=5)])


async def test_export_with_a_missing_plugin_keeps_every_activity(tmp_path):
    agenda = tmp_path / "agenda.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    data_dir = tmp_path / "data"
    async with start_test_host(agenda, data_dir=data_dir, activities=[OnlyHere()]) as host:
        session_id = host.host.session_id
        phone = await host.phone(role="Service user")
        assert (await phone.submit({"answer": "built-in answer"}, activity="ideas"))["type"] == "ack"
        await host.next()
        assert (await phone.submit({"idea": "rated idea text", "score": 4}, activity="rated"))["type"] == "ack"
        await host.next()
        assert (await phone.submit({"answer": "closing answer"}, activity="closing"))["type"] == "ack"

    for fmt in ("md", "html", "json"):
        out = run_cli("export", session_id, "--format", fmt, "--data-dir", data_dir)
        assert out.returncode == 0, out.stderr
        assert "only_on_this_machine" in out.stderr and "warning" in out.stderr, out.stderr
        assert "rated" in out.stderr
        if fmt == "json":
            export = json.loads(out.stdout)
            assert [a["id"] for a in export["activities"]] == ["ideas", "rated", "closing"]
            assert [a["id"] for a in export["agenda"]["activities"]] == ["ideas", "rated", "closing"]
            assert {c["activity"] for c in export["contributions"]} == {"ideas", "rated", "closing"}
            continue
        text = out.stdout
        plugin = "only_on_this_machine" if fmt == "html" else "only\\_on\\_this\\_machine"
        for words in ("Ideas", "built-in answer", "Closing round", "closing answer",
                      "Rated ideas", "rated idea text", plugin):
            assert words in text, (fmt, words)
    md = run_cli("export", session_id, "--format", "md", "--data-dir", data_dir).stdout
    section = md.split("## Rated ideas", 1)[1].split("\n## ", 1)[0]
    assert "not installed" in section
    # its contributions, one column per stored field, in the appendix (the raw data's place)
    appendix = md.split("## Appendix", 1)[1]
    raw = appendix.split("### Contributions to “Rated ideas”", 1)[1].split("\n### ", 1)[0]
    assert "| Role | idea | score |" in raw
    assert "| Service user | rated idea text | 4 |" in raw
