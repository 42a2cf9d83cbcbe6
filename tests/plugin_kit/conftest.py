"""Fixtures of the plugin-kit tests: packages pip-installed into a temporary target
(never into the venv) and the command line run in a subprocess that sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXAMPLE_PLUGIN = HERE / "example_plugin"
BROKEN_PLUGIN = HERE / "broken_plugin"


def pip_install(target: Path, *packages: Path) -> None:
    """``pip install --no-deps --target`` (the build backend comes from the index or
    pip's cache, as for any plugin author)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), *map(str, packages)],
        capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"pip install failed:\n{proc.stdout}\n{proc.stderr}")


def env_with(pythonpath: Path | None = None, **extra: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("FACILITATION_KIT_") or k == "FACILITATION_KIT_DATA_DIR"}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), env.get("PYTHONPATH")]))
    for key, value in extra.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(*args: str, env: dict[str, str], cwd: Path | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "facilitation_kit", *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="session")
def plugin_target(tmp_path_factory) -> Path:
    """The example plugin and the broken plugins, installed into one target folder."""
    target = tmp_path_factory.mktemp("site") / "target"
    pip_install(target, EXAMPLE_PLUGIN, BROKEN_PLUGIN)
    return target


def wait_for_info(path: Path, proc: subprocess.Popen, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the host exited with {proc.returncode}:\n{out}\n{err}")
        if path.exists():
            try:
                return json.loads(path.read_text())
            except json.JSONDecodeError:
                pass
        time.sleep(0.05)
    raise AssertionError("the host did not write its info file in time")
