"""Shared fixtures. The harness fixtures (`workshop_host`) come from facilitation_kit.testing,
registered as a pytest plugin through the package's pytest11 entry point."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AGENDA = ROOT / "sessions" / "relational-service.toml"
#: The default agenda before issue 12, for tests that need its activity ids and answers.
EARLIER_AGENDA = ROOT / "tests" / "agendas" / "earlier-default.toml"

# The project's own tests see only the built-in plugins plus those a test names
# (``extra_plugins=``, ``activities=``, or an env it builds itself, e.g. ``env_with(target)``),
# never a third-party plugin an author installed into the same venv (see
# core/plugins.py for how FACILITATION_KIT_LOAD_PLUGINS selects). Child processes the
# tests start inherit it. FACILITATION_KIT_TESTS_LOAD_INSTALLED=1 turns this off (to show
# what it prevents: tests/plugin_kit/test_author_mistakes.py).
if not os.environ.get("FACILITATION_KIT_TESTS_LOAD_INSTALLED"):
    os.environ["FACILITATION_KIT_LOAD_PLUGINS"] = ""


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path, monkeypatch):
    """No test ever writes to the real user data dir."""
    monkeypatch.setenv("FACILITATION_KIT_DATA_DIR", str(tmp_path / "user-data"))


def require_tool(path_or_name: str, why: str) -> str:
    """Return the tool's path; without it, fail in CI (CI=true) and skip elsewhere."""
    found = shutil.which(path_or_name)
    if found:
        return found
    message = f"{path_or_name} is needed for {why} (apt-get install it; .ci/run does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
