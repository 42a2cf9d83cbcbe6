"""Where the CPU of one durable ack goes: ``Workshop.submit`` without the network,
under cProfile, 200 submissions at a time (group commit as under load).

    python -m bench.profile_submit [--submits 4000] [--top 20]

Prints CPU per submission (main thread and writer thread together: process time) and
the functions with the most time of their own in the event-loop thread.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from bench import common


async def run(submits: int, top: int) -> None:
    from facilitation_kit.host.assembly import Host

    with tempfile.TemporaryDirectory(prefix="fk-bench-profile-") as tmp:
        agenda = common.write_agenda(Path(tmp) / "agenda.toml", activities=2)
        async with Host.start(agenda, data_dir=Path(tmp) / "data", host="127.0.0.1", port=0) as host:
            w = host.workshop
            pids = [(await w.join(name=f"p{i}", role="Manager"))[0]["id"] for i in range(200)]

            async def burst(base: int) -> None:
                await asyncio.gather(*(w.submit(pids[k % 200], f"c{k}", "a1",
                                                {"answer": f"idea {k}: more time to talk"})
                                       for k in range(base, base + 200)))
            await burst(0)  # warm-up: forms built, threads started
            rounds = max(1, submits // 200)
            profile = cProfile.Profile()
            cpu, wall = time.process_time(), time.perf_counter()
            profile.enable()
            for r in range(1, rounds + 1):
                await burst(r * 200)
            profile.disable()
            n = rounds * 200
            print(f"machine: {common.machine()}")
            print(f"{n} submissions: CPU {(time.process_time() - cpu) / n * 1e6:.0f} µs each "
                  f"(process time, all threads), wall {(time.perf_counter() - wall) / n * 1e6:.0f} µs each")
            pstats.Stats(profile).sort_stats("tottime").print_stats(top)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_submit", description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=4000)
    parser.add_argument("--top", type=int, default=20)
    opts = parser.parse_args(argv)
    asyncio.run(run(opts.submits, opts.top))
    print(f"reproduce: .venv/bin/python -m bench.profile_submit --submits {opts.submits} --top {opts.top}")


if __name__ == "__main__":
    main()
