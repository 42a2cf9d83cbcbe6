"""Plugin failures that lost or leaked data (issue 11 items 18 to 21), against a real host
on loopback with real files: each is the plugin's own error, named, and nothing else."""

from __future__ import annotations

import json

from websockets.asyncio.client import connect

from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.forms import Form, TextField
from facilitation_kit.testing import start_test_host


class NotJsonValidate(ActivityType):
    """validate() returns a dict the journal cannot hold (a set, NaN)."""

    name = "not_json_validate"
    title = "Not JSON"

    def form(self, activity):
        return Form([TextField("answer", label="Answer")])

    def validate(self, activity, data):
        if data["answer"] == "nan":
            return {"answer": float("nan")}
        return {"answer": {"a", "set"}}


class BrokenForm(ActivityType):
    name = "broken_form"
    title = "Broken form"

    def form(self, activity):
        raise RuntimeError("form is broken")


def agenda(tmp_path, *activities: tuple[str, str]) -> str:
    text = 'title = "Plugin failures"\nroles = ["Service user", "Manager"]\n'
    for act_id, plugin in activities:
        text += f'\n[[activity]]\nid = "{act_id}"\nplugin = "{plugin}"\nauto_open = true\n'
    path = tmp_path / "agenda.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_validate_returning_what_is_not_json_is_a_plugin_error_not_storage(tmp_path):
    path = agenda(tmp_path, ("a1", "not_json_validate"))
    async with start_test_host(path, data_dir=tmp_path / "data", activities=[NotJsonValidate()]) as host:
        phone = await host.phone(role="Manager")
        for text in ("set", "nan"):
            reply = await phone.submit({"answer": text})
            assert reply["type"] == "error" and reply["code"] == "plugin_error", reply
        problem = await host.facilitator.expect("plugin_error")
        assert problem["plugin"] == "not_json_validate" and "not JSON" in problem["message"]
        assert problem["activity"] == "a1"
        assert not [e for e in host.facilitator.events if e.get("type") == "storage"]
        assert host.workshop.contributions("a1") == []
        assert not host.workshop._storage_failing


async def test_authed_is_the_first_frame_even_when_the_current_form_fails(tmp_path):
    path = agenda(tmp_path, ("broken", "broken_form"))
    async with start_test_host(path, data_dir=tmp_path / "data", activities=[BrokenForm()]) as host:
        for _ in range(5):
            async with connect(host.ws_url + "/ws/facilitator") as ws:
                await ws.send(json.dumps({"type": "auth", "token": host.host.facilitator_token}))
                first = json.loads(await ws.recv())
                assert first["type"] == "authed", first
                assert first["activity"]["error"]
                # the failure is still told, after authed
                frame = json.loads(await ws.recv())
                while frame["type"] != "plugin_error":
                    frame = json.loads(await ws.recv())
                assert frame["plugin"] == "broken_form"
                # and events still reach it
                phone = await host.phone(role="Manager")
                frame = json.loads(await ws.recv())
                while frame["type"] != "joined":
                    frame = json.loads(await ws.recv())
                assert frame["participant"]["id"] == phone.id


VOTE_AGENDA = """\
title = "Silent vote"
roles = ["Service user", "Manager"]

[[activity]]
id = "vote"
plugin = "dot_vote"
title = "Vote"
items = ["More time", "More trust"]
dots = 2
auto_open = true
"""


async def test_report_hooks_never_see_results_the_room_may_not_see_yet(tmp_path):
    import types

    from facilitation_kit import hookimpl
    from facilitation_kit.cli.main import load_export
    from facilitation_kit.report.render import render_report

    hook = types.SimpleNamespace(seen=[])  # an extra_report_sections hook keeping what it got
    hook.extra_report_sections = hookimpl(lambda workshop, results: hook.seen.append(dict(results)))
    path = tmp_path / "vote.toml"
    path.write_text(VOTE_AGENDA, encoding="utf-8")
    data_dir = tmp_path / "data"
    async with start_test_host(path, data_dir=data_dir, extra_plugins=[("seen-by-hook", hook)]) as host:
        session_id = host.host.session_id
        phone = await host.phone(role="Manager")
        items = phone.activity["form"]["fields"][0]["items"]
        ack = await phone.submit({"dots": {items[0]["id"]: 2}})
        assert ack["type"] == "ack", ack
        assert not (await host.results("vote"))["visible"]  # a silent vote, still open
        # the live host's report
        report = host.report("md")
        assert "The results stay hidden" in report
        assert hook.seen and all("vote" not in seen for seen in hook.seen)
        # the recorded session's report (what `facilitation-kit export` does)
        hook.seen.clear()
        render_report(load_export(data_dir, session_id, anonymise=True), host.host.plugins, format="md")
        assert hook.seen and all("vote" not in seen for seen in hook.seen)
        # once the vote is closed the hook gets its results
        await host.close()
        hook.seen.clear()
        host.report("md")
        assert hook.seen[-1]["vote"]["dots_cast"] == 2
        hook.seen.clear()
        render_report(load_export(data_dir, session_id, anonymise=True), host.host.plugins, format="md")
        assert hook.seen[-1]["vote"]["dots_cast"] == 2
