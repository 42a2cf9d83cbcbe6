"""bench/tui_lag.py --quick runs end to end and prints its figures (a CI smoke run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_tui_lag_quick_run_prints_figures():
    done = subprocess.run([sys.executable, "bench/tui_lag.py", "--quick"], cwd=ROOT, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    for label in ["event-loop lag", "submit -> ack", "key -> repaint (tui)", "headless host (baseline)",
                  "child host + channel, no app", "host inside the TUI", "host in a child process",
                  "reproduce: .venv/bin/python bench/tui_lag.py --quick"]:
        assert label in out, out
    acks = out.split("acks / errors")[1].splitlines()[0].split()
    assert acks[1::3] == ["/"] * 4 and acks[2::3] == ["0"] * 4, out  # four runs, no errors in any
    cpu = out.split("CPU, share of one core")[1].splitlines()[0]
    assert cpu.count("this process") == 4 and cpu.count("(the host in it)") == 2, out


@pytest.mark.slow
def test_tui_lag_pins_the_processes_as_asked():
    """``--pin phones-alone``: the phones on the other cores, the host and the app on the
    first (it says where each ran; with one core all share it); the runs still complete
    without errors."""
    done = subprocess.run([sys.executable, "bench/tui_lag.py", "--quick", "--mode", "child", "--pin", "phones-alone"],
                          cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    first, *others = sorted(os.sched_getaffinity(0))
    others = others or [first]
    assert f"cores: host [{first}], app [{first}], phones {others} (--pin phones-alone)" in out, out
    acks = out.split("acks / errors")[1].splitlines()[0].split()
    assert acks[2::3] == ["0"] * 3, out  # headless, channel, child: no errors
