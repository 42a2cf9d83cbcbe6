"""The package's import rules hold: layers, no cycles, and which package may import
websockets, Textual and TinyDB. The rules are import-linter contracts in pyproject.toml
and are explained in docs/architecture.md."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")  # installed by '.[test]'
    proc = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "5 kept, 0 broken" in proc.stdout


def test_the_contracts_cover_every_package():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layered = " ".join(config["contracts"][0]["layers"])
    packages = sorted(p.name for p in (ROOT / "facilitation_kit").iterdir()
                      if (p / "__init__.py").exists())
    assert packages == ["cli", "core", "host", "report", "tui"]
    for name in packages:
        assert f"facilitation_kit.{name}" in layered
