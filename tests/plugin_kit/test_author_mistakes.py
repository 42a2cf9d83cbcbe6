"""A plugin author's common mistakes explain themselves (issue 17): each test makes one
mistake on purpose and checks the exact message the author sees, where they see it
(the facilitator's events, the session log, ``plugins``, ``check``, ``--why``)."""

from __future__ import annotations

import asyncio
import json
import textwrap
import time

import pytest

import facilitation_kit as fk
from facilitation_kit.core.activity import RESERVED_OPTION_NAMES, ActivityType, Option
from facilitation_kit.core.agenda import AgendaError, parse_agenda
from facilitation_kit.core.engine import PHONE_PLUGIN_ERROR
from facilitation_kit.core.forms import ChoiceField, Form, MatrixField, TextField, VoteField
from facilitation_kit.core.plugins import explain, load_plugins
from facilitation_kit.testing import agenda_toml, plugin_host, single_activity

from .conftest import env_with, run_cli


class Answer(ActivityType):
    title = "Answer"

    def __init__(self, name="answer"):
        self.name = name

    def form(self, activity):
        return Form([TextField("answer", label="Answer")])


def problems(host, plugin=None):
    return [p.message for p in host.problems if plugin is None or p.plugin == plugin]


# -- 1. a plugin's exception: traceback in the session log, named to the facilitator ------

class Raises(Answer):
    def validate(self, activity, data):
        return self.helper(data)

    def helper(self, data):
        raise KeyError("colour")


async def test_a_plugin_exception_is_named_to_the_facilitator_with_the_log_file(workshop_host):
    host = await workshop_host(single_activity("raises"), activities=[Raises("raises")])
    phone = await host.phone()
    await host.open()
    reply = await phone.submit({"answer": "x"})
    assert reply == {"type": "error", "id": reply["id"], "code": "plugin_error", "message": PHONE_PLUGIN_ERROR}
    event = await host.facilitator.expect("plugin_error")
    log_file = host.host.log_file
    assert log_file.name == f"{host.host.session_id}.log"
    assert event == {"type": "plugin_error", "activity": "a1", "plugin": "raises",
                     "message": f"raises.validate raised KeyError: 'colour' (the traceback is in {log_file})"}
    log_text = log_file.read_text(encoding="utf-8")
    assert "plugin raises: raises.validate raised KeyError: 'colour'" in log_text
    assert "Traceback (most recent call last):" in log_text
    assert "in helper\n" in log_text and 'raise KeyError("colour")' in log_text


async def test_hook_tracebacks_go_to_the_session_log_too(workshop_host):
    class StartupFails:
        @fk.hookimpl
        def startup(self, workshop):
            {}["missing"]

    host = await workshop_host(single_activity("open_question"), extra_plugins=[("starts", StartupFails())])
    log_text = host.host.log_file.read_text(encoding="utf-8")
    assert "plugin starts: starts.startup raised KeyError: 'missing'" in log_text
    assert '{}["missing"]' in log_text


# -- 2. option defaults and reserved names, checked when the plugin registers ------------

class BadOptions(Answer):
    options = (Option("rounds", "integer", default="5"), Option("title", "string", default="x"),
               Option("mode", "string", default="loud", choices=["quiet", "calm"]))


def test_bad_option_defaults_and_reserved_names_are_refused_at_registration():
    host = plugin_host(extra_plugins=[("badopts", _registering(BadOptions("bad_options")))])
    assert "bad_options" not in host.activity_types
    assert problems(host, "badopts") == [
        "activity 'bad_options': option 'rounds': its default '5' does not fit kind 'integer': must be "
        "a whole number, not text; option 'title' has a name the agenda uses for every activity "
        f"(reserved: {', '.join(sorted(RESERVED_OPTION_NAMES))}): the "
        "agenda could never set it; rename it; option 'mode': its default 'loud' does not fit kind "
        "'string': 'loud' is not allowed; allowed: quiet, calm"]
    with pytest.raises(AgendaError, match=r"no activity plugin 'bad_options' is installed \(badopts: "
                                          r"activity 'bad_options': option 'rounds': its default"):
        parse_agenda(single_activity("bad_options"), host, path="w.toml")


def test_plugins_and_check_report_the_bad_option_with_the_plugins_name(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "rounds.py").write_text(textwrap.dedent('''
        import facilitation_kit as fk

        class Rounds(fk.ActivityType):
            name = "rounds"
            options = (fk.Option("rounds", "integer", default="5"),)

            def form(self, activity):
                return fk.Form([fk.TextField("answer", label="Answer")])

        @fk.hookimpl
        def register_activities(register):
            register(Rounds())
    '''), encoding="utf-8")
    listed = run_cli("plugins", "--plugins-dir", str(folder), env=env_with())
    entry = {p["name"]: p for p in json.loads(listed.stdout)}["rounds"]
    assert entry["error"] == ("activity 'rounds': option 'rounds': its default '5' does not fit kind "
                              "'integer': must be a whole number, not text")
    assert entry["file"] == str(folder / "rounds.py")
    agenda = tmp_path / "a.toml"
    agenda.write_text(single_activity("open_question"), encoding="utf-8")
    checked = run_cli("check", str(agenda), "--plugins-dir", str(folder), env=env_with())
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == ("facilitation-kit: plugin problem: plugin rounds: activity 'rounds': option "
                              "'rounds': its default '5' does not fit kind 'integer': must be a whole "
                              "number, not text\n")


def _registering(*activity_types):
    class Plugin:
        @fk.hookimpl
        def register_activities(self, register):
            for activity_type in activity_types:
                register(activity_type)
    return Plugin()


# -- 3. ChoiceField options as plain strings ----------------------------------------------

def test_choice_options_may_be_plain_strings():
    field = ChoiceField("ok", label="OK?", options=["ok", "no"])
    assert field.to_json()["options"] == [{"value": "ok", "label": "ok"}, {"value": "no", "label": "no"}]
    assert VoteField("v", label="V", items=["Time", ("money", "Money")]).items == (("Time", "Time"), ("money", "Money"))
    assert MatrixField("m", label="M", rows=["a"], columns=[{"value": "x", "label": "X"}]).columns == (("x", "X"),)


@pytest.mark.parametrize("options, message", [
    ("ok,no", "ChoiceField 'ok': options must be a list, e.g. options=[\"Yes\", \"No\"] or "
              "options=[(\"yes\", \"Yes\"), (\"no\", \"No\")]; not str 'ok,no'"),
    ([("ok",)], "ChoiceField 'ok': options[0] is ('ok',); each entry must be a string (its own label) "
                "or a (value, label) pair, e.g. options=[\"Yes\", \"No\"] or options=[(\"yes\", \"Yes\"), "
                "(\"no\", \"No\")]"),
    ([None], "ChoiceField 'ok': options[0] is None; each entry must be a string"),
])
def test_choice_options_of_another_shape_are_refused_clearly(options, message):
    with pytest.raises(TypeError) as err:
        ChoiceField("ok", label="OK?", options=options)
    assert str(err.value).startswith(message)


# -- 4. no form(), a hook without @hookimpl, a plugin that cannot be found ----------------

def test_an_activity_without_form_is_refused_with_what_to_do():
    class NoForm(ActivityType):
        name = "no_form"

    host = plugin_host(extra_plugins=[("noform", _registering(NoForm()))])
    assert problems(host, "noform") == [
        "activity 'no_form': NoForm has no form(): define `def form(self, activity): return "
        "fk.Form([...])` listing the fields participants fill in"]


def test_a_results_widget_is_warned_about_and_never_called():
    """The terminal app runs no plugin code: it draws the report blocks the host computes,
    so a results_widget from an older plugin is named, and the activity still loads."""
    called = []

    class OwnWidget(Answer):
        def results_widget(self, activity, results):
            called.append(activity)

    host = plugin_host(extra_plugins=[("widgety", _registering(OwnWidget("own_widget")))])
    assert [(p.level, p.activity, p.message) for p in host.problems if p.plugin == "widgety"] == [
        ("warning", "own_widget", "OwnWidget.results_widget is never called: the terminal app draws the "
                                  "report() blocks the host computes (it runs no plugin code); delete "
                                  "results_widget and put what it showed in report()")]
    assert "own_widget" in host.activity_types and called == []


def test_hook_functions_without_hookimpl_are_warned_about(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "forgot.py").write_text(textwrap.dedent('''
        import facilitation_kit as fk

        def register_activities(register):
            pass

        def startup(workshop):
            pass
    '''), encoding="utf-8")
    host = load_plugins(plugins_dir=folder)
    assert [(p.level, p.message) for p in host.problems if p.plugin == "forgot"] == [
        ("warning", "register_activities has no @hookimpl, so facilitation-kit never calls it: put "
                    "`@fk.hookimpl` on the line above `def register_activities` (import facilitation_kit as fk)"),
        ("warning", "startup has no @hookimpl, so facilitation-kit never calls it: put `@fk.hookimpl` on "
                    "the line above `def startup` (import facilitation_kit as fk)")]
    entry = {d["name"]: d for d in host.describe()}["forgot"]
    assert "error" not in entry and len(entry["warnings"]) == 2


def test_why_explains_a_plugin_that_is_not_found():
    lines = explain("sticky_notes")
    assert lines[0].startswith("Looking for the plugin 'sticky_notes' with ")
    assert any(l.startswith("- the entry-point group 'facilitation_kit' of the ") for l in lines)
    assert any("facilitation-kit 0.1.0: " in l and "dot_vote = facilitation_kit_plugins.dot_vote" in l
               for l in lines)
    assert "- no --plugins-dir was given (one-file plugins: --plugins-dir DIR loads DIR/*.py)" in lines
    assert "Not found: no plugin or activity type 'sticky_notes'." in lines
    assert lines[-1].startswith("Hint: install the plugin's package into the environment of ")


def test_why_finds_an_entry_point_in_the_wrong_group_and_a_package_without_one(tmp_path):
    from .conftest import pip_install

    for dist, group in (("facilitation-kit-wrong-group", "facilitation_kit_plugins"),
                        ("facilitation-kit-no-entry", None)):
        package = tmp_path / dist
        module = dist.replace("-", "_")
        (package / module).mkdir(parents=True)
        (package / module / "__init__.py").write_text("", encoding="utf-8")
        entry = f'\n[project.entry-points."{group}"]\nwrong_group = "{module}"\n' if group else ""
        (package / "pyproject.toml").write_text(textwrap.dedent(f'''
            [build-system]
            requires = ["setuptools>=61"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist}"
            version = "0.1.0"
        ''') + entry, encoding="utf-8")
    target = tmp_path / "target"
    pip_install(target, tmp_path / "facilitation-kit-wrong-group", tmp_path / "facilitation-kit-no-entry")
    wrong = run_cli("plugins", "--why", "wrong_group", env=env_with(target))
    assert wrong.returncode == 0, wrong.stderr
    assert ("Hint: facilitation-kit-wrong-group declares wrong_group = facilitation_kit_wrong_group in the "
            "entry-point group 'facilitation_kit_plugins', not 'facilitation_kit': in its pyproject.toml write "
            "[project.entry-points.facilitation_kit] and reinstall it (pip install -e .)") in wrong.stdout
    missing = run_cli("plugins", "--why", "no-entry", env=env_with(target))
    assert ("Hint: facilitation-kit-no-entry 0.1.0 is installed but declares no entry point in the group "
            "'facilitation_kit'") in missing.stdout
    assert "    [project.entry-points.facilitation_kit]\n    no_entry = \"your_module\"" in missing.stdout


def test_why_shows_a_broken_plugins_traceback_and_the_load_plugins_filter(plugin_target):
    broken = run_cli("plugins", "--why", "broken_register", env=env_with(plugin_target))
    assert "Found: the plugin 'broken_register' in the distribution facilitation-kit-broken" in broken.stdout
    assert ("Problem: broken_register: register_activities raised RuntimeError: the activity's data file "
            "is missing") in broken.stdout
    assert "    Traceback (most recent call last):" in broken.stdout
    filtered = run_cli("plugins", "--why", "how_might_we",
                       env=env_with(plugin_target, FACILITATION_KIT_LOAD_PLUGINS="broken_register"))
    assert ("- FACILITATION_KIT_LOAD_PLUGINS='broken_register': only these third-party plugins load"
            in filtered.stdout)
    assert ("Hint: it is installed but FACILITATION_KIT_LOAD_PLUGINS does not name it: add how_might_we "
            "to it, or unset it to load every installed plugin") in filtered.stdout


def test_an_agenda_naming_a_missing_plugin_points_at_why():
    with pytest.raises(AgendaError) as err:
        parse_agenda(single_activity("sticky_notes"), load_plugins(), path="w.toml")
    assert str(err.value).endswith("(facilitation-kit plugins --why sticky_notes says where it looked)")


# -- 5. an async method that blocks the event loop ----------------------------------------

class BlocksTheLoop(Answer):
    async def validate(self, activity, data):
        time.sleep(0.3)  # the mistake: a blocking call inside async def
        return None


async def test_an_async_method_that_blocks_the_loop_is_named(workshop_host):
    host = await workshop_host(single_activity("blocker"), activities=[BlocksTheLoop("blocker")])
    phone = await host.phone()
    await host.open()
    assert (await phone.submit({"answer": "x"}))["type"] == "ack"  # slow, but it worked
    event = await host.facilitator.expect("plugin_slow")
    assert event["type"] == "plugin_slow" and event["activity"] == "a1" and event["plugin"] == "blocker"
    assert event["message"].startswith("blocker.validate held the event loop for ")
    assert event["message"].endswith(" ms: phones waited meanwhile (a blocking call inside async def?)")
    assert [p.kind for p in host.plugin_problems] == ["slow"]
    log_text = host.host.log_file.read_text(encoding="utf-8")
    assert "plugin blocker: blocker.validate held the event loop for " in log_text
    assert "use a plain def (it runs in a worker thread) or await asyncio.to_thread(...)" in log_text


async def test_an_async_method_that_awaits_is_not_slow(workshop_host):
    class Awaits(Answer):
        async def validate(self, activity, data):
            await asyncio.sleep(0.3)  # waiting is fine: the loop is free meanwhile

    host = await workshop_host(single_activity("awaits"), activities=[Awaits("awaits")])
    phone = await host.phone()
    await host.open()
    assert (await phone.submit({"answer": "x"}))["type"] == "ack"
    assert host.plugin_problems == []


# -- 8. a default that depends on other options -----------------------------------------

def test_a_dot_vote_with_two_dots_passes_check():
    plugins = load_plugins()
    agenda = parse_agenda(single_activity("dot_vote", items=["A", "B"], dots=2), plugins, path="w.toml")
    assert agenda.activities[0].options["max_per_item"] == 2
    five = parse_agenda(single_activity("dot_vote", items=["A"]), plugins, path="w.toml")
    assert five.activities[0].options["max_per_item"] == 3
    with pytest.raises(AgendaError, match="max_per_item': dot_vote: must be at most dots \\(2\\), not 3"):
        parse_agenda(single_activity("dot_vote", items=["A"], dots=2, max_per_item=3), plugins, path="w.toml")


def test_a_computed_default_that_does_not_fit_names_the_plugin():
    class Computed(Answer):
        options = (Option("size", "integer", default=5),
                   Option("half", "integer", min=1, default=lambda o: o["size"] // 2))

    plugins = plugin_host(activities=[Computed("computed")])
    assert parse_agenda(single_activity("computed"), plugins).activities[0].options["half"] == 2
    with pytest.raises(AgendaError) as err:
        parse_agenda(single_activity("computed", size=1), plugins, path="w.toml")
    assert str(err.value) == ("w.toml:5: activity 'a1': field 'plugin': computed: option 'half': its "
                              "default worked out as 0, which does not fit: must be at least 1, not 0 "
                              "(a bug in the plugin's option default, not in the agenda)")


# -- 9. --plugins-dir: a one-file plugin, no packaging -----------------------------------

ONE_FILE = '''
import facilitation_kit as fk


class Mood(fk.ActivityType):
    name = "mood"
    title = "Mood"

    def form(self, activity):
        return fk.Form([fk.ChoiceField("mood", label="Mood", options=["good", "bad"])])


@fk.hookimpl
def register_activities(register):
    register(Mood())
'''


def test_plugins_dir_on_plugins_and_check(tmp_path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "mood.py").write_text(ONE_FILE, encoding="utf-8")
    listed = run_cli("plugins", "--plugins-dir", str(folder), env=env_with())
    entry = {p["name"]: p for p in json.loads(listed.stdout)}["mood"]
    assert entry["activities"] == ["mood"] and entry["file"] == str(folder / "mood.py")
    agenda = tmp_path / "a.toml"
    agenda.write_text(single_activity("mood"), encoding="utf-8")
    assert run_cli("check", str(agenda), env=env_with()).returncode == 2
    checked = run_cli("check", str(agenda), "--plugins-dir", str(folder), env=env_with())
    assert checked.returncode == 0 and "a1" in checked.stdout and checked.stderr == ""
    why = run_cli("plugins", "--why", "mood", "--plugins-dir", str(folder), env=env_with())
    assert f"- --plugins-dir {folder}: mood.py" in why.stdout
    assert (f"Found: the plugin 'mood' in the file {folder / 'mood.py'}: loaded; hooks: "
            "register_activities; activity types: mood") in why.stdout
    bad = run_cli("check", str(agenda), "--plugins-dir", str(tmp_path / "nope"), env=env_with())
    assert bad.returncode == 2 and bad.stderr == f"facilitation-kit: --plugins-dir {tmp_path / 'nope'}: no such folder\n"


async def test_plugins_dir_on_serve_and_run(tmp_path):
    """``serve`` loads the folder; ``run`` hands it to its child host process."""
    from facilitation_kit.testing import Phone
    from facilitation_kit.tui.client import RemoteHost

    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "mood.py").write_text(ONE_FILE, encoding="utf-8")
    agenda = tmp_path / "a.toml"
    agenda.write_text(single_activity("mood", auto_open=True), encoding="utf-8")
    host = RemoteHost(agenda, data_dir=tmp_path / "data", host="127.0.0.1", port=0, plugins_dir=folder)
    assert host._command(tmp_path / "info.json")[-2:] == ["--plugins-dir", str(folder.resolve())]
    await host.open()
    try:
        phone = await Phone.connect(f"ws://127.0.0.1:{host.port}/ws", host.room)
        welcome = await phone.hello()
        assert welcome["activity"]["plugin"] == "mood"
        assert [o["value"] for o in welcome["activity"]["form"]["fields"][0]["options"]] == ["good", "bad"]
        assert (await phone.submit({"mood": "good"}))["type"] == "ack"
        await phone.close()
        assert host.plugins.activity_type("mood") is not None  # the TUI's side knows it too
    finally:
        await host.close()


# -- 11. the project's tests with a third-party plugin installed --------------------------

@pytest.mark.slow
def test_the_projects_tests_pass_with_a_third_party_plugin_installed(plugin_target):
    """The example plugin (and the broken ones) installed next to facilitation-kit: the
    harness loads only the plugins a test names, so a core test module still passes."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    seen = run_cli("plugins", env=env_with(plugin_target))
    assert "how_might_we" in seen.stdout  # installed and visible outside the test harness
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf",
               "tests/core/test_agenda.py", "tests/plugin_kit/test_containment.py"]
    proc = subprocess.run(command, cwd=root, capture_output=True, text=True, env=env_with(plugin_target),
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "[100%]" in proc.stdout and "FAILED" not in proc.stdout
    # without the isolation the same tests see how_might_we (and the broken plugins)
    unisolated = subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=300,
                                env=env_with(plugin_target, FACILITATION_KIT_TESTS_LOAD_INSTALLED="1"))
    assert unisolated.returncode == 1
    assert "how_might_we" in unisolated.stdout
