"""``python -m bench [throughput|crowd|growth|tui|profile|phones|all] [options]``: run the benchmarks and print figures.

    python -m bench throughput [--quick] [--loop asyncio|uvloop] durable acks vs a bare echo, Node ws generator
    python -m bench crowd [--quick] [--phones 5000]          5,000 phones: join, submit, activity change, page, RSS; vs the echo
    python -m bench profile [--seconds 6] [--loop …]         py-spy sampling profile of the host at saturation
    python -m bench phones [--quick] [--phones N] [--rate R] …   participants at scale vs a bare echo
    python -m bench growth [--quick] [--sizes 0,10000,50000] …  ack cost, checkpoint hold, resume vs stored count; vs the echo
    python -m bench all [--quick] [--runs N]                    throughput, crowd, growth (0 and 50,000) and tui (default),
                                                                then one table of every figure beside the echo of the run;
                                                                --runs 3: all of it three times, then the median and range
    python -m bench tui [--quick] …                             the TUI's lag under load (bench/tui_lag.py)
    python -m bench flood [--quick] [--seconds S] …             an honest phone's ack p99 while one participant floods
    python -m bench themes [--quick]                            theme suggestions: ARI per method, time, memory, ack p99

Each prints its figures and the exact command to reproduce them. Also:
``python -m bench.profile_submit`` (where the CPU of one durable ack goes). The TUI variant is
bench/tui_lag.py. Results and how to read them: docs/performance.md.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    command = argv[0] if argv and not argv[0].startswith("-") else "all"
    rest = argv[1:] if argv and not argv[0].startswith("-") else argv
    if command == "crowd":
        from bench import crowd
        crowd.main(rest)
    elif command == "profile":
        from bench import profile
        profile.main(rest)
    elif command == "throughput":
        from bench import throughput
        throughput.main(rest)
    elif command == "phones":
        from bench import phones
        phones.main(rest)
    elif command == "growth":
        from bench import growth
        growth.main(rest)
    elif command == "tui":
        from bench import tui_lag
        tui_lag.main(rest)
    elif command == "flood":
        from bench import flood
        flood.main(rest)
    elif command == "themes":
        from bench import themes
        themes.main(rest)
    elif command == "all":
        # every figure of issue 16: throughput and p99s vs the echo, 5,000 phones,
        # checkpoint hold and resume, the TUI's key-to-repaint
        opts = _all_options(rest)  # exits with 2 and a usage line on anything else
        return run_all(["--quick"] if opts.quick else [], opts.runs)
    else:
        print(f"unknown benchmark {command!r}; choose throughput, crowd, growth, tui, flood, phones, profile, themes "
              "or all", file=sys.stderr)
        return 2
    return 0


def _all_options(rest: list[str]):
    """The options of ``all``: ``--quick`` (passed on to every benchmark) and ``--runs N``."""
    import argparse

    def at_least_one(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
        return int(text)

    p = argparse.ArgumentParser(prog="python -m bench all", description="every benchmark of issue 16, then one table")
    p.add_argument("--quick", action="store_true", help="small loads and short phases (a smoke run)")
    p.add_argument("--runs", type=at_least_one, default=1,
                   help="run all of it N times, then a table of each figure's median and range (default 1)")
    return p.parse_args(rest)


def run_all(rest: list[str], runs: int = 1) -> int:
    """throughput, crowd, growth and tui one after another, then one table of every
    figure beside the echo of the same run, its target, met or not, and the command
    that reproduces it. A benchmark that fails is named in the table; the others run.
    With ``runs`` above 1 all of it runs that many times, each run with its own table,
    and a last table gives every figure's median and range over the runs."""
    from bench import figures

    tables = []
    for k in range(runs):
        if runs > 1:
            print(f"=== run {k + 1} of {runs} ===")
        tables.append(_run_all_once(rest))
        if runs > 1:
            print()
    if runs > 1:
        title = (f"{runs} runs of `make bench ARGS=\"all --runs {runs}" + (" " + " ".join(rest) if rest else "")
                 + "\"`: each figure's median (min–max) over the runs, beside the echo's of the same runs")
        figures.table(figures.combine(tables), title)
    return 1 if any(r.figure == figures.FAILED for rows in tables for r in rows) else 0


def _run_all_once(rest: list[str]) -> list:
    import traceback

    from bench import common, crowd, figures, growth, throughput, tui_lag

    growth_args = rest if rest else ["--sizes", "0,50000"]
    plan = [
        ("throughput", rest, lambda: throughput.main(rest), lambda r: figures.throughput_rows(r, rest)),
        ("crowd", rest, lambda: crowd.main(rest), lambda r: crowd.figures(r, ["crowd", *rest])),
        ("growth", growth_args, lambda: growth.main(growth_args),
         lambda r: growth.figures(r, ["growth", *growth_args])),
        ("tui", rest, lambda: tui_lag.main(rest), lambda r: figures.tui_rows(r, rest)),
    ]
    rows: list[figures.Row] = []
    for k, (name, args, run, to_rows) in enumerate(plan):
        if k:
            print()
        try:
            rows += to_rows(run())
        except Exception:  # noqa: BLE001 - reported, and the other benchmarks still run
            traceback.print_exc()
            command = figures.tui_command(args) if name == "tui" else common.reproduce_line([name, *args])
            rows.append(figures.Row(name, figures.FAILED, "—", "—", "—", "NO", command))
        finally:
            common.unpin()  # it pinned this process to its clients' cores; the next plans its own
    print()
    if rest:
        print("(--quick: smaller loads than the targets are set for — 300 phones, not 5,000; 2,000 stored, not "
              "50,000 — so 'met' is read against the full targets and says little here)")
    figures.table(rows, "summary: every figure of this run beside the echo of the same run "
                        "(`make bench` = python -m bench all" + (" " + " ".join(rest) if rest else "") + ")")
    return rows


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
