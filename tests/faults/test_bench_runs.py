"""``make bench ARGS="all --runs 3"``: the last table gives each figure's median and
range over the runs, beside the echo's of the same runs, and says in how many runs a
target was met. The runs' own tables are built by the benchmarks (tested in
``test_bench_smoke``); here the combining of them, from rows as the benchmarks write
them, and the option's errors. No timing is asserted."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.figures import FAILED, Row, combine

ROOT = Path(__file__).resolve().parents[2]


def _throughput(ratio: str, p99: str, echo_p99: str, met_ratio: str) -> list[Row]:
    return [
        Row("throughput", "host / echo, per round", ratio, "1 (the base)", ">= 0.5x", met_ratio, "cmd t"),
        Row("throughput", "p99 saturated", p99, echo_p99, "< 100 ms", "NO", "cmd t"),
    ]


def test_each_number_becomes_median_and_range_over_the_runs():
    runs = [_throughput("0.60x (0.56-0.62)", "184.0 ms", "89.0 ms", "yes"),
            _throughput("0.49x (0.42-0.59)", "149.0 ms", "83.0 ms", "NO"),
            _throughput("0.62x (0.50-0.70)", "1,196.0 ms", "103.0 ms", "yes")]
    ratio, p99 = combine(runs)
    # a run's own spread in brackets gives way to the spread over the runs
    assert ratio.host == "0.60 (0.49–0.62)x"
    assert ratio.echo == "1"  # the same in every run: said once
    assert ratio.met == "yes in 2 of 3 runs"
    assert p99.host == "184.0 (149.0–1,196.0) ms"  # thousands keep their separator
    assert p99.echo == "89.0 (83.0–103.0) ms"
    assert p99.met == "NO" and p99.target == "< 100 ms" and p99.command == "cmd t"


def test_numbers_inside_words_stay_words():
    runs = [[Row("crowd", "join p50 / p99", "394 / 1,383 ms", "280 / 1,445 ms", "—", "—", "c")],
            [Row("crowd", "join p50 / p99", "314 / 1,301 ms", "236 / 1,395 ms", "—", "—", "c")]]
    (row,) = combine(runs)
    assert row.figure == "join p50 / p99"  # "p50" is a name, not a figure
    assert row.host == "354 (314–394) / 1,342 (1,301–1,383) ms"
    assert row.met == "—"


def test_a_figure_named_with_its_run_number_is_matched_by_place():
    runs = [[Row("growth", f"acks at 200/s while a checkpoint of {rows:,} rows is written: max", f"{ms} ms", "—",
                  "< 50 ms", "yes", "g")] for rows, ms in ((51_475, "8.7"), (51_470, "10.8"), (51_481, "6.9"))]
    (row,) = combine(runs)
    assert row.figure == "acks at 200/s while a checkpoint of 51,475 (51,470–51,481) rows is written: max"
    assert row.host == "8.7 (6.9–10.8) ms" and row.met == "yes"


def test_a_comma_after_a_figure_stays_a_word():
    runs = [[Row("crowd", "participant page", f"all 200, {t} ms", "no echo figure", "loads", "yes", "c")]
            for t in (11, 7, 8)]
    (row,) = combine(runs)
    assert row.host == "all 200, 8 (7–11) ms"
    runs = [[Row("throughput", "errors; stored = acks", f"0; {n} = {n}", "0", "0; equal", "yes", "t")]
            for n in (62000, 62000)]
    assert combine(runs)[0].host == "0; 62000 = 62000"


def test_cells_that_differ_in_words_are_listed_run_by_run():
    runs = [[Row("crowd", "participant page", text, "no echo figure", "loads", ok, "c")]
            for text, ok in (("all 200, 11 ms", "yes"), ("NOT all 200, 30 ms", "NO"))]
    (row,) = combine(runs)
    assert row.host == "all 200, 11 ms | NOT all 200, 30 ms"
    assert row.met == "yes in 1 of 2 runs"


def test_a_run_in_which_a_benchmark_failed_gives_none_of_its_figures():
    ok = [Row("tui", "key → repaint p99", "35.9 ms", "no echo figure", "< 50 ms", "yes", "tui cmd")]
    runs = [ok, [Row("tui", FAILED, "—", "—", "—", "NO", "tui cmd")],
            [Row("tui", "key → repaint p99", "43.9 ms", "no echo figure", "< 50 ms", "yes", "tui cmd")]]
    (row,) = combine(runs)
    assert row.host == "39.9 (35.9–43.9) ms"
    assert row.met == "yes; failed in 1 of 3 runs"
    (gone,) = combine([[Row("tui", FAILED, "—", "—", "—", "NO", "tui cmd")]])
    assert gone.figure == FAILED and gone.met == "failed in 1 of 1 runs"


def test_runs_must_be_a_whole_number_of_one_or_more():
    for bad in ("0", "three", "-1"):
        out = subprocess.run([sys.executable, "-m", "bench", "all", "--runs", bad], cwd=ROOT, capture_output=True,
                             text=True, timeout=60)
        assert out.returncode == 2, out.stderr
        assert "--runs" in out.stderr and "Traceback" not in out.stderr
    out = subprocess.run([sys.executable, "-m", "bench", "all", "--seconds", "3"], cwd=ROOT, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "unrecognized arguments: --seconds 3" in out.stderr


def test_the_plan_of_cores_outlives_a_benchmark_that_pinned_this_process():
    """``all`` runs each benchmark in one process, and a benchmark pins that process to
    its clients' cores: the next must still give its server a core of its own (before,
    every benchmark after the first ran unpinned)."""
    import os

    from bench import common

    before = os.sched_getaffinity(0)
    host, load = common.core_plan()
    if len(common.START_CORES) >= 2:
        assert host and load and not host & load and host | load == common.START_CORES
    else:
        assert (host, load) == (None, None)
    try:
        common.pin(load)  # as throughput, crowd and growth do for their clients
        assert common.core_plan() == (host, load)
    finally:
        common.unpin()
    assert os.sched_getaffinity(0) == common.START_CORES == before


def test_every_command_in_the_performance_docs_reproduce_block_is_one_the_benchmarks_take():
    """docs/performance.md opens with the commands that reproduce its figures: each is
    run with ``--help`` after its options, so an option it names that a benchmark does
    not take (or no longer takes) fails here."""
    import re
    import shlex

    text = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    block = re.search(r"## Reproduce\n\n```sh\n(.*?)```", text, re.S).group(1)
    commands = [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) >= 10
    for line in commands:
        words = shlex.split(line)
        if words[:2] == ["make", "bench"]:
            args = [w.split("=", 1)[1] for w in words[2:] if w.startswith("ARGS=")]
            argv = [sys.executable, "-m", "bench", *(shlex.split(args[0]) if args else [])]
        else:
            assert words[0] == ".venv/bin/python", line
            argv = [sys.executable, *words[1:]]
        out = subprocess.run([*argv, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, (line, out.stdout[-1000:], out.stderr[-1000:])
        assert "usage" in out.stdout.lower() or "python -m bench" in out.stdout, (line, out.stdout[-500:])
