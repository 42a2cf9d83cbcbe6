"""The Node load generator (bench/node/loadgen.js, Node's ``ws``) driven from Python.

``ensure_installed()`` is the benchmark's own set-up: ``npm install`` into
bench/node/node_modules (gitignored) when ``ws`` is not there yet. ``NodeLoad(n)`` starts
n generator processes, each steered by JSON lines on its stdin (see loadgen.js), pinned to
the load-generator cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from bench import common

NODE_DIR = common.ROOT / "bench" / "node"


def ensure_installed() -> str:
    """Install bench/node's dependencies if needed; returns the ws version."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise SystemExit("the Node load generator needs `node` and `npm` (Node 18 or later) on PATH")
    pkg = NODE_DIR / "node_modules" / "ws" / "package.json"
    if not pkg.exists():
        print("setting up the Node load generator: npm install in bench/node ...", flush=True)
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True,
                       timeout=300)
    return json.loads(pkg.read_text())["version"]


def node_version() -> str:
    return subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30).stdout.strip()


class NodeLoad:
    """``count`` Node generator processes; :meth:`call` sends one command to each."""

    def __init__(self, count: int, cores: set[int] | None):
        self.procs: list[subprocess.Popen] = []
        for _ in range(count):
            proc = subprocess.Popen(["node", str(NODE_DIR / "loadgen.js")], cwd=NODE_DIR,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True, preexec_fn=_preexec(cores))
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def call(self, per_process: list[dict[str, Any]], timeout: float) -> list[dict[str, Any]]:
        for proc, msg in zip(self.procs, per_process):
            proc.stdin.write(json.dumps(msg) + "\n")
            proc.stdin.flush()
        out: list[Any] = [None] * len(self.procs)

        def read(k: int, proc: subprocess.Popen) -> None:
            out[k] = proc.stdout.readline()
        threads = [threading.Thread(target=read, args=(k, p), daemon=True) for k, p in enumerate(self.procs)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.1, deadline - time.monotonic()))
        replies = []
        for k, line in enumerate(out):
            if not line:
                err = self.procs[k].stderr.read() if self.procs[k].poll() is not None else ""
                raise RuntimeError(f"load generator {k} gave no answer to {per_process[k]['cmd']!r} "
                                   f"within {timeout:g} s {err[-1000:]}")
            reply = json.loads(line)
            if "error" in reply:
                raise RuntimeError(f"load generator {k}: {reply['error']}")
            replies.append(reply)
        return replies

    def call_all(self, msg: dict[str, Any], timeout: float) -> list[dict[str, Any]]:
        return self.call([msg] * len(self.procs), timeout)

    def join(self, url: str, room: str, phones: int, *, proto: str, concurrency: int = 200,
             timeout: float = 120) -> list[dict[str, Any]]:
        """Split ``phones`` over the processes and join them all."""
        per = [phones // len(self.procs) + (1 if k < phones % len(self.procs) else 0)
               for k in range(len(self.procs))]
        firsts = [sum(per[:k]) for k in range(len(per))]
        return self.call([{"cmd": "join", "url": url, "room": room, "first": f, "count": c,
                           "concurrency": concurrency, "proto": proto} for f, c in zip(firsts, per)], timeout)

    def close(self) -> None:
        for proc in self.procs:
            try:
                if proc.poll() is None:
                    proc.stdin.write(json.dumps({"cmd": "close"}) + "\n")
                    proc.stdin.flush()
            except (BrokenPipeError, OSError):
                pass
        for proc in self.procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    stream.close()
                except (BrokenPipeError, OSError):
                    pass


def _preexec(cores):
    def run():
        common.pin(cores)
        common.raise_fd_limit()
    return run


def cpu_of(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            total += common.cpu_seconds(pid)
        except OSError:
            pass
    return total


def env_for_loop(loop: str) -> dict[str, str]:
    """The environment that makes the host and the echo server use ``loop``."""
    return {**os.environ, "FACILITATION_KIT_LOOP": loop}
