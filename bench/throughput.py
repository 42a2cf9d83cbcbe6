"""Throughput benchmark: durable acks of the real host against round trips of a bare
websockets echo, in the same run, with a load generator that is shown not to be the limit.

The generator is Node's ``ws`` (bench/node, installed by this benchmark's own set-up with
``npm install``). The server under test (``facilitation-kit serve --headless`` doing real
durable submits, and bench/echo_server.py) run at the same time, both pinned to one core;
the generator processes run on the other core(s). In one run:

1. N phones join each of: the echo through one generator process, the echo through two
   generator processes (N split over both), and the host through one generator process.
2. ``--rate`` submissions/s open loop for ``--rate-seconds``, to the echo and then to the
   host: submit → ack (echo) p99 at a realistic rate.
3. one unmeasured closed-loop round each, then ``--rounds`` rounds interleaved (echo with
   one generator, echo with two, host; repeated): every phone sends ``submit`` and waits
   for its ack (the echo), K times. Round trips/s per round, the server's CPU and its
   core's, and the generator's own CPU. Interleaving makes whatever else loads the
   machine weigh on all three alike; the ratio host/echo is taken per round.
   The generator is not the limit when two generator processes give no more echo round
   trips than one and one generator's CPU is below a core.
4. the host is stopped cleanly and its session read back: stored = acks received.

Every ack of the host is sent after the journal's fsync. Prints the ratio host/echo,
p99s, errors, and the command that reproduces the run.

    python -m bench throughput [--quick] [--clients 1000] [--trips 10] [--rounds 3] [--loop asyncio|uvloop]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import common, loadgen


class Target:
    """One server and the generator processes whose phones joined it; closed-loop rounds
    accumulate into the figures."""

    def __init__(self, name: str, server: common.Server, gen: loadgen.NodeLoad, opts):
        self.name, self.server, self.gen, self.opts = name, server, gen, opts
        self.rates: list[float] = []
        self.lat: list[float] = []
        self.outcome: dict[str, int] = {}
        self.warm_outcome: dict[str, int] = {}
        self.gen_cpu = self.srv_cpu = self.wall = self.core_busy = self.core_total = 0.0
        self.trips = 0
        self.joins: list[dict] = []
        self.joined = 0
        self.join_all_s = 0.0

    def join(self, url: str, room: str, proto: str) -> None:
        t0 = time.time() * 1000
        self.joins = self.gen.join(url, room, self.opts.clients, proto=proto)
        self.joined = sum(len(j["join_s"]) for j in self.joins)
        self.join_all_s = (max(j["last_at"] for j in self.joins) - t0) / 1000

    def warm_up(self) -> None:
        """One unmeasured round: connections warm, the server's code paths taken once."""
        for r in self.gen.call_all({"cmd": "closed", "trips": self.opts.trips,
                                    "start_at": (time.time() + 0.2) * 1000}, timeout=60 + self.opts.trips * 20):
            _add(self.warm_outcome, r["outcome"])

    def round(self) -> float:
        opts, server = self.opts, self.server
        start_at = (time.time() + 0.5) * 1000
        time.sleep(0.45)
        s0 = common.cpu_seconds(server.pid)
        b0, t0 = common.core_times(opts.host_cores)
        replies = self.gen.call_all({"cmd": "closed", "trips": opts.trips, "start_at": start_at},
                                    timeout=60 + opts.trips * 20)
        s1 = common.cpu_seconds(server.pid)
        b1, t1 = common.core_times(opts.host_cores)
        self.core_busy += b1 - b0
        self.core_total += t1 - t0
        ended = max(r["ended"] for r in replies)
        busy = (ended - start_at) / 1000  # the server is idle before and after
        trips = sum(len(r["latency_ms"]) for r in replies)
        self.rates.append(trips / busy)
        self.trips += trips
        self.lat += [x / 1000 for r in replies for x in r["latency_ms"]]
        for r in replies:
            _add(self.outcome, r["outcome"])
        self.gen_cpu += sum(r["cpu_s"] for r in replies)  # measured by each generator over its round
        self.srv_cpu += s1 - s0
        self.wall += busy
        time.sleep(0.2)
        return self.rates[-1]

    def closed(self) -> dict[str, Any]:
        wall = max(self.wall, 1e-9)
        return {"rates": self.rates, "median": statistics.median(self.rates),
                "latency": common.latency_summary(self.lat), "outcome": self.outcome,
                "warmup_outcome": self.warm_outcome, "generator_cpu": self.gen_cpu / wall / len(self.gen.pids),
                "generator_cpu_total": self.gen_cpu / wall, "server_cpu": self.srv_cpu / wall,
                # the server's own CPU (all its threads) per round trip: less sensitive to what
                # else runs on the machine than the rates are
                "server_cpu_us": self.srv_cpu / self.trips * 1e6 if self.trips else float("nan"),
                "server_core_busy": self.core_busy / self.core_total if self.core_total else float("nan")}

    def errors(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for r in self.gen.call_all({"cmd": "errors"}, 30):
            _add(total, r["errors"])
        failed = sum(j["failed"] for j in self.joins)
        if failed:
            total["join_failed"] = failed
        return total


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for k, v in more.items():
        into[k] = into.get(k, 0) + v


def _rate(gen: loadgen.NodeLoad, opts, seconds: float | None = None) -> dict[str, Any]:
    seconds = opts.rate_seconds if seconds is None else seconds
    start_at = (time.time() + 0.5) * 1000
    per = opts.rate / len(gen.pids)
    replies = gen.call_all({"cmd": "rate", "rate": per, "seconds": seconds, "start_at": start_at},
                           timeout=seconds + 60)
    lat = [x / 1000 for r in replies for x in r["latency_ms"]]
    late = [x for r in replies for x in r["late_ms"]]
    outcome: dict[str, int] = {}
    for r in replies:
        _add(outcome, r["outcome"])
    return {"latency": common.latency_summary(lat), "outcome": outcome, "achieved": len(lat) / seconds,
            "generator_late_p99_ms": common.percentile(late, 99) if late else 0.0, "_lat": lat, "_late": late,
            "_seconds": seconds}


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One steady-rate result from several phases of it."""
    lat = [x for p in parts for x in p["_lat"]]
    late = [x for p in parts for x in p["_late"]]
    outcome: dict[str, int] = {}
    for p in parts:
        _add(outcome, p["outcome"])
    return {"latency": common.latency_summary(lat), "outcome": outcome,
            "achieved": len(lat) / sum(p["_seconds"] for p in parts),
            "generator_late_p99_ms": common.percentile(late, 99) if late else 0.0}


def _steady(e1: "Target", h: "Target", b: "Target | None", opts) -> tuple[dict, dict, dict | None]:
    """The steady-rate phases. With an older host they alternate, now, before, before,
    now, half as long each, so that neither gets all of what follows the joins (the
    machine settling after 4,000 new connections) or a disk stall."""
    clean = lambda r: {k: v for k, v in r.items() if not k.startswith("_")}  # noqa: E731
    echo_rate = clean(_rate(e1.gen, opts))
    if b is None:
        return echo_rate, clean(_rate(h.gen, opts)), None
    half = opts.rate_seconds / 2
    first, second, third, fourth = (_rate(h.gen, opts, half), _rate(b.gen, opts, half),
                                    _rate(b.gen, opts, half), _rate(h.gen, opts, half))
    return echo_rate, _merged([first, fourth]), _merged([second, third])


def run(opts, work: Path) -> dict[str, Any]:
    """Both servers up at once; their rounds interleaved (echo, echo with two generators,
    host; repeated), so that whatever else loads the machine weighs on all three alike."""
    env = {"FACILITATION_KIT_LOOP": opts.loop}
    (work / "host").mkdir(parents=True, exist_ok=True)
    agenda = common.write_agenda(work / "host" / "agenda.toml", activities=2, cap=opts.clients + 10)
    echo = common.start_echo(work / "echo", cores=opts.host_cores, env=env)
    host = common.start_host(work / "host" / "data", agenda=agenda, cores=opts.host_cores,
                             participant_cap=opts.clients + 10, env=env)
    before = None
    if opts.before:  # an older checkout's host, the same agenda, generator and settings
        before = common.start_host(work / "before" / "data", agenda=agenda, cores=opts.host_cores,
                                   participant_cap=opts.clients + 10, env=env, tree=opts.before)
    targets: list[Target] = []
    out: dict[str, Any] = {}
    try:
        e1 = Target("echo1", echo, loadgen.NodeLoad(1, opts.load_cores), opts)
        targets.append(e1)
        e2 = Target("echo2", echo, loadgen.NodeLoad(2, opts.load_cores), opts)
        targets.append(e2)
        h = Target("host", host, loadgen.NodeLoad(1, opts.load_cores), opts)
        targets.append(h)
        e1.join(f"ws://127.0.0.1:{echo.port}/ws", "ECHO", "echo")
        e2.join(f"ws://127.0.0.1:{echo.port}/ws", "ECHO", "echo")
        h.join(f"ws://127.0.0.1:{host.port}/ws", host.info["room"], "host")
        b = None
        if before is not None:
            b = Target("before", before, loadgen.NodeLoad(1, opts.load_cores), opts)
            targets.append(b)
            b.join(f"ws://127.0.0.1:{before.port}/ws", before.info["room"], "host")
        echo_rate, host_rate, before_rate = _steady(e1, h, b, opts)
        for t in targets:
            t.warm_up()
        ratios, before_ratios = [], []
        for _ in range(opts.rounds):
            e = e1.round()
            e2.round()
            ratios.append(h.round() / e)
            if b is not None:
                before_ratios.append(b.round() / e)
        for t in targets:
            out[t.name] = {"generators": len(t.gen.pids), "joined": t.joined, "join_all_s": t.join_all_s,
                           "closed": t.closed(), "errors": t.errors()}
        out["echo1"]["rate"] = echo_rate
        out["host"]["rate"] = host_rate
        out["ratios"] = ratios
        if b is not None:
            out["before"]["rate"] = before_rate
            out["before_ratios"] = before_ratios
    finally:
        for t in targets:
            t.gen.close()
        echo.stop()
        out.setdefault("host", {})["exit_code"] = host.stop()
        if before is not None:
            out.setdefault("before", {})["exit_code"] = before.stop()
    _stored(out["host"], work / "host" / "data", host.info["session_id"], None)
    if before is not None:
        _stored(out["before"], work / "before" / "data", before.info["session_id"], opts.before)
    return out


def _stored(res: dict[str, Any], data_dir: Path, session_id: str, tree: Path | None) -> None:
    """Contributions stored after the clean stop (read by that host's own code) and acks received."""
    code = ("import json, sys; from facilitation_kit.{mod} import read_session; "
            "t, _ = read_session(sys.argv[1], sys.argv[2]); "
            "print(sum(1 for c in t['contributions'].values() if not c.get('withdrawn')))")
    if tree is None:
        from facilitation_kit.host.store import read_session

        tables, _ = read_session(data_dir, session_id)
        res["stored"] = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
    else:
        mod = "host.store" if (tree / "facilitation_kit" / "host" / "store.py").exists() else "store"
        out = subprocess.run([str(tree / ".venv" / "bin" / "python"), "-c", code.format(mod=mod), str(data_dir),
                              session_id], capture_output=True, text=True, cwd=tree, timeout=120, check=True)
        res["stored"] = int(out.stdout.strip())
    res["acked"] = sum(o.get("ack", 0) for o in (res["rate"]["outcome"], res["closed"]["outcome"],
                                                res["closed"]["warmup_outcome"]))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench throughput", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 phones, 2 rounds, 2 s at the steady rate")
    parser.add_argument("--clients", type=int, default=None, help="phones (default 1000)")
    parser.add_argument("--trips", type=int, default=10, help="round trips per phone per round (default 10)")
    parser.add_argument("--rounds", type=int, default=None,
                        help="measured closed-loop rounds per server, after one unmeasured (default 5)")
    parser.add_argument("--rate", type=float, default=200.0, help="steady submissions/s for the p99 (default 200)")
    parser.add_argument("--rate-seconds", type=float, default=None, help="length of the steady phase (default 10)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio",
                        help="event loop of both servers (default asyncio, as the host; uvloop needs the bench extra)")
    parser.add_argument("--before", type=Path, default=None, metavar="TREE",
                        help="also run the host of another checkout (with its own .venv, e.g. a git worktree "
                             "of an older commit) in the same run, its rounds interleaved with the others")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return parser


def _fmt_rates(c: dict) -> str:
    return f"{c['median']:,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in c['rates'])})"


def _host_lines(label: str, host: dict[str, Any], e1: dict[str, Any], opts) -> None:
    c = host["closed"]
    print(f"[{label}] joined {host['joined']} in {host['join_all_s']:.2f} s; durable acks {_fmt_rates(c)}; "
          f"host CPU {c['server_cpu'] * 100:.0f}% (its core busy {c['server_core_busy'] * 100:.0f}%), "
          f"{c['server_cpu_us']:.0f} µs per ack; generator CPU {c['generator_cpu'] * 100:.0f}%")
    print(f"[{label}] submit→ack at {host['rate']['achieved']:.0f}/s: {common.fmt_lat(host['rate']['latency'])}")
    if label == "host":
        print(f"[echo] round trip at {e1['rate']['achieved']:.0f}/s: {common.fmt_lat(e1['rate']['latency'])}")
    print(f"[{label}] saturated: {common.fmt_lat(c['latency'])}")
    print(f"[{label}] errors {host['errors'] or 0}; outcomes {host['rate']['outcome']} / {c['outcome']}; "
          f"stored after clean stop {host['stored']} = acks {host['acked']}: "
          f"{'OK' if host['stored'] == host['acked'] else 'MISMATCH'}; exit code {host['exit_code']}")


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
              f"echo CPU {c['server_cpu'] * 100:.0f}% (its core busy {c['server_core_busy'] * 100:.0f}%), "
              f"{c['server_cpu_us']:.0f} µs per round trip; generator CPU "
              f"{c['generator_cpu'] * 100:.0f}% of a core per process; errors {r['errors'] or 0}")
    gain = e2["closed"]["median"] / e1["closed"]["median"] if e1["closed"]["median"] else float("nan")
    limit = ("the generator is not the limit (below a core, and a second process adds nothing)" if gain < 1.1
             and e1["closed"]["generator_cpu"] < 0.9 else
             "the generator is below a core, so not saturated, but a second process added round trips"
             if e1["closed"]["generator_cpu"] < 0.9 else "the generator MAY BE THE LIMIT")
    print(f"generator check: 2 generators give {gain:.2f}x the echo round trips of 1; one generator used "
          f"{e1['closed']['generator_cpu'] * 100:.0f}% of a core while the echo's core was "
          f"{e1['closed']['server_core_busy'] * 100:.0f}% busy: {limit}")
    _host_lines("host", host, e1, opts)
    if "before" in res:
        _host_lines(f"before: {opts.before}", res["before"], e1, opts)
    c = host["closed"]
    ratios = res["ratios"]
    ratio = statistics.median(ratios)
    print("\nheadline (same run, same generator, same transport settings; rounds interleaved):")
    print(f"  durable acks/s / echo round trips/s: {c['median']:,.0f} / {e1['closed']['median']:,.0f}; "
          f"per round {ratio:.2f}x (median; rounds {min(ratios):.2f}-{max(ratios):.2f}x) (target >= 0.5x)")
    print(f"  server CPU per durable ack / per echo round trip: {c['server_cpu_us']:.0f} / "
          f"{e1['closed']['server_cpu_us']:.0f} µs ({e1['closed']['server_cpu_us'] / c['server_cpu_us']:.2f}x)")
    print(f"  p99 submit→ack at {opts.rate:g}/s: {host['rate']['latency']['p99_ms']:.1f} ms (target < 20 ms); "
          f"echo {e1['rate']['latency']['p99_ms']:.1f} ms")
    print(f"  p99 under saturation: {c['latency']['p99_ms']:.1f} ms (target < 100 ms); "
          f"echo {e1['closed']['latency']['p99_ms']:.1f} ms")
    errors = sum((host["errors"] or {}).values()) + sum(
        v for o in (host["rate"]["outcome"], c["outcome"], c["warmup_outcome"]) for k, v in o.items() if k != "ack")
    print(f"  errors: {errors} (target 0)")
    if "before" in res:
        b, bc = res["before"], res["before"]["closed"]
        br = res["before_ratios"]
        print(f"\nbefore ({opts.before}) and now, same run (rounds interleaved with the echo's):")
        print(f"  durable acks/s: before {bc['median']:,.0f} ({statistics.median(br):.2f}x the echo; rounds "
              f"{min(br):.2f}-{max(br):.2f}x), now {c['median']:,.0f} ({ratio:.2f}x)")
        print(f"  host CPU per durable ack: before {bc['server_cpu_us']:.0f} µs, now {c['server_cpu_us']:.0f} µs")
        print(f"  p99 submit→ack at {opts.rate:g}/s: before {b['rate']['latency']['p99_ms']:.1f} ms, "
              f"now {host['rate']['latency']['p99_ms']:.1f} ms")
        print(f"  p99 under saturation: before {bc['latency']['p99_ms']:.1f} ms, now {c['latency']['p99_ms']:.1f} ms")
        print(f"  all {opts.clients} joined in: before {b['join_all_s']:.2f} s, now {host['join_all_s']:.2f} s")
        berr = sum((b["errors"] or {}).values()) + sum(
            v for o in (b["rate"]["outcome"], bc["outcome"], bc["warmup_outcome"]) for k, v in o.items() if k != "ack")
        print(f"  errors: before {berr}, now {errors}; stored = acks: before "
              f"{'yes' if b['stored'] == b['acked'] else 'NO'}, now {'yes' if host['stored'] == host['acked'] else 'NO'}")
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
    if opts.before is not None:
        opts.before = opts.before.resolve()
        if not (opts.before / ".venv" / "bin" / "python").exists():
            raise SystemExit(f"--before {opts.before}: no .venv there (run `make install` in it first)")
    common.raise_fd_limit()
    opts.host_cores, opts.load_cores = common.core_plan()
    common.pin(opts.load_cores)
    res: dict[str, Any] = {"ws": loadgen.ensure_installed(), "node": loadgen.node_version(),
                           "loop": common.loop_name(opts.loop)}
    with tempfile.TemporaryDirectory(prefix="fk-bench-throughput-") as tmp:
        res.update(run(opts, Path(tmp)))
    report(res, opts, ["throughput", *argv])
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2))
    return res
