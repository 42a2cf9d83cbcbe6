"""Figures beside the echo of the same run: one row per figure, printed as a table.

Each benchmark that ``python -m bench all`` runs turns its results into rows (the
benchmark's figure for the host, the bare echo's figure measured in the same run — or
why there is none — the target, met or not, and the command that reproduces it);
:func:`table` prints them. The rows of ``throughput`` and ``tui`` are built here from
what those benchmarks return (their modules belong to others), those of ``crowd`` and
``growth`` by the benchmarks themselves.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from typing import Any, Sequence

from bench import common


@dataclass
class Row:
    bench: str
    figure: str
    host: str
    echo: str
    target: str
    met: str  # "yes", "no", or "—" when there is no target
    command: str


def met(ok: bool | None) -> str:
    return "—" if ok is None else ("yes" if ok else "NO")


def ms(value: float) -> str:
    return f"{value:,.1f} ms"


def table(rows: Sequence[Row], title: str, commands: bool = True) -> None:
    """Print ``rows`` as an aligned plain-text table, then (``commands``) the command that
    reproduces them, once per benchmark."""
    print(title)
    heads = ("benchmark", "figure", "host", "echo, same run", "target", "met")
    cells = [(r.bench, r.figure, r.host, r.echo, r.target, r.met) for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) if cells else len(h) for i, h in enumerate(heads)]
    line = "  ".join(h.ljust(w) for h, w in zip(heads, widths))
    print(line)
    print("  ".join("-" * w for w in widths))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)).rstrip())
    if not commands:
        return
    each: dict[str, str] = {}
    for r in rows:
        each.setdefault(r.bench, r.command)
    print("reproduce each:")
    for bench, command in each.items():
        print(f"  {bench}: {command}")


# a figure: 5,000 or 0.60 or 62000 (a comma only between groups of three digits, so the
# comma of "all 200, 11 ms" stays a word); digits inside a name ("p99") are no figure
_NUMBER = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d,]\d)")
_BRACKETS = re.compile(r"\s*\([^()]*\)")


def _combine_cell(cells: Sequence[str], drop_brackets: bool) -> str:
    """One cell for several runs: each number of the cell becomes ``median (min–max)``
    of that number over the runs (just the number when the runs agree). The runs' cells
    must have the same words around their numbers; when they do not (a benchmark said
    "NOT all 200" in one run), the cells are listed, one per run. ``drop_brackets``
    leaves out what a run's cell says in brackets (its own spread, its sample count):
    the spread over the runs replaces it."""
    if drop_brackets:
        cells = [_BRACKETS.sub("", c) for c in cells]
    if len(set(cells)) == 1:
        return cells[0]
    skeletons = {_NUMBER.sub("#", c) for c in cells}
    if len(skeletons) != 1:
        return " | ".join(cells)
    numbers = [[m.group() for m in _NUMBER.finditer(c)] for c in cells]
    parts = _NUMBER.split(cells[0])
    out = [parts[0]]
    for k, token in enumerate(numbers[0]):
        values = [float(n[k].replace(",", "")) for n in numbers]
        decimals = len(token.split(".")[1]) if "." in token else 0
        commas = any("," in n[k] for n in numbers)

        def show(v: float) -> str:
            return f"{v:,.{decimals}f}" if commas else f"{v:.{decimals}f}"

        low, mid, high = show(min(values)), show(statistics.median(values)), show(max(values))
        out.append(mid if low == high else f"{mid} ({low}–{high})")
        out.append(parts[k + 1])
    return "".join(out)


FAILED = "FAILED (traceback above)"


def combine(runs: Sequence[Sequence[Row]]) -> list[Row]:
    """The rows of several runs of the same benchmarks as one table: every figure as the
    median and the range over the runs (:func:`_combine_cell`), "met" as "yes" or "NO"
    when every run agrees and "yes in k of n runs" when they do not. Rows are matched by
    their place within their benchmark (a figure's name may hold a number of its run,
    such as the rows a checkpoint had). A run in which a benchmark failed gives none of
    its figures and is counted in the "met" column."""
    by_bench: dict[str, list[list[Row]]] = {}
    failed: dict[str, int] = {}
    for rows in runs:
        seen: dict[str, list[Row]] = {}
        for row in rows:
            seen.setdefault(row.bench, []).append(row)
        for bench, rows_of in seen.items():
            if any(r.figure == FAILED for r in rows_of):
                failed[bench] = failed.get(bench, 0) + 1
                by_bench.setdefault(bench, [])
            else:
                by_bench.setdefault(bench, []).append(rows_of)
    combined: list[Row] = []
    n = len(runs)
    for bench, per_run in by_bench.items():
        lost = f"failed in {failed[bench]} of {n} runs" if bench in failed else ""
        if not per_run:
            combined.append(Row(bench, FAILED, "—", "—", "—", lost, ""))
            continue
        for k in range(max(len(r) for r in per_run)):
            rows = [r[k] for r in per_run if len(r) > k]
            mets = [r.met for r in rows]
            if len(set(mets)) == 1:
                verdict = mets[0]
            else:
                verdict = f"yes in {mets.count('yes')} of {len(rows)} runs"
            if lost:
                verdict = f"{verdict}; {lost}"
            combined.append(Row(
                bench, _combine_cell([r.figure for r in rows], drop_brackets=False),
                _combine_cell([r.host for r in rows], drop_brackets=True),
                _combine_cell([r.echo for r in rows], drop_brackets=True),
                rows[0].target, verdict, rows[0].command))
    return combined


def throughput_rows(res: dict[str, Any], argv: Sequence[str]) -> list[Row]:
    """Rows of bench/throughput.py's result (it prints its own echo figures; this is
    the same, in the summary's form)."""
    cmd = common.reproduce_line(["throughput", *argv])
    e1, e2, host = res["echo1"], res["echo2"], res["host"]
    c, ec = host["closed"], e1["closed"]
    ratios = res["ratios"]
    ratio = statistics.median(ratios)
    gain = e2["closed"]["median"] / ec["median"] if ec["median"] else float("nan")
    errors = sum((host["errors"] or {}).values()) + sum(
        v for o in (host["rate"]["outcome"], c["outcome"], c["warmup_outcome"]) for k, v in o.items() if k != "ack")
    echo_errors = sum((e1["errors"] or {}).values()) + sum((e2["errors"] or {}).values())
    rate = host["rate"]["achieved"]
    b = "throughput"
    return [
        Row(b, f"joined {host['joined']}", f"{host['join_all_s']:.2f} s", f"{e1['join_all_s']:.2f} s", "—", "—", cmd),
        Row(b, "closed loop, median of rounds", f"{c['median']:,.0f} acks/s", f"{ec['median']:,.0f} round trips/s",
            "—", "—", cmd),
        Row(b, "host / echo, per round", f"{ratio:.2f}x ({min(ratios):.2f}-{max(ratios):.2f})", "1 (the base)", ">= 0.5x",
            met(ratio >= 0.5), cmd),
        Row(b, f"p99 submit→ack at {rate:.0f}/s", ms(host["rate"]["latency"]["p99_ms"]),
            ms(e1["rate"]["latency"]["p99_ms"]), "< 20 ms", met(host["rate"]["latency"]["p99_ms"] < 20), cmd),
        Row(b, "p99 saturated", ms(c["latency"]["p99_ms"]), ms(ec["latency"]["p99_ms"]), "< 100 ms",
            met(c["latency"]["p99_ms"] < 100), cmd),
        Row(b, "generator: 2 processes / 1", "—", f"{gain:.2f}x, 1 process at {ec['generator_cpu'] * 100:.0f}% CPU",
            "< 1.1x, < 90%", met(gain < 1.1 and ec["generator_cpu"] < 0.9), cmd),
        Row(b, "errors; stored = acks", f"{errors}; {host['stored']} = {host['acked']}", f"{echo_errors}", "0; equal",
            met(errors == 0 and host["stored"] == host["acked"]), cmd),
    ]


def tui_command(argv: Sequence[str]) -> str:
    return " ".join([".venv/bin/python bench/tui_lag.py", *argv])


def tui_rows(res: dict[str, Any] | None, argv: Sequence[str]) -> list[Row]:
    """Rows of bench/tui_lag.py's result. Its baseline is the headless host of the same
    run, not the echo (an echo has no TUI): said in the echo column."""
    if not res:
        return []
    cmd = tui_command(argv)
    h = res["headless"]
    none = "no echo figure (a TUI figure)"
    rows: list[Row] = []
    if "channel" in res:  # what the channel costs the host, without the app's CPU beside it
        c = res["channel"]["load"]
        rows.append(Row("tui", "ack p99 (host in a child process, its channel's client but no app)",
                        ms(c["ack"]["p99"]), f"no echo; headless host {ms(h['load']['ack']['p99'])}",
                        "—", "—", cmd))
    for key, title in (("tui", "host inside the TUI"), ("child", "host in a child process")):
        if key not in res:
            continue
        r = res[key]
        rows.append(Row("tui", f"key → repaint p99 ({title})", ms(r["key"]["p99"]), none, "< 50 ms",
                        met(r["key"]["p99"] < 50), cmd))
        cpu = r["load"]["cpu"]
        who = "the app" if cpu["host"] is not None else "the app with the host in it"
        rows.append(Row("tui", f"ack p99 ({title}; {who} used {cpu['this'] * 100:.0f} % of a core)",
                        ms(r["load"]["ack"]["p99"]), f"no echo; headless host {ms(h['load']['ack']['p99'])}",
                        "<= 1.1x headless", met(r["load"]["ack"]["p99"] <= 1.1 * h["load"]["ack"]["p99"]), cmd))
    return rows
