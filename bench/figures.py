"""Figures beside the echo of the same run: one row per figure, printed as a table.

Each benchmark that ``python -m bench all`` runs turns its results into rows (the
benchmark's figure for the host, the bare echo's figure measured in the same run — or
why there is none — the target, met or not, and the command that reproduces it);
:func:`table` prints them. The rows of ``throughput`` and ``tui`` are built here from
what those benchmarks return (their modules belong to others), those of ``crowd`` and
``growth`` by the benchmarks themselves.
"""

from __future__ import annotations

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
    for key, title in (("tui", "host inside the TUI"), ("child", "host in a child process")):
        if key not in res:
            continue
        r = res[key]
        rows.append(Row("tui", f"key → repaint p99 ({title})", ms(r["key"]["p99"]), none, "< 50 ms",
                        met(r["key"]["p99"] < 50), cmd))
        rows.append(Row("tui", f"ack p99 ({title})", ms(r["load"]["ack"]["p99"]),
                        f"no echo; headless host {ms(h['load']['ack']['p99'])}", "<= 1.1x headless",
                        met(r["load"]["ack"]["p99"] <= 1.1 * h["load"]["ack"]["p99"]), cmd))
    return rows
