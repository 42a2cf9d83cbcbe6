"""Submit latency of the engine and store alone (no network): one participant, submissions
awaited one by one with a short pause between them, in process. It runs against any
checkout, also one from before the package layout (ad5e611), to tell the engine's part of
a latency from the websocket side's:

    .venv/bin/python bench/submit_latency.py [--submits 150] [--label now]
    (cd ../before && .venv/bin/python ../main/bench/submit_latency.py --label before)
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
import tempfile
import time
from pathlib import Path

try:
    from facilitation_kit.host.assembly import Host
except ImportError:  # a checkout from before the package layout
    from facilitation_kit.host import Host

AGENDA = ('title = "Latency"\nroles = ["Manager"]\n[[activity]]\nid = "a1"\nplugin = "open_question"\n'
          'auto_open = true\n')


async def run(submits: int, label: str) -> None:
    with tempfile.TemporaryDirectory(prefix="fk-bench-latency-") as tmp:
        agenda = Path(tmp) / "agenda.toml"
        agenda.write_text(AGENDA, encoding="utf-8")
        async with Host.start(agenda, data_dir=Path(tmp) / "data", host="127.0.0.1", port=0) as host:
            w = host.workshop
            joined = await w.join(name="p", role="Manager")
            pid = (joined[0] if isinstance(joined, tuple) else joined)["id"]
            times = []
            for k in range(submits):
                started = time.perf_counter()
                await w.submit(pid, f"c{k}", "a1", {"answer": f"idea {k}: more time to talk"})
                times.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.002)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(len(times) * q))]  # noqa: E731
    print(f"{label}: {submits} submissions one by one: p50 {pick(0.5):.2f} / p90 {pick(0.9):.2f} / "
          f"p99 {pick(0.99):.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submits", type=int, default=150)
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args()
    asyncio.run(run(args.submits, args.label))
    print("reproduce: .venv/bin/python bench/submit_latency.py " + " ".join(shlex.quote(a) for a in sys.argv[1:]))


if __name__ == "__main__":
    main()
