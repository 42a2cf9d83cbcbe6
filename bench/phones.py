"""Phones benchmark: N simulated participants against the real host, and the same load
against a bare websockets echo server in the same run (the baseline).

Layout (2 cores or more): the server under test runs as a subprocess pinned to the
first core (``os.sched_setaffinity``); the load generator (``--workers`` processes, each
running many asyncio websocket clients) and the facilitator client are pinned to the
other cores. So the clients cannot starve the host, and the host's figures are its own;
with one core the pinning is skipped and the figures say so.

Phases, each bounded in time, run against the host and then against the echo server:

1. join: every phone connects and sends ``hello`` with a role (cycling through the
   agenda's roles), concurrently; per-phone join time (connect → ``welcome``) and the
   time until all N are in.
2. steady: open-loop submissions at ``--rate`` per second in total, spread evenly over
   the phones with random phase, for ``--seconds``; submit → ack latency.
3. saturate: every phone submits closed-loop (send, wait for the ack, send again), at
   most ``--per-phone-cap`` per second each (below the host's per-connection rate
   limit, so no frame is refused); acks/s is the throughput.
4. fan-out: the facilitator changes the activity ``--rounds`` times; per round, the time
   from sending the command until the last phone got the ``activity`` frame.

Host RSS per participant is (RSS with N joined − RSS before any phone) ÷ N, from
/proc/PID/status of the server process. After the run the host is stopped cleanly and
its session is read back: the stored contributions must equal the acks received.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import multiprocessing as mp
import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import common

ROLES = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]
ACK_TIMEOUT = 15.0


# -- the load generator (runs in worker processes) ----------------------------------
class Client:
    def __init__(self, index: int, role: str):
        self.index = index
        self.role = role
        self.ws = None
        self.pending: dict[str, asyncio.Future] = {}
        self.welcome: asyncio.Future | None = None
        self.activity_log: list[tuple[str | None, float]] = []
        self.activity_id: str | None = None
        self.errors: dict[str, int] = {}
        self.reader: asyncio.Task | None = None
        self.counter = itertools.count()

    async def read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in self.ws:
                now = time.monotonic()
                frame = json.loads(message)
                kind = frame.get("type")
                if kind == "activity":
                    act = frame.get("activity") or {}
                    self.activity_log.append((act.get("id"), now))
                elif kind in ("ack", "submit", "error"):
                    fut = self.pending.pop(frame.get("id"), None) if frame.get("id") is not None else None
                    if kind == "error":
                        self.errors[frame.get("code", "?")] = self.errors.get(frame.get("code", "?"), 0) + 1
                    if fut is not None and not fut.done():
                        fut.set_result((now, kind))
                elif kind in ("welcome", "hello"):
                    if kind == "welcome":
                        self.activity_id = (frame.get("activity") or {}).get("id")
                    if self.welcome is not None and not self.welcome.done():
                        self.welcome.set_result(now)
        except ConnectionClosed:
            pass
        finally:
            for fut in self.pending.values():
                if not fut.done():
                    fut.set_result((None, "closed"))

    async def join(self, url: str, room: str) -> float:
        from websockets.asyncio.client import connect

        started = time.monotonic()
        self.ws = await connect(url, compression=None, max_size=None, open_timeout=30,
                                ping_interval=None)
        self.welcome = asyncio.get_running_loop().create_future()
        self.reader = asyncio.ensure_future(self.read())
        await self.ws.send(json.dumps({"type": "hello", "room": room, "name": f"phone {self.index}",
                                       "role": self.role, "lang": "en", "token": None}))
        done = await asyncio.wait_for(self.welcome, 30)
        if self.activity_id is None:
            self.activity_id = "a1"
        return done - started

    async def submit(self) -> tuple[float | None, str]:
        cid = f"{os.getpid()}-{self.index}-{next(self.counter)}"
        fut = asyncio.get_running_loop().create_future()
        self.pending[cid] = fut
        text = f"Idea {cid}: more time to talk with the people we support, fewer forms to fill in."
        sent = time.monotonic()
        await self.ws.send(json.dumps({"type": "submit", "id": cid, "activity": self.activity_id,
                                       "data": {"answer": text}}))
        try:
            done, kind = await asyncio.wait_for(fut, ACK_TIMEOUT)
        except asyncio.TimeoutError:
            self.pending.pop(cid, None)
            return None, "timeout"
        return (done - sent if done is not None else None), kind


async def _worker(conn, cores) -> None:
    common.pin(cores)
    common.raise_fd_limit()
    loop = asyncio.get_running_loop()
    clients: list[Client] = []
    while True:
        cmd, args = await loop.run_in_executor(None, conn.recv)
        if cmd == "ready":  # started and imported: nothing of the start-up is timed after this
            conn.send("ready")
        elif cmd == "join":
            url, room, indices, concurrency = args
            clients = [Client(i, ROLES[i % len(ROLES)]) for i in indices]
            gate = asyncio.Semaphore(concurrency)
            failures: list[str] = []

            async def one(c: Client) -> float | None:
                async with gate:
                    try:
                        return await c.join(url, room)
                    except Exception as exc:
                        failures.append(f"{type(exc).__name__}: {exc}"[:200])
                        return None
            times = await asyncio.gather(*(one(c) for c in clients))
            clients = [c for c, t in zip(clients, times) if t is not None]
            conn.send({"join_s": [t for t in times if t is not None], "failures": failures})
        elif cmd == "steady":
            interval, start_at, end_at = args
            lat: list[float] = []
            outcome: dict[str, int] = {}
            late: list[float] = []
            series: list[tuple[float, float]] = []

            async def paced(c: Client) -> None:
                due = start_at + random.uniform(0, interval)
                tasks, sent_at = [], []
                while due < end_at:
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                    late.append(time.monotonic() - due)
                    sent_at.append(time.monotonic())
                    tasks.append(asyncio.ensure_future(c.submit()))
                    due += interval
                for (latency, kind), sent in zip(await asyncio.gather(*tasks), sent_at):
                    outcome[kind] = outcome.get(kind, 0) + 1
                    if kind in ("ack", "submit") and latency is not None:
                        lat.append(latency)
                        series.append((sent - start_at, latency))
            await asyncio.gather(*(paced(c) for c in clients))
            conn.send({"latency_s": lat, "outcome": outcome, "late_s": late, "series": series})
        elif cmd == "saturate":
            cap, start_at, end_at = args
            lat = []
            outcome = {}

            async def closed_loop(c: Client) -> None:
                await asyncio.sleep(max(0.0, start_at - time.monotonic()))
                while time.monotonic() < end_at:
                    began = time.monotonic()
                    latency, kind = await c.submit()
                    outcome[kind] = outcome.get(kind, 0) + 1
                    if kind in ("ack", "submit") and latency is not None:
                        lat.append(latency)
                    elif kind == "closed":
                        return
                    rest = 1 / cap - (time.monotonic() - began)
                    if rest > 0:
                        await asyncio.sleep(rest)
            await asyncio.gather(*(closed_loop(c) for c in clients))
            conn.send({"latency_s": lat, "outcome": outcome})
        elif cmd == "activity_log":
            conn.send([c.activity_log for c in clients])
        elif cmd == "errors":
            total: dict[str, int] = {}
            for c in clients:
                for code, n in c.errors.items():
                    total[code] = total.get(code, 0) + n
            conn.send(total)
        elif cmd == "close":
            await asyncio.gather(*(c.ws.close() for c in clients if c.ws is not None), return_exceptions=True)
            conn.send("closed")
            return


def worker_main(conn, cores) -> None:
    asyncio.run(_worker(conn, cores))


class Workers:
    def __init__(self, count: int, cores):
        ctx = mp.get_context("spawn")  # a clean interpreter: no inherited loop or threads
        self.conns, self.procs = [], []
        for _ in range(count):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, cores), daemon=True)
            proc.start()
            self.conns.append(parent)
            self.procs.append(proc)
        # each process imports this module (and so the kit) first: the joins were timed
        # from before that had finished, which counted the generator's own start-up
        self.call("ready", [None] * count, 120)

    def call(self, cmd: str, per_worker_args: list, timeout: float) -> list:
        for conn, args in zip(self.conns, per_worker_args):
            conn.send((cmd, args))
        out = []
        deadline = time.monotonic() + timeout
        for conn in self.conns:
            if not conn.poll(max(0.1, deadline - time.monotonic())):
                raise RuntimeError(f"a load-generator process did not finish {cmd!r} within {timeout:g} s")
            out.append(conn.recv())
        return out

    def close(self) -> None:
        try:
            self.call("close", [None] * len(self.conns), 30)
        except (RuntimeError, OSError, EOFError):
            pass
        for proc in self.procs:
            proc.join(5)
            if proc.is_alive():
                proc.kill()
                proc.join(5)


# -- the facilitator (main process) -----------------------------------------------------
class FacilitatorClient:
    """The facilitator, on its own event loop in a thread of the main process, so that
    it keeps reading (events, pings) while the main thread waits for the workers."""

    def __init__(self, port: int, token: str | None):
        self.port, self.token = port, token
        self.ws = None
        self.refs = itertools.count(1)
        self.replies: dict[int, asyncio.Future] = {}
        self.events: dict[str, int] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="bench-facilitator", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        self.ws = await connect(f"ws://127.0.0.1:{self.port}/ws/facilitator", compression=None,
                                max_size=None)
        if self.token is not None:
            await self.ws.send(json.dumps({"type": "auth", "token": self.token}))
            reply = json.loads(await asyncio.wait_for(self.ws.recv(), 10))
            assert reply["type"] == "authed", reply
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for message in self.ws:
                frame = json.loads(message)
                fut = self.replies.pop(frame.get("ref"), None) if "ref" in frame else None
                if fut is not None and not fut.done():
                    fut.set_result(frame)
                else:
                    kind = frame.get("type", "?")
                    self.events[kind] = self.events.get(kind, 0) + 1
        except ConnectionClosed:
            pass

    async def command(self, kind: str, **fields) -> dict:
        """Host: send a command, wait for its ok. Echo: send an activity frame."""
        if self.token is None:
            await self.ws.send(json.dumps({"type": "activity", "activity": {"id": fields.get("activity")}}))
            return {"type": "ok"}
        ref = next(self.refs)
        fut = self.loop.create_future()
        self.replies[ref] = fut
        await self.ws.send(json.dumps({"type": kind, "ref": ref, **fields}))
        return await asyncio.wait_for(fut, 30)

    async def _close(self) -> None:
        await self.ws.close()

    def close(self) -> None:
        try:
            self.run(self._close(), 15)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)


async def _fanout_rounds(fac: FacilitatorClient, rounds: int, pause: float) -> list[tuple[str, float]]:
    sent = []
    for r in range(rounds):
        target = "a2" if r % 2 == 0 else "a1"
        t0 = time.monotonic()
        reply = await fac.command("goto", activity=target)
        if reply.get("type") != "ok":
            raise RuntimeError(f"goto failed: {reply}")
        sent.append((target, t0))
        await asyncio.sleep(pause)
    return sent


def run_target(kind: str, opts, cores_host, cores_load, work: Path) -> dict[str, Any]:
    n = opts.phones
    agenda = common.write_agenda(work / "agenda.toml", activities=3, cap=max(n + 10, 1000))
    if kind == "host":
        server = common.start_host(work / "data", agenda=agenda, cores=cores_host, participant_cap=n + 10)
        url, room, token = f"ws://127.0.0.1:{server.port}/ws", server.info["room"], server.info["facilitator_token"]
    else:
        server = common.start_echo(work / "echo", cores=cores_host)
        url, room, token = f"ws://127.0.0.1:{server.port}/ws", "ECHO", None
    result: dict[str, Any] = {"kind": kind, "phones": n}
    workers = Workers(opts.workers, cores_load)
    try:
        time.sleep(0.5)
        rss0 = common.rss_bytes(server.pid)
        cpu0 = common.cpu_seconds(server.pid)
        slices = [list(range(w, n, opts.workers)) for w in range(opts.workers)]
        t0 = time.monotonic()
        joined = workers.call("join", [(url, room, s, opts.join_concurrency) for s in slices], 300)
        result["join_all_s"] = time.monotonic() - t0
        join_s = [t for j in joined for t in j["join_s"]]
        result["joined"] = len(join_s)
        result["join_failures"] = [f for j in joined for f in j["failures"]][:5]
        result["join"] = common.latency_summary(join_s)
        time.sleep(1.0)
        rss_joined = common.rss_bytes(server.pid)
        result["rss_before_mib"] = rss0 / 2**20
        result["rss_joined_mib"] = rss_joined / 2**20
        result["rss_per_phone_kib"] = (rss_joined - rss0) / max(1, len(join_s)) / 1024

        fac = FacilitatorClient(server.port, token)
        fac.run(fac.connect())

        # steady
        interval = n / opts.rate
        start_at = time.monotonic() + 0.5
        cpu_a = common.cpu_seconds(server.pid)
        steady = workers.call("steady", [(interval, start_at, start_at + opts.seconds)] * opts.workers,
                              opts.seconds + ACK_TIMEOUT + 30)
        cpu_b = common.cpu_seconds(server.pid)
        lat = [x for s in steady for x in s["latency_s"]]
        late = [x for s in steady for x in s["late_s"]]
        result["steady"] = common.latency_summary(lat)
        result["steady_rate"] = len(lat) / opts.seconds
        result["steady_outcome"] = _merge([s["outcome"] for s in steady])
        result["steady_generator_late_p99_ms"] = common.percentile(late, 99) * 1000 if late else 0.0
        result["steady_host_cpu"] = (cpu_b - cpu_a) / (opts.seconds + 0.5)
        series = sorted(x for s in steady for x in s["series"])
        result["steady_by_second"] = [
            (sec, common.percentile([l for t, l in series if sec <= t < sec + 1], 99) * 1000)
            for sec in range(int(opts.seconds))]

        # saturate
        start_at = time.monotonic() + 0.5
        cpu_a = common.cpu_seconds(server.pid)
        sat = workers.call("saturate", [(opts.per_phone_cap, start_at, start_at + opts.seconds)] * opts.workers,
                           opts.seconds + ACK_TIMEOUT + 30)
        cpu_b = common.cpu_seconds(server.pid)
        lat = [x for s in sat for x in s["latency_s"]]
        result["saturate"] = common.latency_summary(lat)
        result["acks_per_s"] = len(lat) / opts.seconds
        result["saturate_outcome"] = _merge([s["outcome"] for s in sat])
        result["saturate_host_cpu"] = (cpu_b - cpu_a) / (opts.seconds + 0.5)

        # fan-out
        sent = fac.run(_fanout_rounds(fac, opts.rounds, opts.round_pause), 60 + opts.rounds * 31)
        time.sleep(1.0)
        logs = [log for w in workers.call("activity_log", [None] * opts.workers, 60) for log in w]
        fan, missing = common.fanout_times(sent, logs)
        result["fanout"] = common.latency_summary(fan)
        result["fanout_missing"] = missing
        result["errors"] = _merge(workers.call("errors", [None] * opts.workers, 60))
        rss_after = common.rss_bytes(server.pid)
        result["rss_after_mib"] = rss_after / 2**20
        result["host_cpu_total_s"] = common.cpu_seconds(server.pid) - cpu0
        acked = result["steady_outcome"].get("ack", 0) + result["saturate_outcome"].get("ack", 0)
        result["acked"] = acked
        result["facilitator_events"] = dict(fac.events)
        fac.close()
    finally:
        workers.close()
        code = server.stop()
    if kind == "host":
        from facilitation_kit.host.store import read_session

        tables, _ = read_session(work / "data", server.info["session_id"])
        stored = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
        result["stored"] = stored
        result["exit_code"] = code
    return result


def _merge(dicts) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="python -m bench phones", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and short: 40 phones, 2 s phases")
    parser.add_argument("--phones", type=int, default=None, help="simulated participants (default 1000)")
    parser.add_argument("--rate", type=float, default=None, help="steady submissions per second in total (default 200)")
    parser.add_argument("--seconds", type=float, default=None, help="length of the steady and saturate phases (default 10)")
    parser.add_argument("--per-phone-cap", type=float, default=20.0,
                        help="most submissions per second per phone when saturating (default 20; the host refuses above 30)")
    parser.add_argument("--rounds", type=int, default=None, help="activity changes for the fan-out figure (default 10)")
    parser.add_argument("--round-pause", type=float, default=0.5, help="seconds between activity changes")
    parser.add_argument("--workers", type=int, default=None, help="load-generator processes (default 4)")
    parser.add_argument("--join-concurrency", type=int, default=50, help="joins in flight per worker process")
    parser.add_argument("--only", choices=["host", "echo"], default=None, help="run against one server only")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return parser


def apply_defaults(opts) -> None:
    quick = opts.quick
    opts.phones = opts.phones or (40 if quick else 1000)
    opts.rate = opts.rate or (40.0 if quick else 200.0)
    opts.seconds = opts.seconds or (2.0 if quick else 10.0)
    opts.rounds = opts.rounds or (3 if quick else 10)
    opts.workers = opts.workers or (2 if quick else 4)


def report(results: dict[str, dict], opts, argv) -> None:
    host, echo = results.get("host"), results.get("echo")
    print(f"machine: {common.machine()}")
    print(f"pinning: server on cores {sorted(opts.host_cores) if opts.host_cores else 'unpinned'}, "
          f"load generator on {sorted(opts.load_cores) if opts.load_cores else 'unpinned'}")
    print(f"load: {opts.phones} phones in {opts.workers} processes; steady {opts.rate:g}/s for {opts.seconds:g} s; "
          f"saturate ≤ {opts.per_phone_cap:g}/s per phone; {opts.rounds} activity changes")
    for name, r in (("host", host), ("echo", echo)):
        if not r:
            continue
        print(f"\n[{name}] joined {r['joined']}/{r['phones']} in {r['join_all_s']:.2f} s; "
              f"join {common.fmt_lat(r['join'])}")
        if r["join_failures"]:
            print(f"[{name}] join failures (first few): {r['join_failures']}")
        print(f"[{name}] submit→ack at {r['steady_rate']:.0f}/s: {common.fmt_lat(r['steady'])}; "
              f"outcomes {r['steady_outcome']}; server CPU {r['steady_host_cpu'] * 100:.0f}% of a core; "
              f"generator lateness p99 {r['steady_generator_late_p99_ms']:.1f} ms")
        print(f"[{name}] saturated: {r['acks_per_s']:.0f} acks/s; latency {common.fmt_lat(r['saturate'])}; "
              f"server CPU {r['saturate_host_cpu'] * 100:.0f}% of a core; outcomes {r['saturate_outcome']}")
        print(f"[{name}] activity change reaches all phones: {common.fmt_lat(r['fanout'])}; "
              f"frames missed {r['fanout_missing']}")
        print(f"[{name}] RSS {r['rss_before_mib']:.1f} MiB before, {r['rss_joined_mib']:.1f} MiB joined, "
              f"{r['rss_after_mib']:.1f} MiB after traffic: {r['rss_per_phone_kib']:.1f} KiB per phone")
        if r.get("errors"):
            print(f"[{name}] error frames: {r['errors']}")
        if "stored" in r:
            print(f"[{name}] stored after clean stop: {r['stored']} contributions; acks received: {r['acked']}; "
                  f"exit code {r['exit_code']}")
    if host and echo:
        ratio = host["acks_per_s"] / echo["acks_per_s"] if echo["acks_per_s"] else float("nan")
        print("\nheadline (host vs bare websockets echo, same run):")
        print(f"  acks/s: {host['acks_per_s']:.0f} vs {echo['acks_per_s']:.0f} → {ratio * 100:.0f}% of echo "
              f"(target ≥ 50%)")
        print(f"  submit→ack p99 at {opts.rate:g}/s: {host['steady']['p99_ms']:.1f} ms vs {echo['steady']['p99_ms']:.1f} ms "
              f"(target < 100 ms)")
        print(f"  activity change to all {host['joined']} phones, max: {host['fanout']['max_ms']:.1f} ms vs "
              f"{echo['fanout']['max_ms']:.1f} ms (target < 250 ms)")
        print(f"  memory per phone: {host['rss_per_phone_kib']:.1f} KiB vs {echo['rss_per_phone_kib']:.1f} KiB "
              f"(target < 64 KiB)")
    print(f"\nreproduce: {common.reproduce_line(argv)}")


def main(argv: list[str]) -> dict[str, dict]:
    opts = build_parser().parse_args(argv)
    apply_defaults(opts)
    common.raise_fd_limit()
    opts.host_cores, opts.load_cores = common.core_plan()
    common.pin(opts.load_cores)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="fk-bench-phones-") as tmp:
        for kind in ("host", "echo"):
            if opts.only and opts.only != kind:
                continue
            work = Path(tmp) / kind
            work.mkdir()
            results[kind] = run_target(kind, opts, opts.host_cores, opts.load_cores, work)
    report(results, opts, ["phones", *argv])
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))
    return results
