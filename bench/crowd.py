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
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from bench import common, loadgen
from bench.phones import FacilitatorClient


async def _rounds(fac: FacilitatorClient, rounds: int, pause: float) -> list[tuple[str, float]]:
    sent = []
    for r in range(rounds):
        target = "a2" if r % 2 == 0 else "a1"
        t0 = time.time() * 1000
        reply = await fac.command("goto", activity=target)
        if reply.get("type") != "ok":
            raise RuntimeError(f"goto failed: {reply}")
        sent.append((target, t0))
        await asyncio.sleep(pause)
    return sent


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
    n = opts.phones
    agenda = common.write_agenda(work / "agenda.toml", activities=2, cap=n + 10)
    flags = common.serve_flags()
    extra = ["--max-connections", str(n + 100)]
    raised = ["--participant-cap", "--max-connections"]
    for flag, value in (("--trust-address", "127.0.0.1"), ("--max-participants", str(n + 100))):
        if flag in flags:  # the per-address and per-session caps, where this version has them
            extra += [flag, value]
            raised.append(flag)
    server = common.start_host(work / "data", agenda=agenda, cores=opts.host_cores, participant_cap=n + 10,
                               env={"FACILITATION_KIT_LOOP": opts.loop}, extra=extra)
    res: dict[str, Any] = {"phones": n, "caps_raised": raised}
    gen = loadgen.NodeLoad(opts.generators, opts.load_cores)
    fac = None
    try:
        time.sleep(0.5)
        rss0 = common.rss_bytes(server.pid)
        t0 = time.time() * 1000
        joins = gen.join(f"ws://127.0.0.1:{server.port}/ws", server.info["room"], n, proto="host",
                         concurrency=opts.join_concurrency, timeout=300)
        res["joined"] = sum(len(j["join_s"]) for j in joins)
        res["join_failures"] = [f for j in joins for f in j["failures"]][:5]
        res["join_all_s"] = (max(j["last_at"] for j in joins) - t0) / 1000
        res["join"] = common.latency_summary([s for j in joins for s in j["join_s"]])
        sub = gen.call_all({"cmd": "closed", "trips": 1, "start_at": time.time() * 1000 + 300}, timeout=120)
        res["submit_outcome"] = {}
        for r in sub:
            for k, v in r["outcome"].items():
                res["submit_outcome"][k] = res["submit_outcome"].get(k, 0) + v
        res["submit"] = common.latency_summary([x / 1000 for r in sub for x in r["latency_ms"]])
        fac = FacilitatorClient(server.port, server.info["facilitator_token"])
        fac.run(fac.connect())
        sent = fac.run(_rounds(fac, opts.rounds, opts.round_pause), 60 + opts.rounds * 31)
        time.sleep(1.0)
        logs = [log for r in gen.call_all({"cmd": "activity_log"}, 120) for log in r["logs"]]
        per_round, missing = [], 0
        for target, at in sent:
            worst = 0.0
            for log in logs:
                times = [t for aid, t in log if aid == target and t >= at]
                if times:
                    worst = max(worst, min(times) - at)
                else:
                    missing += 1
            per_round.append(worst / 1000)
        res["fanout"] = common.latency_summary(per_round)
        res["fanout_missing"] = missing
        res["page"] = _page(server.port)
        res["rss_before_mib"] = rss0 / 2**20
        res["rss_mib"] = common.rss_bytes(server.pid) / 2**20
        res["peak_rss_mib"] = common.peak_rss_bytes(server.pid) / 2**20
        res["peak_per_phone_kib"] = (common.peak_rss_bytes(server.pid) - rss0) / max(1, res["joined"]) / 1024
        errors: dict[str, int] = {}
        for r in gen.call_all({"cmd": "errors"}, 60):
            for k, v in r["errors"].items():
                errors[k] = errors.get(k, 0) + v
        res["errors"] = errors
        fac.close()
        fac = None
    finally:
        if fac is not None:
            fac.close()
        gen.close()
        res["exit_code"] = server.stop()
    from facilitation_kit.host.store import read_session

    tables, _ = read_session(work / "data", server.info["session_id"])
    res["stored"] = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
    res["acked"] = res["submit_outcome"].get("ack", 0)
    return res


def report(res: dict[str, Any], opts, argv) -> None:
    n = res["phones"]
    print(f"machine: {common.machine()}")
    print(f"generator: Node {res['node']}, ws {res['ws']}, {opts.generators} processes; host loop {res['loop']}; "
          f"host on cores {sorted(opts.host_cores) if opts.host_cores else 'unpinned'}; "
          f"caps raised with {' '.join(res['caps_raised'])}")
    print(f"[crowd] joined {res['joined']}/{n} in {res['join_all_s']:.2f} s (target: all within 10 s); "
          f"join {common.fmt_lat(res['join'])}")
    if res["join_failures"]:
        print(f"[crowd] join failures (first few): {res['join_failures']}")
    print(f"[crowd] each submits one: outcomes {res['submit_outcome']}; {common.fmt_lat(res['submit'])}")
    print(f"[crowd] activity change reaches all {res['joined']} phones: {common.fmt_lat(res['fanout'])} "
          f"(target: max < 500 ms); frames missed {res['fanout_missing']}")
    page = res["page"]
    print(f"[crowd] participant page with {res['joined']} connected: {len(page['files'])} files in "
          f"{page['seconds'] * 1000:.0f} ms, {'all 200' if page['ok'] else page['files']}")
    print(f"[crowd] RSS {res['rss_before_mib']:.1f} MiB before, {res['rss_mib']:.1f} MiB now, peak "
          f"{res['peak_rss_mib']:.1f} MiB: {res['peak_per_phone_kib']:.1f} KiB per phone at peak (target < 32 KiB)")
    print(f"[crowd] errors {res['errors'] or 0}; stored after clean stop {res['stored']} = acks {res['acked']}: "
          f"{'OK' if res['stored'] == res['acked'] else 'MISMATCH'}; exit code {res['exit_code']}")
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
    if opts.json:
        opts.json.write_text(json.dumps(res, indent=2))
    return res
