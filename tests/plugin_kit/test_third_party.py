"""A third-party plugin package installed through its entry point, seen by the real
command line: ``plugins``, ``FACILITATION_KIT_LOAD_PLUGINS``, ``_TRACE_PLUGINS``,
``check``, and an agenda served by ``serve --headless`` that phones use."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import pytest

from facilitation_kit.testing import Facilitator, Phone, agenda_toml

from .conftest import env_with, run_cli, wait_for_info

pytestmark = pytest.mark.slow

AGENDA = agenda_toml([
    {"id": "problems", "plugin": "open_question", "title": "What gets in the way?",
     "prompt": "What makes this service hard to use?"},
    {"id": "hmw", "plugin": "how_might_we", "title": "How might we …?", "from": "problems",
     "themes": ["Access", "Time"], "focus": "person"},
], title="Plugin workshop", roles=["Service user", "Front-line professional"])


def plugins_json(target, *args, **env):
    proc = run_cli("plugins", *args, env=env_with(target, **env))
    assert proc.returncode == 0, proc.stderr
    return proc, {p["name"]: p for p in json.loads(proc.stdout)}


def test_plugins_lists_the_installed_package_and_the_broken_ones(plugin_target):
    _, listed = plugins_json(plugin_target)
    hmw = listed["how_might_we"]
    assert hmw["package"] == "facilitation-kit-hmw" and hmw["version"] == "0.3.0"
    assert hmw["builtin"] is False and hmw["activities"] == ["how_might_we"]
    assert hmw["hooks"] == ["contribution_stored", "extra_report_sections", "register_activities", "startup"]
    assert "error" not in hmw
    assert "No module named 'facilitation_kit_dependency_that_is_not_installed'" in listed["broken_import"]["error"]
    assert listed["broken_import"]["hooks"] == [] and listed["broken_import"]["activities"] == []
    assert listed["broken_register"]["error"] == (
        "register_activities raised RuntimeError: the activity's data file is missing")
    assert "open_question" not in listed, "built-ins only with --all"


def test_plugins_all_and_hook_filter(plugin_target):
    _, listed = plugins_json(plugin_target, "--all")
    assert {"open_question", "value_mapping", "role_redefinition", "ethical_compass", "dot_vote",
            "how_might_we"} <= set(listed)
    assert listed["open_question"]["builtin"] is True
    assert listed["open_question"]["package"] == "facilitation-kit"
    _, startup = plugins_json(plugin_target, "--all", "--hook", "startup")
    assert list(startup) == ["how_might_we"]
    _, registering = plugins_json(plugin_target, "--hook", "register_activities")
    assert set(registering) == {"how_might_we", "broken_register"}


def test_load_plugins_env_selects_third_party_plugins(plugin_target):
    _, none = plugins_json(plugin_target, "--all", FACILITATION_KIT_LOAD_PLUGINS="")
    assert "how_might_we" not in none and "broken_import" not in none
    assert "open_question" in none, "built-ins always load"
    _, only = plugins_json(plugin_target, FACILITATION_KIT_LOAD_PLUGINS="how_might_we, not_installed")
    assert set(only) == {"how_might_we", "not_installed"}
    assert "no installed package provides it" in only["not_installed"]["error"]
    assert "error" not in only["how_might_we"]


def test_trace_plugins_logs_loading_and_registration(plugin_target):
    proc, _ = plugins_json(plugin_target, FACILITATION_KIT_TRACE_PLUGINS="1")
    lines = proc.stderr.splitlines()
    assert "[plugins] loading how_might_we = facilitation_kit_hmw (facilitation-kit-hmw)" in lines
    assert any(l.startswith("[plugins] register_activities <- how_might_we: registered ['how_might_we']")
               for l in lines)
    assert any(l.startswith("[plugins] broken_import failed to load: ModuleNotFoundError") for l in lines)
    quiet, _ = plugins_json(plugin_target)
    assert "[plugins]" not in quiet.stderr


def test_check_names_file_line_activity_field_and_allowed_values(plugin_target, tmp_path):
    agenda = tmp_path / "workshop.toml"
    agenda.write_text(AGENDA.replace('focus = "person"', 'focus = "persons"'), encoding="utf-8")
    proc = run_cli("check", str(agenda), env=env_with(plugin_target))
    assert proc.returncode == 2
    line = next(i for i, l in enumerate(agenda.read_text().splitlines(), 1) if l.startswith("focus"))
    assert proc.stderr.splitlines() == [
        f"facilitation-kit: {agenda}:{line}: activity 'hmw': field 'focus': how_might_we: "
        "'persons' is not allowed; allowed: person, service, both"]
    assert proc.stdout == ""
    agenda.write_text(AGENDA, encoding="utf-8")
    ok = run_cli("check", str(agenda), env=env_with(plugin_target))
    assert ok.returncode == 0, ok.stderr
    assert "hmw" in ok.stdout and "how_might_we" in ok.stdout


def test_agenda_without_the_plugin_installed_says_so(tmp_path):
    agenda = tmp_path / "workshop.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    proc = run_cli("check", str(agenda), env=env_with())
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert "activity 'hmw': field 'plugin': no activity plugin 'how_might_we' is installed" in proc.stderr
    assert "Traceback" not in proc.stderr


async def test_served_workshop_uses_the_installed_plugin(plugin_target, tmp_path):
    agenda = tmp_path / "workshop.toml"
    agenda.write_text(AGENDA, encoding="utf-8")
    info_file = tmp_path / "info.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "facilitation_kit", "serve", "--headless", str(agenda), "--host", "127.0.0.1",
         "--port", "0", "--info-file", str(info_file), "--data-dir", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env_with(plugin_target, FACILITATION_KIT_TRACE_PLUGINS="1"))
    try:
        info = await asyncio.to_thread(wait_for_info, info_file, proc)
        base = f"ws://127.0.0.1:{info['port']}"
        facilitator = await Facilitator.connect(base, info["facilitator_token"])
        ana = await Phone.connect(base + "/ws", info["room"])
        ben = await Phone.connect(base + "/ws", info["room"])
        assert (await ana.hello(role="Service user"))["type"] == "welcome"
        assert (await ben.hello(role="Front-line professional"))["type"] == "welcome"

        assert (await facilitator.send_command("open"))["type"] == "ok"
        await ana.wait_activity("problems", "open")
        await ben.wait_activity("problems", "open")
        assert (await ana.submit({"answer": "The forms are long"}))["type"] == "ack"
        assert (await ben.submit({"answer": "Waiting times"}))["type"] == "ack"

        assert (await facilitator.send_command("next"))["type"] == "ok"
        assert (await facilitator.send_command("open"))["type"] == "ok"
        hmw = await ana.wait_activity("hmw", "open")
        await ben.wait_activity("hmw", "open")
        assert hmw["plugin"] == "how_might_we" and hmw["focus"] == "person"
        names = [f["name"] for f in hmw["form"]["fields"]]
        assert names == ["problem", "question", "theme"]
        problems = {o["label"]: o["value"] for o in hmw["form"]["fields"][0]["options"]}
        assert sorted(problems) == ["The forms are long", "Waiting times"]
        problem_id = problems["The forms are long"]

        ack = await ana.submit({"problem": problem_id, "question": "how might we shorten the forms",
                                "theme": "Time"})
        assert ack["type"] == "ack", ack
        assert ack["contribution"]["data"]["question"] == "shorten the forms?"
        bad = await ben.submit({"question": "faster"})
        assert bad["type"] == "error" and bad["code"] == "invalid" and "question" in bad["fields"]

        results = await facilitator.send_command("results", activity="hmw")
        assert results["type"] == "ok", results
        summary = results["results"]
        assert summary["count"] == 1 and summary["by_role"] == {"Service user": 1}
        assert summary["questions"][0]["text"] == "How might we shorten the forms?"
        assert summary["questions"][0]["problem"] == "The forms are long"
        for client in (ana, ben, facilitator):
            await client.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = await asyncio.to_thread(proc.communicate, timeout=20)
    assert proc.returncode == 0, err
    assert "everything acknowledged is stored" in out
    assert "Traceback" not in err
    traced = err.splitlines()
    assert "[plugins] how_might_we.form called" in traced
    assert ("[plugins] how_might_we.validate rejected the input: "
            "question: finish the question in at least three words") in traced
    assert any(line.startswith("[plugins] how_might_we.contribution_stored returned None") for line in traced)
    assert any(line.startswith("[plugins] how_might_we.summarise returned {'count': 1") for line in traced)


@pytest.mark.parametrize("line, message", [
    ('max_lenght = 80', "field 'max_lenght': open_question has no option 'max_lenght'; allowed: "
                        "auto_open, close_at_end, from, from_kinds, from_themes, id, label, max_contributions, max_length, "
                        "moderated, multiline, notes, plugin, prompt, timebox, title, top"),
    ('max_length = 0', "field 'max_length': open_question: must be at least 1, not 0"),
    ('multiline = "yes"', "field 'multiline': open_question: must be true or false, not text"),
])
def test_check_reports_a_built_in_option_typo_in_one_line(tmp_path, line, message):
    agenda = tmp_path / "typo.toml"
    agenda.write_text(f'title = "T"\n\n[[activity]]\nid = "q"\nplugin = "open_question"\n{line}\n',
                      encoding="utf-8")
    proc = run_cli("check", str(agenda), env=env_with())
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == f"facilitation-kit: {agenda}:6: activity 'q': {message}\n"
