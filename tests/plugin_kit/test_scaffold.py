"""``facilitation-kit new-plugin``: the generated package installs through its entry
point and its own test passes as generated, so the template cannot drift."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from facilitation_kit.cli.scaffold import ScaffoldError, create_plugin, plugin_names

from .conftest import env_with, pip_install, run_cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_generated_plugin_installs_and_its_test_passes(tmp_path):
    proc = run_cli("new-plugin", "listening-round", "--dir", str(tmp_path), env=env_with())
    assert proc.returncode == 0, proc.stderr
    package = tmp_path / "facilitation-kit-listening-round"
    assert proc.stdout.splitlines()[0] == f"created {package}"
    assert sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file()) == [
        ".github/workflows/test.yml", ".gitignore", "README.md",
        "facilitation_kit_listening_round/__init__.py", "pyproject.toml", "tests/test_listening_round.py"]
    pyproject = (package / "pyproject.toml").read_text()
    assert '[project.entry-points.facilitation_kit]\nlistening_round = "facilitation_kit_listening_round"' in pyproject
    assert "{{" not in "".join(p.read_text() for p in package.rglob("*") if p.is_file()).replace("${{", "")

    target = tmp_path / "target"
    pip_install(target, package)
    listed = run_cli("plugins", env=env_with(target))
    entry = {p["name"]: p for p in json.loads(listed.stdout)}["listening_round"]
    assert entry["package"] == "facilitation-kit-listening-round" and entry["version"] == "0.1.0"
    assert entry["activities"] == ["listening_round"] and "error" not in entry

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=package,
                           capture_output=True, text=True, env=env_with(target), timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "3 passed" in tests.stdout


def test_generated_plugin_has_ci_and_a_readme_with_install_and_test_commands(tmp_path):
    package = create_plugin("listening-round", tmp_path)
    workflow = (package / ".github" / "workflows" / "test.yml").read_text()
    runs = [line.strip() for line in workflow.splitlines() if line.strip().startswith("run:")]
    assert runs == ["run: pip install -e '.[test]'", "run: facilitation-kit plugins --why listening_round",
                    "run: pytest"]
    assert "on:\n  push:\n  pull_request:" in workflow
    assert 'python-version: ["3.11", "3.12", "3.13"]' in workflow
    assert "python-version: ${{ matrix.python-version }}" in workflow  # left for GitHub to fill in
    readme = (package / "README.md").read_text()
    for command in ("pip install -e '.[test]'", "pytest", "facilitation-kit plugins --why listening_round",
                    ".github/workflows/test.yml"):
        assert command in readme


def test_generated_test_needs_the_package_installed(tmp_path):
    """Without installing, the generated test fails with a hint (it is a real check)."""
    package = create_plugin("lonely", tmp_path)
    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "installed"],
                           cwd=package, capture_output=True, text=True, env=env_with(), timeout=120)
    assert tests.returncode == 1
    assert "install the package first" in tests.stdout


@pytest.mark.parametrize("name, reason", [
    ("Listening Round", "bad plugin name 'Listening Round': use lower-case letters and digits"),
    ("1-2-4-all", "bad plugin name '1-2-4-all': use lower-case letters"),
    ("how--might", "bad plugin name 'how--might'"),
    ("x" * 41, "at most 40 characters"),
    ("dot_vote", "bad plugin name 'dot_vote': 'dot_vote' is a built-in activity; choose another name"),
    ("facilitation-kit-open-question", "'open_question' is a built-in activity"),
])
def test_bad_names_get_one_clear_line(tmp_path, name, reason):
    proc = run_cli("new-plugin", name, "--dir", str(tmp_path), env=env_with())
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("facilitation-kit: ") and reason in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_existing_folder_is_not_overwritten(tmp_path):
    create_plugin("one-two-four-all", tmp_path)
    readme = tmp_path / "facilitation-kit-one-two-four-all" / "README.md"
    readme.write_text("mine")
    proc = run_cli("new-plugin", "one_two_four_all", "--dir", str(tmp_path), env=env_with())
    assert proc.returncode == 2
    assert proc.stderr == (f"facilitation-kit: {tmp_path / 'facilitation-kit-one-two-four-all'} already "
                           "exists and is not empty; choose another name or --dir\n")
    assert readme.read_text() == "mine"


def test_names_are_derived_consistently():
    names = plugin_names("facilitation-kit-one-two-four-all")
    assert (names.activity_name, names.hyphenated, names.dist, names.module, names.class_name, names.title) == (
        "one_two_four_all", "one-two-four-all", "facilitation-kit-one-two-four-all",
        "facilitation_kit_one_two_four_all", "OneTwoFourAll", "One two four all")
    with pytest.raises(ScaffoldError):
        plugin_names("")


@pytest.mark.slow
def test_templates_ship_in_the_wheel(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
                           str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    wheel = next(tmp_path.glob("facilitation_kit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"facilitation_kit/cli/scaffold.py"} | {
        "facilitation_kit/cli/templates/plugin/" + p.relative_to(ROOT / "facilitation_kit/cli/templates/plugin").as_posix()
        for p in (ROOT / "facilitation_kit/cli/templates/plugin").rglob("*.tmpl")}
    assert len(expected) == 7
    assert expected <= names
