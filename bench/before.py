"""Before and after: every benchmark that an older checkout also has, run in both trees,
interleaved, with a verdict per figure.

    python -m bench.before TREE [--repeat 2] [--quick] [--only profile,growth,phones,tui]

``TREE`` is another checkout of the kit with its own ``.venv`` (``make install`` there), for
example a git worktree of the commit before a change::

    git worktree add --detach /work/perf2-before ad5e611 && (cd /work/perf2-before && make install)
    .venv/bin/python -m bench.before /work/perf2-before

Each benchmark runs as a subprocess of its own tree (its own code and benchmark script) in
the order now, before, before, now, ``--repeat`` times, so that neither tree gets all of a
burst of other work on the machine. Compared are the figures both trees' benchmarks print:

* ``profile``: CPU per durable submission (``bench.profile_submit``, no network);
* ``joins``: 1,000 Node ``ws`` phones join (hello → welcome), both hosts up at once, the
  order alternating, six times: the time until all joined and the host's CPU per join;
* ``growth``: ack p50 / p99 at each stored count, resume time, store open time;
* ``phones``: 1,000 Python phones: all joined, steady p99, durable acks/s, saturated p99,
  activity change fan-out p99, RSS per phone;
* ``tui``: the facilitator's app with the host in a child process: key → repaint, the app's
  event-loop lag, submit → ack.

A figure is called **worse** only when every run of it in this tree is worse than every run
of it in the older tree (the ranges do not overlap), **better** likewise, and otherwise
**same** (within the run-to-run range). With two runs of each, that is a strict test of a
consistent difference, not of a single noisy run. The throughput benchmark against the Node
generator has its own ``--before`` (``python -m bench throughput --before TREE``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench import common

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("profile", "joins", "growth", "phones", "tui")


def _python(tree: Path) -> str:
    return str(tree / ".venv" / "bin" / "python")


def _run(tree: Path, args: list[str], timeout: float) -> str:
    out = subprocess.run([_python(tree), *args], cwd=tree, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, "PYTHONPATH": str(tree)})
    if out.returncode != 0:
        raise RuntimeError(f"{tree}: {' '.join(args)} exited with {out.returncode}:\n{out.stdout[-2000:]}"
                           f"\n{out.stderr[-2000:]}")
    return out.stdout


# Each benchmark: a function (tree, quick, scratch dir) -> {figure: (value, lower_is_better)}.
Figures = dict[str, tuple[float, bool]]


def _profile(tree: Path, quick: bool, tmp: Path) -> Figures:
    text = _run(tree, ["-m", "bench.profile_submit", "--submits", "1000" if quick else "4000", "--top", "0"], 600)
    m = re.search(r"submissions: CPU (\d+) µs each", text)
    if not m:
        raise RuntimeError(f"{tree}: no CPU figure in bench.profile_submit's output")
    return {"CPU per submission (µs)": (float(m.group(1)), True)}


def _growth(tree: Path, quick: bool, tmp: Path) -> Figures:
    path = tmp / f"growth-{time.monotonic_ns()}.json"
    _run(tree, ["-m", "bench", "growth", *(["--quick"] if quick else []), "--json", str(path)], 1800)
    out: Figures = {}
    for r in json.loads(path.read_text()):
        size = f"{r['size']:,}"
        out[f"ack p50 at {size} stored (ms)"] = (r["ack"]["p50_ms"], True)
        out[f"ack p99 at {size} stored (ms)"] = (r["ack"]["p99_ms"], True)
        out[f"resume of {size} (s)"] = (r["resume_s"], True)
        if "store_open_s" in r:
            out[f"store open at {size} (s)"] = (r["store_open_s"], True)
    return out


def _phones(tree: Path, quick: bool, tmp: Path) -> Figures:
    path = tmp / f"phones-{time.monotonic_ns()}.json"
    _run(tree, ["-m", "bench", "phones", "--only", "host", *(["--quick"] if quick else []), "--json", str(path)],
         1800)
    h = json.loads(path.read_text())["host"]
    return {"phones: all joined (s)": (h["join_all_s"], True),
            "phones: steady p99 (ms)": (h["steady"]["p99_ms"], True),
            "phones: durable acks/s": (h["acks_per_s"], False),
            "phones: saturated p99 (ms)": (h["saturate"]["p99_ms"], True),
            "phones: activity change fan-out p99 (ms)": (h["fanout"]["p99_ms"], True),
            "phones: RSS per phone (KiB)": (h["rss_per_phone_kib"], True)}


_MS = r"p50\s+([\d.]+)\s+p99\s+([\d.]+)"


def _tui(tree: Path, quick: bool, tmp: Path) -> Figures:
    text = _run(tree, ["bench/tui_lag.py", "--mode", "child", *(["--quick"] if quick else [])], 1800)
    out: Figures = {}
    for label, key in (("key -> repaint", "TUI: key → repaint"), ("event-loop lag", "TUI: app's event-loop lag"),
                       ("submit -> ack", "TUI: submit → ack")):
        line = next((ln for ln in text.splitlines() if ln.startswith(label)), "")
        found = re.findall(_MS, line)
        if not found:
            raise RuntimeError(f"{tree}: no {label!r} figures in tui_lag's output:\n{text[-1500:]}")
        p50, p99 = found[-1]  # the last column: the app with its host in a child process
        out[f"{key} p50 (ms)"] = (float(p50), True)
        out[f"{key} p99 (ms)"] = (float(p99), True)
    return out


def joins(tree: Path, quick: bool, tmp: Path, now_tree: Path = ROOT) -> dict[str, list[Figures]]:
    """Both hosts at once (the older one from ``tree``), pinned like the throughput
    benchmark's; 1,000 phones (100 with ``quick``) join one host, leave, then the other,
    the order alternating. Returns the runs of each, as the other runners' figures."""
    from bench import loadgen

    phones, rounds = (100, 2) if quick else (1000, 3)
    host_cores, load_cores = common.core_plan()
    agenda = common.write_agenda(tmp / "joins-agenda.toml", activities=2, cap=phones * rounds * 2 + 10)
    now = common.start_host(tmp / "joins-now", agenda=agenda, cores=host_cores, participant_cap=phones * 2 * rounds + 10,
                            tree=None if now_tree == ROOT else now_tree)
    before = common.start_host(tmp / "joins-before", agenda=agenda, cores=host_cores,
                               participant_cap=phones * 2 * rounds + 10, tree=tree)
    out: dict[str, list[Figures]] = {"now": [], "before": []}
    try:
        for i in range(rounds * 2):
            order = [("now", now), ("before", before)] if i % 2 == 0 else [("before", before), ("now", now)]
            for which, server in order:
                gen = loadgen.NodeLoad(1, load_cores)
                try:
                    cpu0, t0 = common.cpu_seconds(server.pid), time.time() * 1000
                    done = gen.join(f"ws://127.0.0.1:{server.port}/ws", server.info["room"], phones, proto="host")
                    took = (max(j["last_at"] for j in done) - t0) / 1000
                    cpu = common.cpu_seconds(server.pid) - cpu0
                    failed = sum(j["failed"] for j in done)
                finally:
                    gen.close()
                if failed:
                    raise RuntimeError(f"{which}: {failed} of {phones} phones could not join")
                out[which].append({f"all {phones:,} joined (s)": (took, True),
                                   "host CPU per join (µs)": (cpu / phones * 1e6, True)})
                time.sleep(1.0)  # the closed connections cleaned up
    finally:
        now.stop()
        before.stop()
    return out


RUNNERS: dict[str, Callable[[Path, bool, Path], Figures]] = {
    "profile": _profile, "growth": _growth, "phones": _phones, "tui": _tui}


def verdict(now: list[float], before: list[float], lower_is_better: bool) -> str:
    """"worse" / "better" only when the two trees' runs do not overlap; else "same"."""
    if not now or not before:
        return "—"
    if lower_is_better:
        now, before = [-x for x in now], [-x for x in before]
    if max(now) < min(before):
        return "worse"
    if min(now) > max(before):
        return "better"
    return "same"


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}" if abs(x) < 1 else f"{x:.1f}"


def run(tree: Path, benches: list[str], repeat: int, quick: bool, now_tree: Path = ROOT) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="fk-bench-before-") as tmp:
        for name in benches:
            runs: dict[str, list[Figures]] = {"now": [], "before": []}
            if name == "joins":  # both hosts at once; its own interleaving
                started = time.monotonic()
                runs = joins(tree, quick, Path(tmp), now_tree)
                print(f"  joins: {len(runs['now'])} + {len(runs['before'])} in {time.monotonic() - started:.0f} s "
                      f"(load average {os.getloadavg()[0]:.2f})", flush=True)
            for _ in range(repeat if name != "joins" else 0):
                for which in ("now", "before", "before", "now"):
                    where = now_tree if which == "now" else tree
                    started = time.monotonic()
                    runs[which].append(RUNNERS[name](where, quick, Path(tmp)))
                    print(f"  {name}: {which} in {time.monotonic() - started:.0f} s (load average "
                          f"{os.getloadavg()[0]:.2f})", flush=True)
            for figure in runs["now"][0]:
                if not all(figure in r for r in runs["now"] + runs["before"]):
                    continue  # only figures both trees' benchmarks print
                lower = runs["now"][0][figure][1]
                now = [r[figure][0] for r in runs["now"]]
                before = [r[figure][0] for r in runs["before"]]
                results[figure] = {"now": now, "before": before, "lower_is_better": lower,
                                   "verdict": verdict(now, before, lower)}
    return results


def report(results: dict[str, dict[str, Any]], tree: Path, argv: list[str], now_tree: Path = ROOT) -> None:
    print(f"\nmachine: {common.machine()}")
    print(f"before: {tree} ({_describe(tree)}); now: {now_tree} ({_describe(now_tree)})")
    print("verdict: worse/better only when every run of one tree is worse/better than every run of the other\n")
    width = max((len(k) for k in results), default=10)
    print(f"{'figure':<{width}}  {'now: median (range)':>26}  {'before: median (range)':>26}  {'now ÷ before':>12}  verdict")
    for figure, r in results.items():
        now, before = r["now"], r["before"]
        mn, mb = statistics.median(now), statistics.median(before)
        ratio = f"{mn / mb:.2f}×" if mb else "—"
        cell = lambda xs, m: f"{_fmt(m)} ({_fmt(min(xs))}–{_fmt(max(xs))})"  # noqa: E731
        print(f"{figure:<{width}}  {cell(now, mn):>26}  {cell(before, mb):>26}  {ratio:>12}  {r['verdict']}")
    worse = [k for k, r in results.items() if r["verdict"] == "worse"]
    print(f"\nworse in every run: {', '.join(worse) if worse else 'none'}")
    print(f"reproduce: .venv/bin/python -m bench.before {' '.join(argv)}")


def _describe(tree: Path) -> str:
    try:
        return subprocess.run(["git", "-C", str(tree), "log", "-1", "--format=%h %s"], capture_output=True,
                              text=True, timeout=30).stdout.strip()[:70] or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def main(argv: list[str] | None = None) -> dict[str, dict[str, Any]]:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench.before", description=__doc__.splitlines()[0])
    parser.add_argument("tree", type=Path, help="an older checkout with its own .venv")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of now, before, before, now (default 1)")
    parser.add_argument("--quick", action="store_true", help="each benchmark's --quick (a smoke run)")
    parser.add_argument("--only", default=",".join(BENCHES), help=f"comma-separated, of {', '.join(BENCHES)}")
    parser.add_argument("--now", type=Path, default=ROOT, help="the newer checkout (default: this one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    opts = parser.parse_args(argv)
    tree = opts.tree.resolve()
    if not Path(_python(tree)).exists():
        parser.error(f"{tree}: no .venv/bin/python there; run `make install` in it first")
    benches = [b.strip() for b in opts.only.split(",") if b.strip()]
    unknown = set(benches) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(BENCHES)}")
    now_tree = opts.now.resolve()
    for checkout in {tree, now_tree}:
        if not Path(_python(checkout)).exists():
            parser.error(f"{checkout}: no .venv/bin/python there; run `make install` in it first")
    results = run(tree, benches, max(1, opts.repeat), opts.quick, now_tree)
    report(results, tree, argv, now_tree)
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
