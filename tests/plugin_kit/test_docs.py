"""The plugin docs are checked against the code (datasette's test_docs.py habit): every
hook and every ActivityType method is documented with its exact signature, and every
example in the docs runs."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from facilitation_kit.core import hookspecs
from facilitation_kit.core.activity import ActivityType
from facilitation_kit.core.agenda import parse_agenda
from facilitation_kit.core.plugins import make_plugin_manager
from facilitation_kit.testing import plugin_host, single_activity

from .conftest import EXAMPLE_PLUGIN, env_with

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
HOOKS_DOC = (DOCS / "plugin_hooks.md").read_text(encoding="utf-8")
TESTING_DOC = (DOCS / "testing_plugins.md").read_text(encoding="utf-8")
WRITING_DOC = (DOCS / "writing_plugins.md").read_text(encoding="utf-8")
CONTRACT_HEADING = "## The activity contract"


def code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)


def signature(fn, drop_self: bool = False) -> str:
    params = list(inspect.signature(fn).parameters)
    if drop_self:
        params = params[1:]
    return f"{fn.__name__}({', '.join(params)})"


def hook_specs():
    pm = make_plugin_manager()
    return sorted(name for name in dir(pm.hook) if getattr(getattr(pm.hook, name), "spec", None))


def contract_methods():
    return sorted(name for name, value in vars(ActivityType).items()
                  if not name.startswith("_") and inspect.isfunction(value))


def as_module(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def load_example_plugin() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location(
        "facilitation_kit_hmw_docs", EXAMPLE_PLUGIN / "facilitation_kit_hmw" / "__init__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the hook reference -----------------------------------------------------------------

@pytest.mark.parametrize("hook", hook_specs())
def test_plugin_hooks_are_documented(hook):
    expected = signature(getattr(hookspecs, hook))
    hooks_part = HOOKS_DOC.split(CONTRACT_HEADING)[0]
    assert f"\n## {expected}\n" in hooks_part, f"Missing from plugin hook documentation: {expected}"


def test_documented_hooks_exist():
    hooks_part = HOOKS_DOC.split(CONTRACT_HEADING)[0]
    documented = re.findall(r"^## (\w+)\((.*)\)$", hooks_part, flags=re.M)
    assert sorted(name for name, _ in documented) == hook_specs()


@pytest.mark.parametrize("method", contract_methods())
def test_activity_contract_is_documented(method):
    expected = signature(getattr(ActivityType, method), drop_self=True)
    contract = HOOKS_DOC.split(CONTRACT_HEADING)[1]
    assert f"\n### {expected}\n" in contract, f"Missing from the activity contract: {expected}"


def test_documented_contract_methods_exist():
    contract = HOOKS_DOC.split(CONTRACT_HEADING)[1]
    documented = re.findall(r"^### (\w+)\(", contract, flags=re.M)
    assert sorted(documented) == contract_methods()


def test_activity_type_attributes_are_documented():
    attributes = [name for name in ActivityType.__annotations__ if not name.startswith("_")]
    assert attributes == ["name", "title", "description", "options", "accepts_items", "default_prompt",
                          "max_contributions"]
    for name in attributes:
        assert f"\n- `{name}`:" in HOOKS_DOC, f"class attribute {name} is not documented"


def test_hook_examples_load_without_problems():
    blocks = code_blocks(HOOKS_DOC, "python")
    assert len(blocks) == 6
    extra = [(f"doc-example-{i}", as_module(block, f"doc_example_{i}")) for i, block in enumerate(blocks)]
    plugins = plugin_host(extra_plugins=extra)
    assert [p for p in plugins.problems if p.plugin.startswith("doc-example")] == []
    assert {"one_word", "check_in", "sorting"} <= set(plugins.activity_types)


async def test_the_facilitator_actions_example_runs(workshop_host):
    """docs/plugin_hooks.md, "Facilitator actions": the example, in a real host."""
    [block] = [b for b in code_blocks(HOOKS_DOC, "python") if "class Sorting" in b]
    module = as_module(block, "sorting_doc")
    host = await workshop_host(single_activity("sorting"), extra_plugins=[("sorting", module)])
    ana = await host.phone(role="Service user")
    await host.open()
    card = (await ana.submit({"text": "Fewer forms"}))["contribution"]
    listed = await host.facilitator.send_command("facilitator_actions", activity="a1")
    assert listed["actions"] == [{"id": "pile", "label": "Put on a pile", "applies_to": "contribution",
                                  "value": "choice", "choices": [{"value": "now", "label": "Do it now"},
                                                                 {"value": "later", "label": "Later"}]}]
    ok = await host.facilitator.send_command("facilitator_action", activity="a1", action="pile",
                                             participant=ana.id, id=card["id"], value="later")
    assert ok["type"] == "ok" and ok["contribution"]["data"] == {"text": "Fewer forms", "pile": "later"}
    assert host.export()["contributions"][0]["edited_by_facilitator"] is True


async def test_the_complete_activity_of_the_hook_reference_runs(workshop_host):
    module = as_module(code_blocks(HOOKS_DOC, "python")[-1], "check_in_doc")
    agenda_block = code_blocks(HOOKS_DOC, "toml")[-1]
    plugins = plugin_host(extra_plugins=[("check_in", module)])
    parsed = parse_agenda('title = "Doc"\n' + agenda_block, plugins, path="doc.toml")
    assert parsed.activities[0].options["high"] == "Ready to go"
    with pytest.raises(Exception, match="field 'high': check_in: must differ from low"):
        parse_agenda(single_activity("check_in", low="Same", high="Same"), plugins, path="doc.toml")

    host = await workshop_host(single_activity("check_in"), extra_plugins=[("check_in", module)])
    ana = await host.phone(role="Service user")
    ben = await host.phone(role="Manager")
    await host.open()
    assert ana.activity["points"] == 5
    assert (await ana.submit({"energy": 4, "word": "Curious"}))["type"] == "ack"
    assert (await ben.submit({"energy": 2}))["type"] == "ack"
    refused = await ben.submit({"energy": 3, "word": "very tired"})
    assert refused["code"] == "invalid" and "word" in refused["fields"]
    summary = await host.summary("a1")
    assert summary == {"count": 2, "mean": 3.0, "by_role": {"Service user": 4.0, "Manager": 2.0},
                       "words": {"curious": 1}}
    report = host.report("md")
    assert "2 check-ins, average 3.0." in report and "curious" in report


# -- testing_plugins.md -------------------------------------------------------------------

def test_testing_plugins_examples_pass(tmp_path):
    source = "\n\n".join(code_blocks(TESTING_DOC, "python"))
    expected = len(re.findall(r"^async def test_", source, flags=re.M))
    assert expected == 5
    test_file = tmp_path / "test_docs_examples.py"
    test_file.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "asyncio_mode=auto",
         "-o", "asyncio_default_fixture_loop_scope=function", str(test_file)],
        cwd=tmp_path, capture_output=True, text=True, env=env_with(), timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"{expected} passed" in proc.stdout


def test_testing_plugins_lists_the_harness_api():
    from facilitation_kit import testing

    for name in testing.__all__:
        assert f"`{name}" in TESTING_DOC, f"{name} is not mentioned in testing_plugins.md"
    for method in ("phone", "phones_join", "open", "close", "next", "goto", "command", "results",
                   "summary", "report", "export"):
        assert hasattr(testing.TestHost, method)
        assert f"`{method}(" in TESTING_DOC


# -- writing_plugins.md -------------------------------------------------------------------

def test_writing_plugins_includes_the_tested_example_verbatim():
    includes = re.findall(r"<!-- literalinclude: (\S+) -->\n```\w+\n(.*?)^```", WRITING_DOC, flags=re.S | re.M)
    assert [path for path, _ in includes] == ["tests/plugin_kit/example_plugin/pyproject.toml",
                                              "tests/plugin_kit/example_plugin/facilitation_kit_hmw/__init__.py"]
    for path, text in includes:
        assert text == (ROOT / path).read_text(encoding="utf-8"), (
            f"docs/writing_plugins.md is out of date with {path}: paste the file in again")


def test_writing_plugins_examples_load_and_the_agenda_checks():
    first = as_module(code_blocks(WRITING_DOC, "python")[0], "echo_round")
    plugins = plugin_host(extra_plugins=[("echo_round", first), ("how_might_we", load_example_plugin())])
    assert plugins.problems == []
    assert {"echo_round", "how_might_we"} <= set(plugins.activity_types)
    agenda = code_blocks(WRITING_DOC, "toml")[-1]
    parsed = parse_agenda('title = "Doc"\n' + agenda, plugins, path="doc.toml")
    assert [a.plugin for a in parsed.activities] == ["open_question", "how_might_we", "dot_vote"]


async def test_the_worked_example_in_a_workshop(workshop_host, caplog):
    """Every part of the worked example, in process (the installed copy is served by
    tests/plugin_kit/test_third_party.py)."""

    caplog.set_level("INFO", logger="facilitation_kit_hmw")
    hmw = load_example_plugin()
    agenda = code_blocks(WRITING_DOC, "toml")[-1]
    host = await workshop_host('title = "Doc"\n' + agenda, extra_plugins=[("how_might_we", hmw)])
    assert "how_might_we: 1 activities in 'Doc'" in caplog.text
    ana = await host.phone(role="Service user")
    ben = await host.phone(role="Manager")
    await host.open()
    await ana.submit({"answer": "Too many forms"})
    await host.next()
    await host.open()
    problem = ana.activity["form"]["fields"][0]["options"][0]["value"]
    ack = await ana.submit({"problem": problem, "question": "How might we… cut a form in half", "theme": "Time"})
    assert ack["contribution"]["data"]["question"] == "cut a form in half?"
    assert (await ben.submit({"question": "meet people where they are", "theme": "Access"}))["type"] == "ack"
    summary = await host.summary("hmw")
    assert summary["by_theme"] == {"Time": {"Service user": 1}, "Access": {"Manager": 1}}
    for _ in range(100):  # contribution_stored runs in the background
        if "new question in hmw from Manager" in caplog.text:
            break
        await asyncio.sleep(0.02)
    assert "new question in hmw from Service user" in caplog.text
    assert "new question in hmw from Manager" in caplog.text

    await host.next()
    await host.open()
    labels = [i["label"] for i in ana.activity["form"]["fields"][0]["items"]]
    assert labels == ["How might we cut a form in half?", "How might we meet people where they are?"]

    report = host.report("html")
    assert "Problem: Too many forms" in report and "<svg" in report
    assert "Questions to take forward" in report

