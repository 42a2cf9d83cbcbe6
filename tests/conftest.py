"""Shared fixtures. The harness fixtures (`workshop_host`) come from facilitation_kit.testing,
registered as a pytest plugin through the package's pytest11 entry point."""

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_AGENDA = ROOT / "sessions" / "relational-service.toml"


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
