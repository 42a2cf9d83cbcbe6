"""Throughput benchmark: durable acks of the real host against round trips of a bare
websockets echo, in the same run, with a load generator that is shown not to be the limit.

The generator is Node's ``ws`` (bench/node, installed by this benchmark's own set-up with
``npm install``). The server under test (``facilitation-kit serve --headless`` doing real
durable submits, or bench/echo_server.py) is pinned to one core, the generator processes
to the other(s). In order, in one run:

1. echo, one generator process: N phones join (``hello``), then ``--rounds`` closed-loop
   rounds: every phone sends ``submit``, waits for the echo, K times. Round trips/s per
   round; the echo server's CPU and the generator's CPU over the rounds.
2. echo, two generator processes (the same N phones split over both): the same rounds.
   If the generator were the limit, two would give more echo round trips than one; and
   its CPU shows it has room while the echo server is at 100 % of its core.
3. host, one generator process: N phones join, ``--rate`` submissions/s open loop for
   ``--rate-seconds`` (submit → ack p99 at that rate), then the same closed-loop rounds
   (durable acks/s, p99 under saturation). Every ack is sent after the journal fsync.
4. the host is stopped cleanly and its session read back: stored = acks received.

Also run against the echo at ``--rate`` for its p99. Prints the ratio host/echo, p99s,
errors, and the command that reproduces the run.

    python -m bench throughput [--quick] [--clients 1000] [--trips 10] [--rounds 3] [--loop asyncio|uvloop]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common, loadgen


def _closed_rounds(gen: loadgen.NodeLoad, server: common.Server, opts) -> dict[str, Any]:
    rates, lat, outcome = [], [], {}
    gen_cpu = srv_cpu = wall = core_busy = core_total = 0.0
    # one unmeasured round first: connections warm, the server's code paths taken once
    warm = gen.call_all({"cmd": "closed", "trips": opts.trips, "start_at": (time.time() + 0.2) * 1000},
                        timeout=60 + opts.trips * 20)
    warm_outcome: dict[str, int] = {}
    for r in warm:
        for k, v in r["outcome"].items():
            warm_outcome[k] = warm_outcome.get(k, 0) + v
    for _ in range(opts.rounds):
        start_at = (time.time() + 0.5) * 1000
        time.sleep(0.45)
        s0 = common.cpu_seconds(server.pid)
        b0, t0 = common.core_times(opts.host_cores)
        replies = gen.call_all({"cmd": "closed", "trips": opts.trips, "start_at": start_at},
                               timeout=60 + opts.trips * 20)
        s1 = common.cpu_seconds(server.pid)
        b1, t1 = common.core_times(opts.host_cores)
        core_busy += b1 - b0
        core_total += t1 - t0
        ended = max(r["ended"] for r in replies)
        busy = (ended - start_at) / 1000  # the server is idle before and after
        trips = sum(len(r["latency_ms"]) for r in replies)
        rates.append(trips / busy)
        lat += [x / 1000 for r in replies for x in r["latency_ms"]]
        for r in replies:
            for k, v in r["outcome"].items():
                outcome[k] = outcome.get(k, 0) + v
        gen_cpu += sum(r["cpu_s"] for r in replies)  # measured by each generator over its round
        srv_cpu += s1 - s0
        wall += busy
        time.sleep(0.3)
    return {"rates": rates, "median": statistics.median(rates), "latency": common.latency_summary(lat),
            "outcome": outcome, "warmup_outcome": warm_outcome, "generator_cpu": gen_cpu / wall / len(gen.pids),
            "generator_cpu_total": gen_cpu / wall, "server_cpu": srv_cpu / wall,
            "server_core_busy": core_busy / core_total if core_total else float("nan")}


def _rate(gen: loadgen.NodeLoad, opts) -> dict[str, Any]:
    start_at = (time.time() + 0.5) * 1000
    per = opts.rate / len(gen.pids)
    replies = gen.call_all({"cmd": "rate", "rate": per, "seconds": opts.rate_seconds, "start_at": start_at},
                           timeout=opts.rate_seconds + 60)
    lat = [x / 1000 for r in replies for x in r["latency_ms"]]
    late = [x for r in replies for x in r["late_ms"]]
    outcome: dict[str, int] = {}
    for r in replies:
        for k, v in r["outcome"].items():
            outcome[k] = outcome.get(k, 0) + v
    return {"latency": common.latency_summary(lat), "outcome": outcome, "achieved": len(lat) / opts.rate_seconds,
            "generator_late_p99_ms": common.percentile(late, 99) if late else 0.0}


def _errors(gen: loadgen.NodeLoad, joins: list[dict]) -> dict[str, int]:
    total: dict[str, int] = {}
    for r in gen.call_all({"cmd": "errors"}, 30):
        for k, v in r["errors"].items():
            total[k] = total.get(k, 0) + v
    failed = sum(j["failed"] for j in joins)
    if failed:
        total["join_failed"] = failed
    return total


def run_echo(opts, work: Path, generators: int, *, with_rate: bool) -> dict[str, Any]:
    server = common.start_echo(work, cores=opts.host_cores, env={"FACILITATION_KIT_LOOP": opts.loop})
    gen = loadgen.NodeLoad(generators, opts.load_cores)
    try:
        joins = gen.join(f"ws://127.0.0.1:{server.port}/ws", "ECHO", opts.clients, proto="echo")
        out = {"generators": generators, "joined": sum(len(j["join_s"]) for j in joins)}
        if with_rate:
            out["rate"] = _rate(gen, opts)
        out["closed"] = _closed_rounds(gen, server, opts)
        out["errors"] = _errors(gen, joins)
        return out
    finally:
        gen.close()
        server.stop()


def run_host(opts, work: Path) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    agenda = common.write_agenda(work / "agenda.toml", activities=2, cap=opts.clients + 10)
    server = common.start_host(work / "data", agenda=agenda, cores=opts.host_cores,
                               participant_cap=opts.clients + 10, env={"FACILITATION_KIT_LOOP": opts.loop})
    gen = loadgen.NodeLoad(1, opts.load_cores)
    out: dict[str, Any] = {"generators": 1}
    try:
        t0 = time.time() * 1000
        joins = gen.join(f"ws://127.0.0.1:{server.port}/ws", server.info["room"], opts.clients, proto="host")
        out["joined"] = sum(len(j["join_s"]) for j in joins)
        out["join_all_s"] = (max(j["last_at"] for j in joins) - t0) / 1000
        out["rate"] = _rate(gen, opts)
        out["closed"] = _closed_rounds(gen, server, opts)
        out["errors"] = _errors(gen, joins)
    finally:
        gen.close()
        out["exit_code"] = server.stop()
    from facilitation_kit.host.store import read_session

    tables, _ = read_session(work / "data", server.info["session_id"])
    out["stored"] = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
    out["acked"] = sum(out[k]["outcome"].get("ack", 0) for k in ("rate", "closed")) + \
        out["closed"]["warmup_outcome"].get("ack", 0)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 phones, 2 rounds, 2 s at the steady rate")
    parser.add_argument("--clients", type=int, default=None, help="phones (default 1000)")
    parser.add_argument("--trips", type=int, default=10, help="round trips per phone per round (default 10)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="measured closed-loop rounds per server, after one unmeasured (default 5)")
    parser.add_argument("--rate", type=float, default=200.0, help="steady submissions/s for the p99 (default 200)")
    parser.add_argument("--rate-seconds", type=float, default=None, help="length of the steady phase (default 10)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop", "auto"], default="auto",
                        help="event loop of both servers (default auto: uvloop when installed)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return parser


def _fmt_rates(c: dict) -> str:
    return f"{c['median']:,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in c['rates'])})"


def report(res: dict[str, Any], opts, argv) -> None:
    e1, e2, host = res["echo1"], res["echo2"], res["host"]
    print(f"machine: {common.machine()}")
    print(f"generator: Node {res['node']}, ws {res['ws']}; loop of both servers: {res['loop']}")
    print(f"pinning: server on cores {sorted(opts.host_cores) if opts.host_cores else 'unpinned'}, "
          f"generator on {sorted(opts.load_cores) if opts.load_cores else 'unpinned'}")
    print(f"load: {opts.clients} phones, {opts.rounds} closed-loop rounds of {opts.trips} round trips each; "
          f"steady {opts.rate:g}/s for {opts.rate_seconds:g} s")
    for name, r in (("echo, 1 generator", e1), ("echo, 2 generators", e2)):
        c = r["closed"]
        print(f"[{name}] joined {r['joined']}; round trips {_fmt_rates(c)}; p99 {c['latency']['p99_ms']:.1f} ms; "
              f"echo CPU {c['server_cpu'] * 100:.0f}% (its core busy {c['server_core_busy'] * 100:.0f}%); generator CPU "
              f"{c['generator_cpu'] * 100:.0f}% of a core per process; errors {r['errors'] or 0}")
    gain = e2["closed"]["median"] / e1["closed"]["median"] if e1["closed"]["median"] else float("nan")
    limit = ("the echo server is the limit" if gain < 1.1 and e1["closed"]["generator_cpu"] < 0.9
             else "the generator MAY BE THE LIMIT")
    print(f"generator check: 2 generators give {gain:.2f}x the echo round trips of 1; one generator used "
          f"{e1['closed']['generator_cpu'] * 100:.0f}% of a core while the echo's core was "
          f"{e1['closed']['server_core_busy'] * 100:.0f}% busy: {limit}")
    c = host["closed"]
    print(f"[host] joined {host['joined']} in {host['join_all_s']:.2f} s; durable acks {_fmt_rates(c)}; "
          f"host CPU {c['server_cpu'] * 100:.0f}% (its core busy {c['server_core_busy'] * 100:.0f}%); generator CPU {c['generator_cpu'] * 100:.0f}%")
    print(f"[host] submit→ack at {host['rate']['achieved']:.0f}/s: {common.fmt_lat(host['rate']['latency'])}")
    print(f"[echo] round trip at {e1['rate']['achieved']:.0f}/s: {common.fmt_lat(e1['rate']['latency'])}")
    print(f"[host] saturated: {common.fmt_lat(c['latency'])}")
    print(f"[host] errors {host['errors'] or 0}; outcomes {host['rate']['outcome']} / {c['outcome']}; "
          f"stored after clean stop {host['stored']} = acks {host['acked']}: "
          f"{'OK' if host['stored'] == host['acked'] else 'MISMATCH'}; exit code {host['exit_code']}")
    ratio = c["median"] / e1["closed"]["median"] if e1["closed"]["median"] else float("nan")
    print("\nheadline (same run, same generator, same transport settings):")
    print(f"  durable acks/s / echo round trips/s: {c['median']:,.0f} / {e1['closed']['median']:,.0f} = "
          f"{ratio:.2f}x (target >= 0.5x)")
    print(f"  p99 submit→ack at {opts.rate:g}/s: {host['rate']['latency']['p99_ms']:.1f} ms (target < 20 ms); "
          f"echo {e1['rate']['latency']['p99_ms']:.1f} ms")
    print(f"  p99 under saturation: {c['latency']['p99_ms']:.1f} ms (target < 100 ms); "
          f"echo {e1['closed']['latency']['p99_ms']:.1f} ms")
    errors = sum((host["errors"] or {}).values()) + sum(
        v for o in (host["rate"]["outcome"], c["outcome"], c["warmup_outcome"]) for k, v in o.items() if k != "ack")
    print(f"  errors: {errors} (target 0)")
    print(f"\nreproduce: {common.reproduce_line(argv)}")


def apply_defaults(opts) -> None:
    opts.clients = opts.clients or (100 if opts.quick else 1000)
    opts.rounds = opts.rounds or (2 if opts.quick else 5)
    opts.rate_seconds = opts.rate_seconds or (2.0 if opts.quick else 10.0)
    if opts.quick and opts.rate == 200.0:
        opts.rate = 50.0


def main(argv: list[str]) -> dict[str, Any]:
    opts = build_parser().parse_args(argv)
    apply_defaults(opts)
    common.raise_fd_limit()
    opts.host_cores, opts.load_cores = common.core_plan()
    common.pin(opts.load_cores)
    res: dict[str, Any] = {"ws": loadgen.ensure_installed(), "node": loadgen.node_version(),
                           "loop": common.loop_name(opts.loop)}
    with tempfile.TemporaryDirectory(prefix="fk-bench-throughput-") as tmp:
        res["echo1"] = run_echo(opts, Path(tmp) / "echo1", 1, with_rate=True)
        res["echo2"] = run_echo(opts, Path(tmp) / "echo2", 2, with_rate=False)
        res["host"] = run_host(opts, Path(tmp) / "host")
    report(res, opts, ["throughput", *argv])
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2))
    return res
