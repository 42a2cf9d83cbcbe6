"""Growth benchmark: does a durable ack get slower as a session fills up, and how long
does resuming a big session take?

For each size S (default 0, 10,000 and 50,000 stored contributions):

1. build: a session with S contributions from 500 participants, written through the
   engine (``Workshop.submit``, the same validation and durable group commit as a
   phone's submission, without the network); the build rate is reported too;
2. resume: ``facilitation-kit serve --headless --resume ID`` as a subprocess pinned to
   its own core; resume time = process start → listening (info file written), which
   includes the interpreter start-up (the S = 0 row shows that fixed part);
3. ack cost: one phone joins and submits ``--acks`` contributions one after another
   (each waits for its ack: written and fsynced) after ``--warmup`` unmeasured ones;
4. check: the host is stopped cleanly and the session read back: S + acks stored.

Also timed in-process: loading the store alone (``Store.open``: checkpoint + journal
replay + folding into a fresh checkpoint) and one checkpoint write at size S — the
writer thread writes one every 20,000 journal operations, and acks queued meanwhile
wait for it.

The baseline, in the same run: the bare echo (bench/echo_server.py) pinned to the host's
core for the whole run. In step 3 a second phone (the same client) sends the same frames
to it at the same rate, each 20 ms after the host's ack; during the checkpoint hold the
Node generator (bench/node) sends to it at the same 200/s over the same seconds, and its
round trips within the checkpoint's window are printed beside the acks of that window.
Resume has no echo equivalent, and the output says so. Each figure is printed with the
echo's beside it, then one table of them all (bench/figures.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import common, loadgen
from bench.figures import Row, met, ms, table

PARTICIPANTS = 500


async def build(data_dir: Path, agenda: Path, size: int) -> tuple[str, float]:
    """A session with ``size`` stored contributions; returns (session id, build seconds)."""
    from facilitation_kit.host.assembly import Host

    async with Host.start(agenda, data_dir=data_dir, host="127.0.0.1", port=0) as host:
        w = host.workshop
        pids = []
        for i in range(min(PARTICIPANTS, max(1, size))):
            doc, _, _ = await w.join(name=f"p{i}", role="Service user")
            pids.append(doc["id"])
        started = time.monotonic()
        chunk = 1000
        for base in range(0, size, chunk):
            await asyncio.gather(*(
                w.submit(pids[k % len(pids)], f"pre-{k}", "a1",
                         {"answer": f"Stored idea {k}: a named worker who knows the family's story."})
                for k in range(base, min(size, base + chunk))))
        return host.session_id, time.monotonic() - started


async def _phone(port: int, room: str):
    """One phone joined (the host's ``welcome``; the echo sends the ``hello`` back)."""
    from websockets.asyncio.client import connect

    ws = await connect(f"ws://127.0.0.1:{port}/ws", compression=None, max_size=None)
    await ws.send(json.dumps({"type": "hello", "room": room, "name": "bench", "role": "Manager",
                              "lang": "en", "token": None}))
    welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
    assert welcome["type"] in ("welcome", "hello"), welcome
    return ws, (welcome.get("activity") or {}).get("id", "a1")


async def _one(ws, activity: str, cid: str, text: str) -> float:
    sent = time.monotonic()
    await ws.send(json.dumps({"type": "submit", "id": cid, "activity": activity, "data": {"answer": text}}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("id") == cid:
            break
    if frame["type"] not in ("ack", "submit"):  # the echo sends the submit back
        raise RuntimeError(f"submission refused: {frame}")
    return time.monotonic() - sent


async def ack_costs(port: int, room: str, warmup: int, count: int,
                    echo_port: int | None = None) -> tuple[list[float], list[float]]:
    """One phone submits ``warmup + count`` one after another, one every 40 ms (below
    the per-connection rate limit of 30/s), each waiting for its durable ack. With
    ``echo_port``, a phone of the echo sends the same frames at the same rate, each
    20 ms after the host's (the two never overlap, and whatever else loads the
    machine weighs on both alike). Returns (host seconds, echo seconds)."""
    host, activity = await _phone(port, room)
    echo = (await _phone(echo_port, "ECHO"))[0] if echo_port else None
    out: list[float] = []
    echo_out: list[float] = []
    try:
        for i in range(warmup + count):
            slot = time.monotonic()
            text = f"Measured idea {i}"
            lat = await _one(host, activity, f"bench-{i}", text)
            if i >= warmup:
                out.append(lat)
            if echo is not None:
                await asyncio.sleep(max(0.0, 0.02 - (time.monotonic() - slot)))
                lat = await _one(echo, activity, f"bench-{i}", text)
                if i >= warmup:
                    echo_out.append(lat)
            await asyncio.sleep(max(0.0, 0.04 - (time.monotonic() - slot)))
    finally:
        await host.close()
        if echo is not None:
            await echo.close()
    return out, echo_out


async def checkpoint_hold(data_dir: Path, sid: str, seconds: float = 3.0, rate: float = 200.0,
                          echo: "EchoRate | None" = None) -> dict[str, Any]:
    """Resume in-process, submit at ``rate`` per second through the engine (each waits
    for its durable write), and force a checkpoint a second in: the ack latencies while
    it is written on its own thread, against the checkpoint's own duration. With
    ``echo``, the echo's round trips at the same rate over the same seconds."""
    import gc

    from facilitation_kit.host.assembly import Host
    from facilitation_kit.host.memory import settle_after_start

    async with Host.start(None, data_dir=data_dir, resume=sid, host="127.0.0.1", port=0) as host:
        w, store = host.workshop, host.store
        store.wait_checkpoint(60)  # the fold of resume, first
        # the garbage collector's policy of `serve` after its start (host/memory.py): without
        # it, this process's full collections (tens of thousands of rows just loaded) fell
        # into the window and were counted as the checkpoint's
        policy = settle_after_start()
        pids = [(await w.join(name=f"h{i}", role="Manager"))[0]["id"] for i in range(50)]
        lat: list[tuple[float, float]] = []
        window: list[float] = []

        async def one(k: int) -> None:
            t0 = time.monotonic()
            await w.submit(pids[k % 50], f"hold-{k}", "a1", {"answer": f"Idea {k} during a checkpoint"})
            lat.append((t0, time.monotonic() - t0))

        tasks = []
        wall: list[float] = []
        if echo is not None:
            echo.start(rate, seconds + 0.2)
        started = time.monotonic()
        for k in range(int(seconds * rate)):
            due = started + k / rate
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            if k == int(rate) and not window:
                window.append(time.monotonic())
                wall.append(time.time() * 1000)
                store.compact()
            tasks.append(asyncio.ensure_future(one(k)))
        await asyncio.gather(*tasks)
        await asyncio.get_running_loop().run_in_executor(None, store.wait_checkpoint, 60)
        took = store.last_checkpoint_s
        during = [l for t, l in lat if window and window[0] - 0.05 <= t <= window[0] + took + 0.05]
        out = {"checkpoint_s": took, "ack_during": common.latency_summary(during),
               "ack_all": common.latency_summary([l for _, l in lat]),
               "rows": sum(map(len, store._mirror.values()))}
        policy.uninstall()  # the next size starts as this one did
        gc.unfreeze()
    if echo is not None:
        pairs = echo.result()
        lo, hi = (wall[0] - 50, wall[0] + took * 1000 + 50) if wall else (0, -1)
        out["echo_during"] = common.latency_summary([x / 1000 for at, x in pairs if lo <= at <= hi])
        out["echo_all"] = common.latency_summary([x / 1000 for _, x in pairs])
    return out


class EchoRate:
    """Round trips to the bare echo at a steady rate from the Node generator (another
    process, so that the in-process host's work on this event loop does not delay
    them), started in a thread beside the checkpoint-hold phase: the same rate over the
    same wall-clock window."""

    def __init__(self, gen):
        self.gen = gen
        self.thread: threading.Thread | None = None
        self.replies: list[dict[str, Any]] = []
        self.error: BaseException | None = None

    def start(self, rate: float, seconds: float) -> None:
        msg = {"cmd": "rate", "rate": rate, "seconds": seconds, "start_at": time.time() * 1000}

        def run() -> None:
            try:
                self.replies = self.gen.call_all(msg, seconds + 60)
            except BaseException as exc:  # re-raised in result()
                self.error = exc
        self.thread = threading.Thread(target=run, name="bench-echo-rate", daemon=True)
        self.thread.start()

    def result(self) -> list[tuple[float, float]]:
        """(wall-clock ms sent, ms) of every round trip."""
        assert self.thread is not None
        self.thread.join(120)
        if self.error is not None:
            raise self.error
        return [(at, x) for r in self.replies for at, x in zip(r["sent_at"], r["latency_ms"])]


def one_size(size: int, opts, work: Path, echo_port: int | None = None,
             echo_rate: EchoRate | None = None) -> dict[str, Any]:
    from facilitation_kit.host import store as store_mod

    agenda = common.write_agenda(work / "agenda.toml", activities=2)
    data_dir = work / "data"
    sid, build_s = asyncio.run(build(data_dir, agenda, size))
    result: dict[str, Any] = {"size": size, "build_s": build_s,
                              "build_rate": size / build_s if size and build_s else float("nan")}
    # one phone sends all the measured acks: above the default 200 per participant and activity
    server = common.start_host(data_dir, resume=sid, cores=opts.host_cores,
                               extra=["--max-contributions", str(opts.warmup + opts.acks + 10)])
    try:
        result["resume_s"] = server.started_in
        lat, echo_lat = asyncio.run(ack_costs(server.port, server.info["room"], opts.warmup, opts.acks,
                                              echo_port))
        result["ack"] = common.latency_summary(lat)
        result["echo_rt"] = common.latency_summary(echo_lat)
        result["rss_mib"] = common.rss_bytes(server.pid) / 2**20
    finally:
        result["exit_code"] = server.stop()
    tables, _ = store_mod.read_session(data_dir, sid)
    result["stored"] = sum(1 for c in tables["contributions"].values() if not c.get("withdrawn"))
    result["expected"] = size + opts.warmup + opts.acks
    result["hold"] = asyncio.run(checkpoint_hold(data_dir, sid, echo=echo_rate))
    started = time.monotonic()
    store = store_mod.Store.open(data_dir, sid)
    result["store_open_s"] = time.monotonic() - started
    paths = store.paths
    store.close()
    started = time.monotonic()
    store_mod._write_checkpoint(work / "checkpoint-timing.json", tables, 1)
    result["checkpoint_s"] = time.monotonic() - started
    result["checkpoint_mib"] = (work / "checkpoint-timing.json").stat().st_size / 2**20
    result["session_file_mib"] = paths["checkpoint"].stat().st_size / 2**20
    return result


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench growth", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes 0, 500 and 2,000; 30 acks each")
    parser.add_argument("--sizes", default=None, help="comma-separated stored counts (default 0,10000,50000)")
    parser.add_argument("--acks", type=int, default=None, help="measured sequential acks per size (default 300)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured acks first (default 20)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    return parser


def figures(results: list[dict[str, Any]], argv) -> list[Row]:
    """Every figure of the run beside the echo's of the same run, its target and whether
    it is met. Resume has no echo equivalent (an echo has no session to load)."""
    cmd = common.reproduce_line(argv)
    b, rows = "growth", []
    base, top = results[0], results[-1]
    for r in results:
        a, e = r["ack"], r["echo_rt"]
        rows.append(Row(b, f"ack p50 / p99 at {r['size']:,} stored, 25/s one by one",
                        f"{a['p50_ms']:.2f} / {a['p99_ms']:.2f} ms", f"{e['p50_ms']:.2f} / {e['p99_ms']:.2f} ms",
                        "—", "—", cmd))
    if len(results) > 1 and base["ack"]["p50_ms"] > 0:
        ratio = top["ack"]["p50_ms"] / base["ack"]["p50_ms"]
        echo_ratio = top["echo_rt"]["p50_ms"] / base["echo_rt"]["p50_ms"] if base["echo_rt"]["p50_ms"] else float("nan")
        rows.append(Row(b, f"ack p50 at {top['size']:,} / at {base['size']:,} stored", f"{ratio:.2f}x",
                        f"{echo_ratio:.2f}x (same phases)", "within 2x", met(ratio <= 2), cmd))
    for r in results:
        h = r["hold"]
        d, e = h["ack_during"], h.get("echo_during")
        rows.append(Row(b, f"acks at 200/s while a checkpoint of {h['rows']:,} rows is written "
                        f"({h['checkpoint_s'] * 1000:.0f} ms): p99 / max",
                        f"{d['p99_ms']:.1f} / {d['max_ms']:.1f} ms (n={d['n']})",
                        f"{e['p99_ms']:.1f} / {e['max_ms']:.1f} ms (n={e['n']})" if e else "—",
                        "none > 50 ms", met(d["max_ms"] <= 50), cmd))
    rows.append(Row(b, f"resume of {top['size']:,} (process start → listening)", f"{top['resume_s']:.2f} s",
                    "no echo equivalent (nothing to load)", "< 1 s", met(top["resume_s"] < 1), cmd))
    ok = all(r["stored"] == r["expected"] for r in results)
    rows.append(Row(b, "stored after the run = before + acks", "yes" if ok else "MISMATCH", "—", "equal", met(ok), cmd))
    return rows


def report(results: list[dict[str, Any]], opts, load_cores, argv) -> None:
    print(f"machine: {common.machine()}")
    print(f"pinning: host and echo on cores {sorted(opts.host_cores) if opts.host_cores else 'unpinned'}, "
          f"clients on {sorted(load_cores) if load_cores else 'unpinned'}")
    print("echo: bench/echo_server.py, up for the whole run; its round trips are measured in the same phases: "
          "one echo phone sends the same frames at the same rate, each 20 ms after the host's ack (same Python "
          "client); during each checkpoint hold, the Node generator sends to it at 200/s (same rate, same seconds)")
    print(f"{'stored':>8}  {'ack p50':>8} {'p95':>7} {'p99':>7} {'max':>7}  {'echo p50':>8} {'p99':>7}  "
          f"{'resume':>8}  {'Store.open':>10}  {'checkpoint':>10}  {'file':>8}  {'built at':>10}  stored after run")
    for r in results:
        a, e = r["ack"], r["echo_rt"]
        print(f"{r['size']:>8}  {a['p50_ms']:>6.2f}ms {a['p95_ms']:>5.2f}ms {a['p99_ms']:>5.2f}ms {a['max_ms']:>5.1f}ms  "
              f"{e['p50_ms']:>6.2f}ms {e['p99_ms']:>5.2f}ms  "
              f"{r['resume_s']:>7.2f}s  {r['store_open_s']:>9.3f}s  {r['checkpoint_s']:>9.3f}s  "
              f"{r['session_file_mib']:>6.1f}MiB  {r['build_rate']:>7.0f}/s  "
              f"{r['stored']} (expected {r['expected']}{', OK' if r['stored'] == r['expected'] else ', MISMATCH'})")
    base, top = results[0], results[-1]
    if base["ack"]["p50_ms"] > 0 and len(results) > 1:
        print(f"ack p50 at {top['size']} stored vs {base['size']}: {top['ack']['p50_ms'] / base['ack']['p50_ms']:.2f}x "
              f"(p99 {top['ack']['p99_ms'] / base['ack']['p99_ms']:.2f}x; target: flat within 2x); echo round trip "
              f"in the same phases: p50 {top['echo_rt']['p50_ms']:.2f} against {base['echo_rt']['p50_ms']:.2f} ms")
        print(f"resume of {top['size']} contributions: {top['resume_s']:.2f} s "
              f"({top['resume_s'] - base['resume_s']:+.2f} s over an empty session's start-up; target < 1 s); "
              "no echo equivalent: an echo has no session to load")
    for r in results:
        h = r["hold"]
        print(f"checkpoint at {h['rows']} rows: written in {h['checkpoint_s'] * 1000:.0f} ms on its own thread; "
              f"acks at 200/s meanwhile: {common.fmt_lat(h['ack_during'])} (target: none held > 50 ms); "
              f"all acks of the run p99 {h['ack_all']['p99_ms']:.1f} ms")
        if "echo_during" in h:
            print(f"    echo at 200/s over the same window: {common.fmt_lat(h['echo_during'])}; "
                  f"all of its round trips p99 {h['echo_all']['p99_ms']:.1f} ms")
    print()
    table(figures(results, argv), "growth, host beside the echo of the same run:", commands=False)
    print(f"reproduce: {common.reproduce_line(argv)}")


def main(argv: list[str]) -> list[dict[str, Any]]:
    opts = build_parser().parse_args(argv)
    sizes = [int(s) for s in (opts.sizes or ("0,500,2000" if opts.quick else "0,10000,50000")).split(",")]
    opts.acks = opts.acks or (30 if opts.quick else 300)
    opts.host_cores, load_cores = common.core_plan()
    common.pin(load_cores)
    loadgen.ensure_installed()
    results = []
    with tempfile.TemporaryDirectory(prefix="fk-bench-growth-") as tmp:
        echo = common.start_echo(Path(tmp) / "echo", cores=opts.host_cores)
        gen = loadgen.NodeLoad(1, load_cores)
        try:
            gen.join(f"ws://127.0.0.1:{echo.port}/ws", "ECHO", 50, proto="echo")
            for size in sizes:
                work = Path(tmp) / str(size)
                work.mkdir()
                results.append(one_size(size, opts, work, echo.port, EchoRate(gen)))
        finally:
            gen.close()
            echo.stop()
    report(results, opts, load_cores, ["growth", *argv])
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))
    return results
