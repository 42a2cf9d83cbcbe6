"""Shared pieces of the benchmarks: starting hosts as pinned subprocesses, reading
/proc, percentiles, printing figures.

All traffic goes to 127.0.0.1. Every wait here is bounded in time.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from facilitation_kit.host.assembly import raise_fd_limit  # noqa: F401  (re-exported for the load generators)

ROOT = Path(__file__).resolve().parent.parent
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# -- cores ---------------------------------------------------------------------------
#: The cores this process could use when the benchmarks were imported. The pinning is
#: planned from these, not from this process's affinity at the time: a benchmark pins
#: this process (its in-process clients) to the load cores, and ``all`` runs the next
#: benchmark in the same process, which would then see one core and run unpinned.
START_CORES: set[int] | None = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None


def core_plan() -> tuple[set[int] | None, set[int] | None]:
    """(host cores, load-generator cores). The host gets one core to itself and the
    load generator the rest, so that the clients cannot starve the host (and the host
    cannot hide behind idle clients). ``None`` when there is only one core."""
    if not START_CORES or len(START_CORES) < 2:
        return None, None
    cores = sorted(START_CORES)
    return {cores[0]}, set(cores[1:])


def pin(cores: set[int] | None) -> None:
    if cores:
        try:
            os.sched_setaffinity(0, cores)
        except OSError:
            pass


def unpin() -> None:
    """This process back on every core it started with (after a benchmark pinned it)."""
    pin(START_CORES)


# -- /proc ---------------------------------------------------------------------------
def rss_bytes(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status (VmRSS)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss_bytes(pid: int) -> int:
    """Peak resident set size of a process so far (VmHWM)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def serve_flags(tree: Path | None = None) -> str:
    """``facilitation-kit serve --help``: which flags this version (or that of ``tree``) has."""
    python, cwd = (str(tree / ".venv" / "bin" / "python"), tree) if tree else (sys.executable, ROOT)
    out = subprocess.run([python, "-m", "facilitation_kit", "serve", "--help"], capture_output=True,
                         text=True, cwd=cwd, timeout=60)
    return out.stdout


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def core_times(cores: set[int] | None) -> tuple[float, float]:
    """(busy, total) seconds of these cores so far, from /proc/stat: busy counts user,
    nice, system, irq and softirq time (loopback traffic is handled in softirq, which a
    process's own CPU figure does not include)."""
    busy = total = 0.0
    with open("/proc/stat", encoding="ascii") as fh:
        for line in fh:
            name = line.split(" ", 1)[0]
            if not name.startswith("cpu") or name == "cpu":
                continue
            if cores is not None and int(name[3:]) not in cores:
                continue
            f = [int(x) for x in line.split()[1:]]
            busy += f[0] + f[1] + f[2] + f[5] + f[6]
            total += sum(f[:8])
    return busy / CLOCK_TICKS, total / CLOCK_TICKS


# -- statistics ----------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def fanout_times(sent: Sequence[tuple[str, float]], logs: Sequence[Sequence[tuple[str, float]]]
                 ) -> tuple[list[float], int]:
    """Per activity change: how long until the last phone had its frame, and how many
    phones never had it. ``sent``: (activity id, when it was changed); ``logs``: per phone,
    (activity id, when its frame arrived), on the same clock and in the same unit."""
    out, missing = [], 0
    for target, at in sent:
        worst = 0.0
        for log in logs:
            times = [t for aid, t in log if aid == target and t >= at]
            if times:
                worst = max(worst, min(times) - at)
            else:
                missing += 1
        out.append(worst)
    return out, missing


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": percentile(ms, 50), "p95_ms": percentile(ms, 95),
            "p99_ms": percentile(ms, 99), "max_ms": max(ms) if ms else float("nan")}


def fmt_lat(summary: dict[str, float]) -> str:
    return (f"p50 {summary['p50_ms']:.1f} / p95 {summary['p95_ms']:.1f} / "
            f"p99 {summary['p99_ms']:.1f} / max {summary['max_ms']:.1f} ms (n={summary['n']})")


# -- subprocesses --------------------------------------------------------------------
@dataclass
class Server:
    """A server subprocess (facilitation-kit host or the bare echo server)."""

    proc: subprocess.Popen
    port: int
    info: dict[str, Any] = field(default_factory=dict)
    log_path: Path | None = None
    started_in: float = 0.0

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (clean shutdown: final checkpoint), then SIGKILL if it hangs."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        return self.proc.returncode

    def kill9(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def _preexec(cores: set[int] | None):
    def run():
        pin(cores)
        raise_fd_limit()
    return run


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float, log_path: Path | None) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            try:
                return json.loads(path.read_text())
            except ValueError:
                pass  # being written
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:] if log_path and log_path.exists() else ""
            raise RuntimeError(f"the server exited with {proc.returncode} before listening:\n{tail}")
        time.sleep(0.01)
    proc.kill()
    raise RuntimeError(f"the server did not start within {timeout:g} s")


def start_host(data_dir: Path, *, agenda: Path | None = None, resume: str | None = None,
               cores: set[int] | None = None, participant_cap: int | None = None,
               timeout: float = 120.0, env: dict | None = None, extra: Sequence[str] = (),
               tree: Path | None = None) -> Server:
    """``facilitation-kit serve --headless`` on 127.0.0.1, a free port, as a subprocess.

    ``tree``: another checkout of the kit with its own ``.venv`` (an older commit, for a
    before/after comparison); its host runs from there. Older hosts had no per-address
    limits, so ``--trust-address`` is passed only to hosts that know it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    info_file = data_dir / f"info-{time.monotonic_ns()}.json"
    log_path = data_dir / f"host-{time.monotonic_ns()}.log"
    python, cwd = (str(tree / ".venv" / "bin" / "python"), tree) if tree else (sys.executable, ROOT)
    cmd = [python, "-m", "facilitation_kit", "serve", "--headless", "--host", "127.0.0.1",
           "--port", "0", "--data-dir", str(data_dir), "--info-file", str(info_file)]
    if tree is None or "--trust-address" in serve_flags(tree):
        cmd += ["--trust-address", "127.0.0.1"]  # the load generator's phones all come from 127.0.0.1
    if resume:
        cmd += ["--resume", resume]
    elif agenda:
        cmd.insert(4, str(agenda))
    if participant_cap:
        cmd += ["--participant-cap", str(participant_cap)]
    cmd += list(extra)
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd,
                                preexec_fn=_preexec(cores), env={**os.environ, **(env or {})})
    info = wait_for_file(info_file, proc, timeout, log_path)
    return Server(proc, int(info["port"]), info, log_path, time.monotonic() - started)


def start_echo(work_dir: Path, *, cores: set[int] | None = None, timeout: float = 30.0,
               env: dict | None = None) -> Server:
    """The bare websockets echo server (bench/echo_server.py) as a subprocess."""
    work_dir.mkdir(parents=True, exist_ok=True)
    port_file = work_dir / f"echo-{time.monotonic_ns()}.json"
    log_path = work_dir / f"echo-{time.monotonic_ns()}.log"
    cmd = [sys.executable, "-m", "bench.echo_server", "--port-file", str(port_file)]
    started = time.monotonic()
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
                                preexec_fn=_preexec(cores), env={**os.environ, **(env or {})})
    info = wait_for_file(port_file, proc, timeout, log_path)
    return Server(proc, int(info["port"]), info, log_path, time.monotonic() - started)


def loop_name(requested: str | None = None) -> str:
    """The event loop the servers will run on ("uvloop" or "asyncio"), as the host
    chooses it (facilitation_kit.host.loop)."""
    from facilitation_kit.host.loop import choice

    return choice(requested)


def reproduce_line(argv: Sequence[str]) -> str:
    return ".venv/bin/python -m bench " + " ".join(shlex.quote(a) for a in argv)


def machine() -> str:
    """One line describing this machine, for the printed figures."""
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo", encoding="ascii", errors="replace"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo", encoding="ascii"):
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
                break
    except OSError:
        pass
    import platform

    import websockets

    return (f"{os.cpu_count()} cores ({cpu}), {mem} RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, websockets {websockets.__version__}")


def write_agenda(path: Path, *, activities: int = 3, cap: int = 1000) -> Path:
    """A small agenda of open questions for the benchmarks (a1 opens by itself)."""
    lines = ['title = "Benchmark workshop"', 'language = "en"',
             'roles = ["Service user", "Family or peer", "Front-line professional", "Manager", "Other"]',
             f"participant_cap = {cap}", ""]
    for i in range(1, activities + 1):
        lines += ["[[activity]]", f'id = "a{i}"', 'plugin = "open_question"', f'title = "Question {i}"',
                  f'prompt = "Benchmark question {i}: what matters to you?"', "auto_open = true", ""]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
