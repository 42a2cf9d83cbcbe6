"""Flood benchmark (issue 11, item 3): an honest phone's submit→ack latency with and
without one participant flooding at its rate limit with the costliest text we know.

The host runs as ``serve --headless`` pinned to its own core; the honest phone, the
newcomers and the flooder run here, on the other cores. Two runs of ``--seconds`` each:

1. quiet: the honest phone submits ``--rate`` times a second;
2. flood: the same, while the flooder sends a submit every 1/30 s (the host's sustained
   per-connection rate limit, so none is refused for rate) whose answer is a 16 KiB frame
   of combining marks in descending canonical order ("a" + 4,000 × U+0301 + 4,000 ×
   U+0316, sent as UTF-8 as a browser does). Canonical reordering of such a run is
   quadratic: unbounded, one frame cost about 100 ms of normalisation on the event loop.
   The host makes text stream-safe first (UAX #15: at most 30 marks in a row).

In both runs a newcomer joins once a second (connect → ``welcome``). Printed: the
honest phone's ack p50/p95/p99/max and the join times side by side, what the flooder
got back, and the command that reproduces it. Target: ack p99 < 100 ms under the flood.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect

from bench import common

AGENDA = """\
title = "Flood bench"
roles = ["Service user", "Manager"]

[[activity]]
id = "ideas"
plugin = "open_question"
title = "Ideas"
prompt = "Tell us"
auto_open = true
max_length = 5000
multiline = true
max_contributions = 100000
"""

WORST = "a" + "\u0301" * 4000 + "\u0316" * 4000  # 16,001 bytes of UTF-8
FLOOD_RATE = 30.0  # Limits.rate: frames per second, sustained


async def _reader(ws, pending: dict[str, asyncio.Future], counts: dict[str, int]) -> None:
    async for message in ws:
        frame = json.loads(message)
        kind = frame.get("type")
        key = kind if kind != "error" else f"error:{frame.get('code')}"
        counts[key] = counts.get(key, 0) + 1
        fut = pending.pop(frame.get("id"), None) if kind in ("ack", "error") else None
        if fut is not None and not fut.done():
            fut.set_result(frame)


async def _join(url: str, room: str) -> tuple[Any, dict, float]:
    started = time.perf_counter()
    ws = await connect(url, max_size=None, max_queue=None, open_timeout=30)
    await ws.send(json.dumps({"type": "hello", "room": room, "role": "Manager"}))
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
        if frame.get("type") in ("welcome", "error"):
            return ws, frame, time.perf_counter() - started


async def one_run(url: str, room: str, *, seconds: float, rate: float, flood: bool) -> dict[str, Any]:
    honest, welcome, _ = await _join(url, room)
    assert welcome["type"] == "welcome", welcome
    activity = welcome["activity"]["id"]
    pending: dict[str, asyncio.Future] = {}
    honest_counts: dict[str, int] = {}
    reader = asyncio.ensure_future(_reader(honest, pending, honest_counts))
    flooder_counts: dict[str, int] = {}
    tasks = []
    stop = time.perf_counter() + seconds
    sent_flood = 0
    if flood:
        flooder, fw, _ = await _join(url, room)
        assert fw["type"] == "welcome", fw
        tasks.append(asyncio.ensure_future(_reader(flooder, {}, flooder_counts)))

        async def flood_loop():
            nonlocal sent_flood
            start = time.perf_counter()
            while time.perf_counter() < stop:
                frame = {"type": "submit", "id": uuid.uuid4().hex, "activity": activity,
                         "data": {"answer": WORST}}
                await flooder.send(json.dumps(frame, ensure_ascii=False))
                sent_flood += 1
                await asyncio.sleep(max(0.0, start + sent_flood / FLOOD_RATE - time.perf_counter()))
        tasks.append(asyncio.ensure_future(flood_loop()))

    joins: list[float] = []

    async def newcomers():
        while time.perf_counter() < stop:
            ws, frame, took = await _join(url, room)
            if frame.get("type") == "welcome":
                joins.append(took)
            await ws.close()
            await asyncio.sleep(1.0)
    tasks.append(asyncio.ensure_future(newcomers()))

    latencies: list[float] = []
    start, n = time.perf_counter(), 0
    while time.perf_counter() < stop:
        cid = uuid.uuid4().hex
        fut = asyncio.get_running_loop().create_future()
        pending[cid] = fut
        sent = time.perf_counter()
        await honest.send(json.dumps({"type": "submit", "id": cid, "activity": activity,
                                      "data": {"answer": f"honest idea {n}"}}))
        reply = await asyncio.wait_for(fut, 30)
        if reply.get("type") == "ack":
            latencies.append(time.perf_counter() - sent)
        n += 1
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    reader.cancel()
    await honest.close()
    if flood:
        await flooder.close()
    return {"ack": common.latency_summary(latencies), "sent": n, "acked": len(latencies),
            "join": common.latency_summary(joins), "flood_sent": sent_flood, "flooder_got": flooder_counts}


def main(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench flood", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--seconds", type=float, default=None, help="length of each run (default 20; quick 4)")
    parser.add_argument("--rate", type=float, default=10.0, help="honest submissions per second (default 10)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    opts = parser.parse_args(argv)
    seconds = opts.seconds or (4.0 if opts.quick else 20.0)
    host_cores, load_cores = common.core_plan()
    common.pin(load_cores)
    with tempfile.TemporaryDirectory(prefix="fk-bench-flood-") as tmp:
        agenda = Path(tmp) / "flood.toml"
        agenda.write_text(AGENDA, encoding="utf-8")
        server = common.start_host(Path(tmp) / "data", agenda=agenda, cores=host_cores)
        try:
            url = f"ws://127.0.0.1:{server.port}/ws"
            room = server.info["room"]
            quiet = asyncio.run(one_run(url, room, seconds=seconds, rate=opts.rate, flood=False))
            flooded = asyncio.run(one_run(url, room, seconds=seconds, rate=opts.rate, flood=True))
        finally:
            server.stop()
    print(f"machine: {common.machine()}")
    print(f"pinning: host on cores {sorted(host_cores) if host_cores else 'unpinned'}, "
          f"clients on {sorted(load_cores) if load_cores else 'unpinned'}")
    print(f"honest phone: {opts.rate:g} submits/s for {seconds:g} s; flooder: {FLOOD_RATE:g} frames/s of "
          f"{len(WORST.encode())} bytes of combining marks")
    print(f"{'':<22} {'quiet':>12} {'flood':>12}")
    for label, key in (("ack p50", "p50_ms"), ("ack p95", "p95_ms"), ("ack p99", "p99_ms"), ("ack max", "max_ms")):
        print(f"{label:<22} {quiet['ack'][key]:>10.1f}ms {flooded['ack'][key]:>10.1f}ms")
    for label, key in (("join p50", "p50_ms"), ("join max", "max_ms")):
        print(f"{label:<22} {quiet['join'][key]:>10.1f}ms {flooded['join'][key]:>10.1f}ms")
    print(f"{'honest acks':<22} {quiet['acked']:>9}/{quiet['sent']:<2} {flooded['acked']:>9}/{flooded['sent']}")
    print(f"flooder sent {flooded['flood_sent']} frames; got back: "
          + ", ".join(f"{k} {v}" for k, v in sorted(flooded["flooder_got"].items())))
    p99 = flooded["ack"]["p99_ms"]
    print(f"headline: honest ack p99 {p99:.1f} ms under the flood vs {quiet['ack']['p99_ms']:.1f} ms quiet "
          f"(target < 100 ms: {'met' if p99 < 100 else 'NOT met'})")
    print(f"reproduce: {common.reproduce_line(['flood', *argv])}")
    result = {"quiet": quiet, "flood": flooded, "seconds": seconds, "rate": opts.rate}
    if opts.json:
        opts.json.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
