"""Crowd benchmark: 5,000 phones on one host (Node ``ws`` generator, bench/node).

    python -m bench crowd [--quick] [--phones 5000] [--rounds 5] [--loop asyncio|uvloop]

1. ``facilitation-kit serve --headless`` pinned to one core, its caps raised on the
   command line (``--participant-cap``, ``--max-connections``, and where this version has
   them the per-address limits: every phone here comes from 127.0.0.1) and its open-file
   limit raised (host.assembly.raise_fd_limit);
2. all phones join (``hello`` → ``welcome``, each a durable write), 200 joins in flight
   per generator process: the time until the last one is in (target: 10 s);
3. each phone submits one idea and waits for its ack;
4. the facilitator changes the activity ``--rounds`` times: per change, the time from
   sending the command until the last phone has the ``activity`` frame (target 500 ms);
5. with every phone connected, the participant page and each file it loads is fetched
   over HTTP (target: all 200);
6. peak RSS per phone: (the host's peak RSS, VmHWM − its RSS before any phone) ÷ phones
   (target 32 KiB); after a clean stop, stored contributions = acks received.

The baseline, in the same run: the bare echo (bench/echo_server.py, the host's transport
settings, pinned to the same core) up at the same time, with its own generator processes
of the same settings. The same figures where they mean something for an echo: all
phones connect (its "join" is connect + one round trip, the echoed ``hello``), each
sends one (round trip), an ``activity`` frame sent on its /ws/facilitator reaches all
(websockets.broadcast, as the host fans out), peak RSS per connection. The phases
alternate between the two servers (joins echo then host, submits host then echo,
activity changes echo, host, host, echo, ...) so that neither gets all of the machine's
noise. The page has no echo equivalent. Each host figure is printed with the echo's
beside it, then one table of them all.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import common, loadgen
from bench.figures import Row, met, ms, table
from bench.phones import FacilitatorClient


class Side:
    """One server (the host or the bare echo), its generator processes and its figures."""

    def __init__(self, name: str, server: common.Server, gen: loadgen.NodeLoad, fac: FacilitatorClient):
        self.name, self.server, self.gen, self.fac = name, server, gen, fac
        self.res: dict[str, Any] = {}
        self.sent: list[tuple[str, float]] = []
        self.rss0 = common.rss_bytes(server.pid)

    def join(self, url: str, room: str, n: int, proto: str, opts) -> None:
        t0 = time.time() * 1000
        joins = self.gen.join(url, room, n, proto=proto, concurrency=opts.join_concurrency, timeout=300)
        self.res["joined"] = sum(len(j["join_s"]) for j in joins)
        self.res["join_failures"] = [f for j in joins for f in j["failures"]][:5]
        self.res["join_all_s"] = (max(j["last_at"] for j in joins) - t0) / 1000
        self.res["join"] = common.latency_summary([s for j in joins for s in j["join_s"]])

    def submit_one(self) -> None:
        sub = self.gen.call_all({"cmd": "closed", "trips": 1, "start_at": time.time() * 1000 + 300}, timeout=120)
        outcome: dict[str, int] = {}
        for r in sub:
            for k, v in r["outcome"].items():
                outcome[k] = outcome.get(k, 0) + v
        self.res["submit_outcome"] = outcome
        self.res["submit"] = common.latency_summary([x / 1000 for r in sub for x in r["latency_ms"]])

    def change(self, target: str) -> None:
        """Host: ``goto`` on the facilitator channel. Echo: an ``activity`` frame on its
        /ws/facilitator, which it passes to every phone with websockets.broadcast."""
        t0 = time.time() * 1000
        reply = self.fac.run(self.fac.command("goto", activity=target), 35)
        if reply.get("type") != "ok":
            raise RuntimeError(f"goto failed on the {self.name}: {reply}")
        self.sent.append((target, t0))

    def fanout(self) -> None:
        logs = [log for r in self.gen.call_all({"cmd": "activity_log"}, 120) for log in r["logs"]]
        per_round, missing = common.fanout_times(self.sent, logs)  # milliseconds
        self.res["fanout"] = common.latency_summary([ms / 1000 for ms in per_round])
        self.res["fanout_missing"] = missing

    def memory_and_errors(self) -> None:
        pid = self.server.pid
        self.res["rss_before_mib"] = self.rss0 / 2**20
        self.res["rss_mib"] = common.rss_bytes(pid) / 2**20
        self.res["peak_rss_mib"] = common.peak_rss_bytes(pid) / 2**20
        self.res["peak_per_phone_kib"] = (common.peak_rss_bytes(pid) - self.rss0) / max(1, self.res["joined"]) / 1024
        errors: dict[str, int] = {}
        for r in self.gen.call_all({"cmd": "errors"}, 60):
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        self.res["errors"] = errors


def _page(port: int) -> dict[str, Any]:
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {"files": {}}
    t0 = time.monotonic()
    with urllib.request.urlopen(base + "/?room=X", timeout=30) as resp:
        html = resp.read().decode("utf-8", "replace")
        out["files"]["/"] = resp.status
    for ref in sorted(set(re.findall(r'(?:src|href)="(/static/[^"?#]+)', html))):
        try:
            with urllib.request.urlopen(base + ref, timeout=30) as resp:
                resp.read()
                out["files"][ref] = resp.status
        except urllib.error.HTTPError as exc:
            out["files"][ref] = exc.code
    out["seconds"] = time.monotonic() - t0
    out["ok"] = all(code == 200 for code in out["files"].values())
    return out


def run(opts, work: Path) -> dict[str, Any]:
    """The host and the echo up at the same time, each with its own generator processes
    (the same settings); their phases alternate so that neither gets all of the machine's
    noise: joins echo then host, submits host then echo, activity changes echo, host,
    host, echo, ... (one pause apart)."""
    n = opts.phones
    env = {"FACILITATION_KIT_LOOP": opts.loop}
    agenda = common.write_agenda(work / "agenda.toml", activities=2, cap=n + 10)
    flags = common.serve_flags()
    extra = ["--max-connections", str(n + 100)]
    raised = ["--participant-cap", "--max-connections"]
    for flag, value in (("--trust-address", "127.0.0.1"), ("--max-participants", str(n + 100))):
        if flag in flags:  # the per-address and per-session caps, where this version has them
            extra += [flag, value]
            raised.append(flag)
    echo_srv = common.start_echo(work / "echo", cores=opts.host_cores, env=env)
    server = common.start_host(work / "data", agenda=agenda, cores=opts.host_cores, participant_cap=n + 10,
                               env=env, extra=extra)
    res: dict[str, Any] = {"phones": n, "caps_raised": raised}
    sides: list[Side] = []
    try:
        time.sleep(0.5)
        host = Side("host", server, loadgen.NodeLoad(opts.generators, opts.load_cores),
                    FacilitatorClient(server.port, server.info["facilitator_token"]))
        sides.append(host)
        echo = Side("echo", echo_srv, loadgen.NodeLoad(opts.generators, opts.load_cores),
                    FacilitatorClient(echo_srv.port, None))
        sides.append(echo)
        for side in sides:  # both generators started and answering before anything is timed
            side.gen.call_all({"cmd": "errors"}, 60)
        echo.join(f"ws://127.0.0.1:{echo_srv.port}/ws", "ECHO", n, "echo", opts)
        time.sleep(0.5)
        host.join(f"ws://127.0.0.1:{server.port}/ws", server.info["room"], n, "host", opts)
        time.sleep(0.5)
        host.submit_one()
        echo.submit_one()
        for side in sides:
            side.fac.run(side.fac.connect())
        for r in range(opts.rounds):
            target = "a2" if r % 2 == 0 else "a1"
            for side in ((echo, host) if r % 2 == 0 else (host, echo)):
                side.change(target)
                time.sleep(opts.round_pause)
        time.sleep(1.0)
        for side in sides:
            side.fanout()
        res["page"] = _page(server.port)
        for side in sides:
            side.memory_and_errors()
    finally:
        for side in sides:
            try:
                if side.fac.ws is not None:
                    side.fac.close()
                else:
                    side.fac.loop.call_soon_threadsafe(side.fac.loop.stop)
            finally:
                side.gen.close()
        echo_srv.stop()
        res["exit_code"] = server.stop()
    res.update(host.res)
    res["echo"] = echo.res
    from facilitation_kit.host.store import read_session

    tables, _ = read_session(work / "data", server.info["session_id"])
    res["stored"] = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
    res["acked"] = res["submit_outcome"].get("ack", 0)
    return res


def figures(res: dict[str, Any], argv) -> list[Row]:
    """Every figure of the run beside the echo's, its target and whether it is met."""
    cmd = common.reproduce_line(argv)
    e, n, b = res["echo"], res["phones"], "crowd"
    page = res["page"]
    errors = sum(res["errors"].values())
    return [
        Row(b, f"all {n} joined (echo: connect + 1 round trip)", f"{res['joined']} in {res['join_all_s']:.2f} s",
            f"{e['joined']} in {e['join_all_s']:.2f} s", "all within 10 s",
            met(res["joined"] == n and res["join_all_s"] < 10), cmd),
        Row(b, "join p50 / p99", f"{res['join']['p50_ms']:,.0f} / {res['join']['p99_ms']:,.0f} ms",
            f"{e['join']['p50_ms']:,.0f} / {e['join']['p99_ms']:,.0f} ms", "—", "—", cmd),
        Row(b, f"each submits one, all {n} at once: p50 / p99",
            f"{res['submit']['p50_ms']:,.0f} / {res['submit']['p99_ms']:,.0f} ms, {res['acked']} acks",
            f"{e['submit']['p50_ms']:,.0f} / {e['submit']['p99_ms']:,.0f} ms, {e['submit']['n']} echoed",
            "each acked", met(res["acked"] == n), cmd),
        Row(b, f"activity change → all {n}, worst of {res['fanout']['n']}",
            f"{ms(res['fanout']['max_ms'])} (p50 {res['fanout']['p50_ms']:.0f}), missed {res['fanout_missing']}",
            f"{ms(e['fanout']['max_ms'])} (p50 {e['fanout']['p50_ms']:.0f}), missed {e['fanout_missing']}",
            "< 500 ms", met(res["fanout"]["max_ms"] < 500 and res["fanout_missing"] == 0), cmd),
        Row(b, "participant page and its files", f"{'all 200' if page['ok'] else 'NOT all 200'}, "
            f"{page['seconds'] * 1000:.0f} ms", "no echo figure (the echo serves no page)", "loads",
            met(page["ok"]), cmd),
        Row(b, "peak RSS per phone", f"{res['peak_per_phone_kib']:.1f} KiB (peak {res['peak_rss_mib']:.0f} MiB)",
            f"{e['peak_per_phone_kib']:.1f} KiB (peak {e['peak_rss_mib']:.0f} MiB)", "< 32 KiB",
            met(res["peak_per_phone_kib"] < 32), cmd),
        Row(b, "errors; stored = acks", f"{errors}; {res['stored']} = {res['acked']}",
            f"{sum(e['errors'].values())}", "0; equal", met(errors == 0 and res["stored"] == res["acked"]), cmd),
    ]


def report(res: dict[str, Any], opts, argv) -> None:
    n, e = res["phones"], res["echo"]
    print(f"machine: {common.machine()}")
    print(f"generator: Node {res['node']}, ws {res['ws']}, {opts.generators} processes per server; loop of both "
          f"servers {res['loop']}; both on cores {sorted(opts.host_cores) if opts.host_cores else 'unpinned'}; "
          f"caps raised with {' '.join(res['caps_raised'])}")
    print("echo (bench/echo_server.py) up at the same time, its own generator processes, the same settings; "
          "phases alternate: joins echo then host, submits host then echo, activity changes echo/host alternating")
    print(f"[crowd] joined {res['joined']}/{n} in {res['join_all_s']:.2f} s (echo {e['joined']}/{n} in "
          f"{e['join_all_s']:.2f} s; target: all within 10 s); join {common.fmt_lat(res['join'])}")
    print(f"[echo]  join (connect + one round trip): {common.fmt_lat(e['join'])}")
    for name, r in (("crowd", res), ("echo", e)):
        if r["join_failures"]:
            print(f"[{name}] join failures (first few): {r['join_failures']}")
    print(f"[crowd] each submits one: outcomes {res['submit_outcome']}; {common.fmt_lat(res['submit'])}")
    print(f"[echo]  each sends one: outcomes {e['submit_outcome']}; {common.fmt_lat(e['submit'])}")
    print(f"[crowd] activity change reaches all {res['joined']} phones: {common.fmt_lat(res['fanout'])} "
          f"(target: max < 500 ms); frames missed {res['fanout_missing']}")
    print(f"[echo]  broadcast reaches all {e['joined']}: {common.fmt_lat(e['fanout'])}; frames missed "
          f"{e['fanout_missing']}")
    page = res["page"]
    print(f"[crowd] participant page with {res['joined']} connected: {len(page['files'])} files in "
          f"{page['seconds'] * 1000:.0f} ms, {'all 200' if page['ok'] else page['files']} (no echo figure: the "
          "echo serves no page)")
    print(f"[crowd] RSS {res['rss_before_mib']:.1f} MiB before, {res['rss_mib']:.1f} MiB now, peak "
          f"{res['peak_rss_mib']:.1f} MiB: {res['peak_per_phone_kib']:.1f} KiB per phone at peak (target < 32 KiB; "
          f"echo {e['peak_per_phone_kib']:.1f} KiB per connection)")
    print(f"[echo]  RSS {e['rss_before_mib']:.1f} MiB before, {e['rss_mib']:.1f} MiB now, peak "
          f"{e['peak_rss_mib']:.1f} MiB")
    print(f"[crowd] errors {res['errors'] or 0} (echo {e['errors'] or 0}); stored after clean stop {res['stored']} "
          f"= acks {res['acked']}: {'OK' if res['stored'] == res['acked'] else 'MISMATCH'}; exit code "
          f"{res['exit_code']}")
    print()
    table(figures(res, argv), "crowd, host beside the echo of the same run:", commands=False)
    print(f"\nreproduce: {common.reproduce_line(argv)}")


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench crowd", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 phones, 2 activity changes")
    parser.add_argument("--phones", type=int, default=None, help="phones (default 5000)")
    parser.add_argument("--rounds", type=int, default=None, help="activity changes (default 5)")
    parser.add_argument("--round-pause", type=float, default=0.7)
    parser.add_argument("--generators", type=int, default=2, help="Node generator processes (default 2)")
    parser.add_argument("--join-concurrency", type=int, default=200, help="joins in flight per process")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--json", type=Path, default=None)
    opts = parser.parse_args(argv)
    opts.phones = opts.phones or (300 if opts.quick else 5000)
    opts.rounds = opts.rounds or (2 if opts.quick else 5)
    common.raise_fd_limit()
    opts.host_cores, opts.load_cores = common.core_plan()
    common.pin(opts.load_cores)
    res: dict[str, Any] = {"ws": loadgen.ensure_installed(), "node": loadgen.node_version(),
                           "loop": common.loop_name(opts.loop)}
    with tempfile.TemporaryDirectory(prefix="fk-bench-crowd-") as tmp:
        res.update(run(opts, Path(tmp)))
    report(res, opts, ["crowd", *argv])
    res["figures"] = [vars(r) for r in figures(res, ["crowd", *argv])]
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2))
    return res
