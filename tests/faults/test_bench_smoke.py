"""Every benchmark runs in --quick mode and prints its figures, so they never rot.

No wall-clock thresholds: the figures are for docs/performance.md, not for CI. What is
checked is that each run completes, prints every figure and the command to reproduce
it, and that what the host stored equals what it acked.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench(*args: str, timeout: float = 240) -> str:
    result = subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    return result.stdout


def test_submit_latency_quick():
    result = subprocess.run([sys.executable, "bench/submit_latency.py", "--submits", "30", "--label", "now"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"now: 30 submissions one by one: p50 [\d.]+ / p90 [\d.]+ / p99 [\d.]+ ms", result.stdout)
    assert "reproduce: .venv/bin/python bench/submit_latency.py --submits 30 --label now" in result.stdout


@pytest.mark.slow
def test_phones_quick(tmp_path):
    out = _bench("phones", "--quick", "--json", str(tmp_path / "phones.json"))
    for figure in ("join p50", "submit→ack", "acks/s", "activity change reaches all phones",
                   "KiB per phone", "headline", "% of echo"):
        assert figure in out, figure
    assert "reproduce: .venv/bin/python -m bench phones --quick" in out
    results = json.loads((tmp_path / "phones.json").read_text())
    for kind in ("host", "echo"):
        r = results[kind]
        assert r["joined"] == r["phones"] == 40
        assert r["fanout_missing"] == 0
        assert r["acks_per_s"] > 0 and r["steady"]["n"] > 0
    host = results["host"]
    assert host["stored"] == host["acked"] > 0  # every ack stored, nothing else
    assert host["exit_code"] == 0
    assert set(host["steady_outcome"]) == {"ack"} and set(host["saturate_outcome"]) == {"ack"}


@pytest.mark.slow
def test_growth_quick(tmp_path):
    out = _bench("growth", "--quick", "--json", str(tmp_path / "growth.json"))
    assert "ack p50 at 2000 stored vs 0" in out and "resume of 2000 contributions" in out
    assert "reproduce: .venv/bin/python -m bench growth --quick" in out
    assert "MISMATCH" not in out
    # the echo of the same run beside each figure; resume says it has none
    assert re.search(r"echo round trip in the same phases: p50 [\d.]+ against [\d.]+ ms", out)
    assert len(re.findall(r"echo at 200/s over the same window: p50 [\d.]+", out)) == 3
    assert "no echo equivalent: an echo has no session to load" in out
    assert "growth, host beside the echo of the same run:" in out
    results = json.loads((tmp_path / "growth.json").read_text())
    assert [r["size"] for r in results] == [0, 500, 2000]
    for r in results:
        assert r["stored"] == r["expected"]
        assert r["ack"]["n"] == 30 and r["exit_code"] == 0
        assert r["echo_rt"]["n"] == 30  # one echo round trip per measured ack
        assert r["hold"]["echo_all"]["n"] > 0
        assert r["resume_s"] > 0 and r["store_open_s"] > 0


def test_bench_help_lists_the_benchmarks():
    out = _bench("--help", timeout=60)
    assert re.search(r"phones.*growth", out, re.S)


def test_profile_submit_quick():
    result = subprocess.run([sys.executable, "-m", "bench.profile_submit", "--submits", "400", "--top", "5"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert re.search(r"400 submissions: CPU \d+ µs each", result.stdout)
    assert "reproduce: .venv/bin/python -m bench.profile_submit --submits 400 --top 5" in result.stdout


@pytest.mark.slow
def test_flood_quick(tmp_path):
    out = _bench("flood", "--quick", "--json", str(tmp_path / "flood.json"))
    for figure in ("ack p99", "join p50", "quiet", "flood", "headline", "flooder sent"):
        assert figure in out, figure
    assert "reproduce: .venv/bin/python -m bench flood --quick" in out
    results = json.loads((tmp_path / "flood.json").read_text())
    for run in ("quiet", "flood"):
        assert results[run]["acked"] == results[run]["sent"] > 0  # every honest submit acked
    assert results["flood"]["flood_sent"] > 0
    assert set(results["flood"]["flooder_got"]) <= {"error:invalid", "error:rate_limited"}


def test_throughput_quick(tmp_path):
    """The Node `ws` generator against the echo (one and two generator processes) and the
    host: every figure printed, every ack stored, no error."""
    out = _bench("throughput", "--quick", "--json", str(tmp_path / "t.json"), timeout=400)
    for figure in ("generator check:", "durable acks/s / echo round trips/s", "p99 submit→ack at",
                   "p99 under saturation", "errors: 0"):
        assert figure in out, figure
    assert "reproduce: .venv/bin/python -m bench throughput --quick" in out
    res = json.loads((tmp_path / "t.json").read_text())
    host = res["host"]
    assert host["joined"] == res["echo1"]["joined"] == res["echo2"]["joined"] == 100
    assert host["stored"] == host["acked"] > 0 and host["exit_code"] == 0
    assert set(host["closed"]["outcome"]) == {"ack"} and not host["errors"]


@pytest.mark.slow
def test_throughput_before_quick(tmp_path):
    """``--before TREE`` runs another checkout's host in the same run (here this checkout
    itself, the one tree with a .venv in CI): its figures are printed beside the current
    host's, and it stored what it acked."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.fail("this test runs from a checkout with its .venv (make install)")
    out = _bench("throughput", "--quick", "--before", str(ROOT), "--json", str(tmp_path / "t.json"), timeout=500)
    for figure in ("before (", "durable acks/s: before", "p99 under saturation: before", "errors: before 0, now 0",
                   "stored = acks: before yes, now yes"):
        assert figure in out, figure
    res = json.loads((tmp_path / "t.json").read_text())
    before = res["before"]
    assert before["joined"] == res["host"]["joined"] == 100
    assert before["stored"] == before["acked"] > 0 and before["exit_code"] == 0
    assert len(res["before_ratios"]) == len(res["ratios"]) == 2


@pytest.mark.slow
def test_crowd_quick(tmp_path):
    out = _bench("crowd", "--quick", "--json", str(tmp_path / "c.json"), timeout=400)
    for figure in ("joined 300/300", "activity change reaches all", "participant page", "KiB per phone at peak"):
        assert figure in out, figure
    # each figure with the echo of the same run beside it
    assert re.search(r"joined 300/300 in [\d.]+ s \(echo 300/300 in [\d.]+ s", out)
    for figure in ("[echo]  join (connect + one round trip): p50", "[echo]  each sends one: outcomes {'submit': 300}",
                   "[echo]  broadcast reaches all 300:", "KiB per connection)", "no echo figure",
                   "crowd, host beside the echo of the same run:"):
        assert figure in out, figure
    assert "reproduce: .venv/bin/python -m bench crowd --quick" in out
    res = json.loads((tmp_path / "c.json").read_text())
    assert res["joined"] == 300 and res["fanout_missing"] == 0 and res["page"]["ok"]
    assert res["stored"] == res["acked"] == 300 and not res["errors"] and res["exit_code"] == 0
    echo = res["echo"]
    assert echo["joined"] == 300 and echo["fanout_missing"] == 0 and not echo["errors"]
    assert echo["submit_outcome"] == {"submit": 300} and echo["peak_per_phone_kib"] > 0


@pytest.mark.slow
def test_all_quick_ends_with_one_table_beside_the_echo():
    """``make bench`` (``python -m bench all``) ends with one table: every figure of every
    benchmark it ran, the echo of the same run beside it, target, met, the command."""
    out = _bench("all", "--quick", timeout=1500)
    summary = out[out.index("summary: every figure of this run beside the echo of the same run"):]
    head = summary.splitlines()[1].split()
    assert head[:2] == ["benchmark", "figure"] and "echo," in head and "met" in head
    for bench in ("throughput", "crowd", "growth", "tui"):
        assert re.search(rf"^{bench} ", summary, re.M), bench
    assert "FAILED" not in summary
    for command in ("throughput: .venv/bin/python -m bench throughput --quick",
                    "crowd: .venv/bin/python -m bench crowd --quick",
                    "growth: .venv/bin/python -m bench growth --quick",
                    "tui: .venv/bin/python bench/tui_lag.py --quick"):
        assert command in summary, command
    rows = [line for line in summary.splitlines()[3:] if re.match(r"(throughput|crowd|growth|tui) ", line)]
    assert len(rows) >= 20
    assert all(re.search(r"(yes|NO|—)$", line) for line in rows), rows
