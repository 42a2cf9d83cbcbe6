"""TUI lag benchmark: is the facilitator's app still responsive under load?

    .venv/bin/python bench/tui_lag.py [--quick] [--mode both|in-process|child]
        [--phones 200] [--rate 50] [--seconds 20] [--preload 5000] [--key-gap 0.075]
        [--tree CHECKOUT] [--pin none|host-alone|phones-alone]

Up to four runs in one process, one after the other, with the same load:

* ``headless``: the host alone on the event loop (the baseline);
* ``tui`` (``--mode in-process``): the same host inside the Textual app (headless
  driver, 120x40), on the Activity tab with ``--preload`` contributions already in the table;
* ``child`` (``--mode child``): the app as ``facilitation-kit run`` starts it by default,
  the host in a child process and the app its facilitator-channel client, same screen;
* ``channel`` (with ``child``): the same child host and the same facilitator-channel
  client (:class:`~facilitation_kit.tui.client.RemoteHost`, which follows every
  operation), but no app. Against ``child`` it separates what the app costs the host
  (the channel's work) from what it costs the machine (the app's own CPU, on the cores
  the host and the phones also use).

``--mode both`` (the default) runs all four.

In each run ``--preload`` contributions are stored first (in-process, 200 at a time;
for ``child`` into a session that the child process then resumes),
then a separate load process (so the clients do not share the loop being measured)
joins ``--phones`` real websocket phones and submits ``--rate`` contributions per
second in total for ``--seconds``. Meanwhile this process measures

* event-loop lag: how late a 10 ms ``asyncio.sleep`` ticker wakes (p50/p99/max) on this
  process's loop (in the ``child`` run that is the app's loop, not the host's);
* key-to-repaint (tui only): from posting a cursor key to the contribution table until
  the frame showing the moved cursor has been composed *and* turned into terminal output
  (the headless driver skips the second step, so this script does it). The next key
  comes a random gap (0.4-1.6 x ``--key-gap``) after that repaint, so the keys fall at
  any phase of the app's own work: about 130 keys in 10 s; a key with no repaint
  within 5 s is counted, not dropped;
* submit-to-ack latency as the phones saw it (from the load process);
* the CPU the host's process and this process used while the load ran, as a share of
  one core (``child`` and ``channel``: the host is a process of its own).

``--tree CHECKOUT`` runs the app (and its child host) from another checkout of the kit,
e.g. ``git archive <commit> facilitation_kit bench plugins | tar -x -C /tmp/before``,
with this script's own measurement: alternate runs with and without it to compare
before and after in one session.

It prints the figures, the machine, its load average and the command that reproduces them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if os.environ.get("FK_BENCH_TREE"):  # --tree: the kit (app, host, phones) from that checkout
    sys.path.insert(0, os.environ["FK_BENCH_TREE"])

from bench.common import START_CORES, core_plan, cpu_seconds, machine, percentile, pin, unpin  # noqa: E402

LOAD = ("127.0.0.1",)  # every simulated phone comes from here: exempt from the per-address limits

AGENDA = """\
title = "TUI lag benchmark"
roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]

[[activity]]
id = "wall"
plugin = "open_question"
title = "A busy wall"
prompt = "Say anything"
notes = "Benchmark"
"""


def summary(values_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in values_s]
    return {"n": len(ms), "p50": percentile(ms, 50), "p99": percentile(ms, 99),
            "max": max(ms) if ms else float("nan")}


def fmt(s: dict[str, float]) -> str:
    return f"p50 {s['p50']:7.1f}  p99 {s['p99']:7.1f}  max {s['max']:7.1f} ms  (n={s['n']})"


# -- the load process --------------------------------------------------------------
async def load_main(url: str, room: str, phones: int, rate: float, seconds: float) -> None:
    from facilitation_kit.testing import Phone

    roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]
    clients: list[Phone] = []
    for i in range(0, phones, 50):
        batch = await asyncio.gather(*(Phone.connect(url, room) for _ in range(min(50, phones - i))))
        await asyncio.gather(*(p.hello(role=roles[(i + j) % len(roles)]) for j, p in enumerate(batch)))
        clients += batch
    activity = clients[0].activity["id"]
    latencies: list[float] = []
    errors = 0
    interval = 1.0 / rate
    start = time.perf_counter()
    sent = 0
    tasks = set()

    async def one(phone: Phone, n: int) -> None:
        nonlocal errors
        t0 = time.perf_counter()
        reply = await phone.submit({"answer": f"contribution {n} from a phone [b]{n}[/b]"}, activity=activity)
        if reply.get("type") == "ack":
            latencies.append(time.perf_counter() - t0)
        else:
            errors += 1

    busy: set[int] = set()
    while time.perf_counter() - start < seconds:
        target = start + sent * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        index = sent % len(clients)
        if index not in busy:  # a phone sends its next one after the last was acked
            busy.add(index)
            task = asyncio.ensure_future(one(clients[index], sent))
            task.add_done_callback(lambda _t, i=index: busy.discard(i))
            tasks.add(task)
        sent += 1
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - start
    for p in clients:
        await p.close()
    print(json.dumps({"acks": len(latencies), "errors": errors, "elapsed": elapsed,
                      "ack": summary(latencies)}), flush=True)


# -- where each process runs (--pin) ---------------------------------------------------


def placement(how: str) -> dict[str, set[int] | None]:
    """The cores of the host, of the app (this process) and of the phones (the load
    process) for ``--pin``: ``none`` leaves it to the kernel; ``host-alone`` gives the
    host the first core and the app and the phones the others; ``phones-alone`` gives
    the phones the other cores and the host and the app the first. With the host in this
    process (the headless and in-process runs) this process goes where the host goes."""
    host, rest = core_plan()
    if how == "none" or host is None:
        return {"host": START_CORES, "app": START_CORES, "phones": START_CORES}
    if how == "host-alone":
        return {"host": host, "app": rest, "phones": rest}
    return {"host": host, "app": host, "phones": rest}


def pin_process(pid: int, cores: set[int] | None) -> None:
    """Every thread of a running process onto ``cores`` (affinity is per thread)."""
    if not cores:
        return
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            os.sched_setaffinity(int(tid), cores)
        except OSError:  # a thread that ended meanwhile
            pass


# -- the measuring process ---------------------------------------------------------
class Ticker:
    def __init__(self, period: float = 0.010):
        self.period = period
        self.lags: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            t0 = time.perf_counter()
            await asyncio.sleep(self.period)
            self.lags.append(max(0.0, time.perf_counter() - t0 - self.period))

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        self._task.cancel()
        try:
            await self._task
        except asyncio.CancelledError:
            pass


async def preload(workshop, count: int, participants: int) -> None:
    await workshop.open()
    pids = []
    for i in range(participants):
        doc, _token, _ = await workshop.join(role=list(workshop.agenda.roles)[i % len(workshop.agenda.roles)])
        pids.append(doc["id"])
    for start in range(0, count, 200):
        await asyncio.gather(*(workshop.submit(pids[n % len(pids)], str(uuid.uuid4()), "wall",
                                               {"answer": f"preloaded contribution {n}"})
                               for n in range(start, min(count, start + 200))))


async def run_load(host, opts) -> dict[str, Any]:
    """The load process's figures, with the CPU this process and (when the host is a
    process of its own) the host used meanwhile, each as a share of one core."""
    host_pid = getattr(host, "pid", None)
    wall, own = time.perf_counter(), time.process_time()
    host_cpu = cpu_seconds(host_pid) if host_pid else None
    phones = opts.where["phones"]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).resolve()), "--load", f"ws://127.0.0.1:{host.port}/ws", host.room,
        str(opts.phones), str(opts.rate), str(opts.seconds),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=str(ROOT))
    pin_process(proc.pid, phones)  # while it starts: the threads it makes later inherit it
    out, err = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"load process failed: {err.decode()[-2000:]}")
    load = json.loads(out.decode().strip().splitlines()[-1])
    wall = time.perf_counter() - wall
    load["cpu"] = {"this": (time.process_time() - own) / wall,
                   "host": (cpu_seconds(host_pid) - host_cpu) / wall if host_pid else None}
    return load


async def run_headless(opts, work: Path) -> dict[str, Any]:
    from facilitation_kit.host.assembly import Host

    pin(opts.where["host"])  # the host is this process
    agenda = work / "agenda.toml"
    agenda.write_text(AGENDA)
    host = Host(agenda, data_dir=work / "headless", host="127.0.0.1", port=0, trusted_addresses=LOAD)
    await host.open()
    try:
        await preload(host.workshop, opts.preload, opts.phones)
        ticker = Ticker()
        ticker.start()
        load = await run_load(host, opts)
        await ticker.stop()
    finally:
        await host.close()
    return {"lag": summary(ticker.lags), "load": load}


async def preload_session(opts, work: Path, name: str = "child") -> str:
    """A session with the preloaded contributions, for a child process to resume."""
    from facilitation_kit.host.assembly import Host

    host = Host(work / "agenda.toml", data_dir=work / name, host="127.0.0.1", port=0, trusted_addresses=LOAD)
    await host.open()
    try:
        await preload(host.workshop, opts.preload, opts.phones)
        return host.session_id
    finally:
        await host.close()


async def run_channel(opts, work: Path) -> dict[str, Any]:
    """The child host with the app's facilitator-channel client following it, no app."""
    from facilitation_kit.tui.client import RemoteHost

    session = await preload_session(opts, work, "channel")
    where = opts.where
    pin(where["app"])
    host = RemoteHost(None, data_dir=work / "channel", host="127.0.0.1", port=0, trusted_addresses=LOAD,
                      resume=session)
    await host.open()
    try:
        pin_process(host.pid, where["host"])
        ticker = Ticker()
        ticker.start()
        load = await run_load(host, opts)
        await ticker.stop()
        deadline = time.monotonic() + 5  # the last operations may still be on their way
        while len(host.workshop.contributions("wall")) < opts.preload + load["acks"] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        rows = len(host.workshop.contributions("wall"))
    finally:
        await host.close()
    return {"lag": summary(ticker.lags), "load": load, "rows": rows}


async def run_tui(opts, work: Path, child: bool = False) -> dict[str, Any]:
    from textual import events
    from textual._compositor import CompositorUpdate

    from facilitation_kit.host.memory import settle_after_start
    from facilitation_kit.tui.app import make_app
    from facilitation_kit.tui.widgets.activity import ContributionTable

    agenda = work / "agenda.toml"
    agenda.write_text(AGENDA)
    where = opts.where
    pin(where["app"] if child else where["host"])
    if child:
        session = await preload_session(opts, work)
        app = make_app(None, data_dir=work / "child", host="127.0.0.1", port=0, trusted_addresses=LOAD, resume=session,
                       child_process=True)
    else:
        app = make_app(agenda, data_dir=work / "tui", host="127.0.0.1", port=0, trusted_addresses=LOAD)
    repaints: list[float] = []
    frame_costs: list[float] = []
    waiting: dict[str, Any] = {}
    original = app._display

    def display(screen, renderable):
        if renderable is not None and isinstance(renderable, CompositorUpdate):
            t0 = time.perf_counter()
            renderable.render_segments(app.console)  # what a real terminal driver would do
            frame_costs.append(time.perf_counter() - t0)
            table = waiting.get("table")
            if table is not None and table.cursor_row != waiting["before"]:
                repaints.append(time.perf_counter() - waiting["t0"])
                waiting.pop("done").set()
                waiting.clear()
        return original(screen, renderable)

    app._display = display
    settle_after_start()  # as run_app does before the app runs
    async with app.run_test(size=(120, 40)) as pilot:
        while app.main is None or app.main.workshop is None:
            await asyncio.sleep(0.05)
        host = app.workshop_host
        if child:
            pin_process(host.pid, where["host"])
        else:
            await preload(host.workshop, opts.preload, opts.phones)
        await pilot.press("3")
        table = app.main.query_one(ContributionTable)
        while table.row_count < opts.preload:
            await asyncio.sleep(0.1)
        table.focus()
        table.move_cursor(row=table.row_count // 2)
        await pilot.pause()
        ticker = Ticker()
        ticker.start()
        load_task = asyncio.ensure_future(run_load(host, opts))
        direction = "down"
        missing = 0
        rng = random.Random(16)
        while not load_task.done():
            # a random gap (mean opts.key_gap): the keys fall at any phase of the app's
            # own work (the flushes of new rows), not in step with it
            await asyncio.sleep(rng.uniform(0.4, 1.6) * opts.key_gap)
            if load_task.done():
                break
            done = asyncio.Event()
            waiting.update(table=table, before=table.cursor_row, t0=time.perf_counter(), done=done)
            app.post_message(events.Key(direction, None))
            direction = "up" if direction == "down" else "down"
            try:  # the next key only after this one's repaint
                await asyncio.wait_for(done.wait(), 5.0)
            except asyncio.TimeoutError:
                waiting.clear()
                missing += 1  # no repaint within 5 s
        load = await load_task
        await ticker.stop()
        deadline = time.monotonic() + 5  # the last events may still be on their way to the table
        while table.row_count < opts.preload + load["acks"] and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        rows = table.row_count
    return {"lag": summary(ticker.lags), "load": load, "key": summary(repaints), "missing": missing,
            "frame": summary(frame_costs), "rows": rows}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/tui_lag.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="a few seconds: a CI smoke run")
    p.add_argument("--mode", choices=["both", "in-process", "child"], default="both",
                   help="where the TUI's host runs: in the app's process, in a child process, or both runs "
                        "(default both); the headless baseline always runs")
    p.add_argument("--phones", type=int, default=None, help="websocket phones (default 200; quick 40)")
    p.add_argument("--rate", type=float, default=50.0, help="contributions per second in total (default 50)")
    p.add_argument("--seconds", type=float, default=None, help="load duration (default 20; quick 4)")
    p.add_argument("--key-gap", type=float, default=0.075,
                   help="mean seconds between a key's repaint and the next key (random, 0.4-1.6x; default 0.075)")
    p.add_argument("--tree", type=Path, default=None, metavar="CHECKOUT",
                   help="run the app (and its child host) from another checkout of the kit, e.g. an older "
                        "commit, to compare with it in the same session")
    p.add_argument("--preload", type=int, default=None, help="contributions on screen first (default 5000; quick 500)")
    p.add_argument("--pin", choices=["none", "host-alone", "phones-alone"], default="none",
                   help="cores: none (default: the kernel's choice, as on a laptop); host-alone (the host on the "
                        "first core, the app and the phones on the others); phones-alone (the phones on the others, "
                        "the host and the app on the first)")
    p.add_argument("--load", nargs=5, metavar=("URL", "ROOM", "PHONES", "RATE", "SECONDS"), help=argparse.SUPPRESS)
    return p


def main(argv: list[str]) -> dict[str, Any] | None:
    opts = build_parser().parse_args(argv)
    if opts.load:
        url, room, phones, rate, seconds = opts.load
        asyncio.run(load_main(url, room, int(phones), float(rate), float(seconds)))
        return None
    if opts.tree is not None and os.environ.get("FK_BENCH_TREE") != str(opts.tree.resolve()):
        # start again with that checkout first on the path (this process has the kit imported)
        tree = str(opts.tree.resolve())
        env = {**os.environ, "FK_BENCH_TREE": tree,
               "PYTHONPATH": os.pathsep.join(p for p in (tree, os.environ.get("PYTHONPATH")) if p)}
        sys.stdout.flush()
        os.execve(sys.executable, [sys.executable, str(Path(__file__).resolve()), *argv], env)
    opts.phones = opts.phones or (40 if opts.quick else 200)
    opts.seconds = opts.seconds or (4.0 if opts.quick else 20.0)
    opts.preload = opts.preload if opts.preload is not None else (500 if opts.quick else 5000)
    opts.where = placement(opts.pin)
    import logging
    logging.disable(logging.WARNING)
    load_at_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="fk-tui-lag-") as tmp:
        work = Path(tmp)
        results["headless"] = asyncio.run(run_headless(opts, work))
        if opts.mode in ("both", "in-process"):
            results["tui"] = asyncio.run(run_tui(opts, work))
        if opts.mode in ("both", "child"):
            results["channel"] = asyncio.run(run_channel(opts, work))
            results["child"] = asyncio.run(run_tui(opts, work, child=True))
    unpin()  # this process was pinned for the runs
    titles = {"headless": "headless host (baseline)", "channel": "child host + channel, no app",
              "tui": "host inside the TUI", "child": "host in a child process"}
    runs = [(k, results[k]) for k in ("headless", "channel", "tui", "child") if k in results]
    apps = [(k, r) for k, r in runs if "key" in r]
    rows = ", ".join(f"{r['rows']} rows in the table at the end ({titles[k]})" for k, r in apps)
    print(f"TUI lag: {opts.phones} phones, {opts.rate:g} contributions/s for {opts.seconds:g} s, "
          f"{opts.preload} contributions preloaded; {rows}")
    print(f"machine: {machine()}; load average at the start {load_at_start}")
    where = opts.where
    print("cores: " + ("unpinned" if opts.pin == "none" else ", ".join(
        f"{name} {sorted(where[name])}" for name in ("host", "app", "phones")) + f" (--pin {opts.pin})"))
    if opts.tree is not None:
        import facilitation_kit.tui.app as app_module
        print(f"the app from {Path(app_module.__file__).resolve().parents[2]}")

    def line(name: str, cell) -> None:
        print(f"{name:30}" + "".join(f"{cell(k, r):>48}   " for k, r in runs).rstrip())

    def cpu(r: dict[str, Any]) -> str:
        c = r["load"]["cpu"]
        own = f"this process {c['this'] * 100:.0f} %"
        return f"{own} (the host in it)" if c["host"] is None else f"host {c['host'] * 100:.0f} %, {own}"

    line("", lambda k, r: titles[k])
    line("event-loop lag (this process)", lambda k, r: fmt(r["lag"]))
    line("submit -> ack", lambda k, r: fmt(r["load"]["ack"]))
    line("acks / errors", lambda k, r: f"{r['load']['acks']} / {r['load']['errors']}")
    line("CPU, share of one core", lambda k, r: cpu(r))
    line("key -> repaint (tui)", lambda k, r: fmt(r["key"]) if "key" in r else "")
    line("keys with no repaint in 5 s", lambda k, r: str(r["missing"]) if "key" in r else "")
    line("frame to terminal text", lambda k, r: fmt(r["frame"]) if "key" in r else "")
    print("reproduce: .venv/bin/python bench/tui_lag.py " + " ".join(argv))
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
