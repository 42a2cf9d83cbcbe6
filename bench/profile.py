"""Sampling profile of the host at saturation: ``py-spy record`` (from PyPI) attached to
``facilitation-kit serve --headless`` while the Node generator's phones submit closed loop.

    python -m bench profile [--clients 1000] [--seconds 6] [--loop asyncio|uvloop] [--top 25] [--raw FILE]

Prints the share of all samples (every thread) spent *in* each function (self) and
*under* it (inclusive, the functions named in --focus or the top ones), and the command
that reproduces it. ``--raw`` keeps py-spy's collapsed stacks (flame-graph input).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import common, loadgen

FOCUS = ("call_soon_threadsafe", "_write_to_self", "_checkpoint", "_write_checkpoint", "_commit",
         "_encode_line", "_check_json", "dumps", "loads", "broadcast", "send", "parse", "submit",
         "_settle", "apply_ops", "_run", "select", "fsync")


def _pyspy() -> str:
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(exe).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy (it is in the bench extra)")
    return exe


def summarise(raw: Path, top: int) -> list[str]:
    self_counts: collections.Counter[str] = collections.Counter()
    incl: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f.split(" (", 1)[0] for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        self_counts[frames[-1]] += n
        for name in set(frames):
            incl[name] += n
    out = [f"{total} samples"]
    out.append("self (time spent in the function itself):")
    for name, n in self_counts.most_common(top):
        out.append(f"  {n / total * 100:5.1f}%  {name}")
    out.append("inclusive (time under the function), selected:")
    for name, n in sorted(incl.items(), key=lambda kv: -kv[1]):
        if any(name == f or name.endswith(f) for f in FOCUS):
            out.append(f"  {n / total * 100:5.1f}%  {name}")
    return out


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench profile", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=6.0, help="sampling time (default 6)")
    parser.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--raw", type=Path, default=None, help="keep the collapsed stacks here")
    opts = parser.parse_args(argv)
    exe = _pyspy()
    loadgen.ensure_installed()
    host_cores, load_cores = common.core_plan()
    common.pin(load_cores)
    with tempfile.TemporaryDirectory(prefix="fk-bench-profile-") as tmp:
        work = Path(tmp)
        agenda = common.write_agenda(work / "agenda.toml", activities=2, cap=opts.clients + 10)
        server = common.start_host(work / "data", agenda=agenda, cores=host_cores,
                                   participant_cap=opts.clients + 10, env={"FACILITATION_KIT_LOOP": opts.loop})
        gen = loadgen.NodeLoad(1, load_cores)
        raw = opts.raw or work / "profile.txt"
        try:
            gen.join(f"ws://127.0.0.1:{server.port}/ws", server.info["room"], opts.clients, proto="host")
            # enough round trips to outlast the sampling; at most ~20/s per phone (limit: 30/s)
            trips = int(12 * (opts.seconds + 2))
            result: dict = {}

            def load() -> None:
                result["r"] = gen.call_all({"cmd": "closed", "trips": trips, "start_at": time.time() * 1000},
                                           timeout=opts.seconds * 20 + 120)
            t = threading.Thread(target=load, daemon=True)
            t.start()
            time.sleep(1.0)  # into saturation
            subprocess.run([exe, "record", "--pid", str(server.pid), "--duration", str(int(opts.seconds)),
                            "--rate", "200", "--format", "raw", "--threads", "--output", str(raw), "--nonblocking"],
                           check=True, capture_output=True, timeout=opts.seconds + 60)
            t.join(opts.seconds * 20 + 120)
            r = result.get("r") or []
            acks = sum(len(x["latency_ms"]) for x in r)
            span = (max(x["ended"] for x in r) - min(x["began"] for x in r)) / 1000 if r else float("nan")
        finally:
            gen.close()
            server.stop()
        print(f"machine: {common.machine()}")
        print(f"host loop: {common.loop_name(opts.loop)}; {opts.clients} phones closed loop; "
              f"{acks} acks in {span:.1f} s ({acks / span:,.0f}/s, py-spy attached, --nonblocking)")
        for line in summarise(raw, opts.top):
            print(line)
    print(f"reproduce: {common.reproduce_line(['profile', *argv])}")
