"""``bench.before``: the before/after comparison of issue 10 runs the benchmarks of two
trees and calls a figure worse only when the two trees' runs do not overlap.

Here both "trees" are this checkout, so every figure must come out in both columns; no
timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.before import verdict

ROOT = Path(__file__).resolve().parents[2]


def test_verdict_needs_every_run_on_one_side():
    assert verdict([3.0, 4.0], [1.0, 2.0], lower_is_better=True) == "worse"
    assert verdict([1.0, 2.0], [3.0, 4.0], lower_is_better=True) == "better"
    assert verdict([1.0, 3.5], [3.0, 4.0], lower_is_better=True) == "same"  # overlapping ranges
    assert verdict([900.0, 950.0], [1000.0, 1100.0], lower_is_better=False) == "worse"  # fewer acks/s
    assert verdict([], [1.0], lower_is_better=True) == "—"


def test_profile_against_this_tree(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bench.before", str(ROOT), "--quick", "--only", "profile",
                          "--json", str(tmp_path / "before.json")],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    figures = json.loads((tmp_path / "before.json").read_text())
    cpu = figures["CPU per submission (µs)"]
    assert len(cpu["now"]) == 2 and len(cpu["before"]) == 2 and all(x > 0 for x in cpu["now"] + cpu["before"])
    assert cpu["verdict"] in ("same", "worse", "better")
    assert "CPU per submission (µs)" in out.stdout
    assert f"reproduce: .venv/bin/python -m bench.before {ROOT} --quick --only profile" in out.stdout


def test_unknown_benchmark_is_a_clear_error():
    out = subprocess.run([sys.executable, "-m", "bench.before", str(ROOT), "--only", "nope"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "unknown benchmark(s) nope" in out.stderr and "Traceback" not in out.stderr
