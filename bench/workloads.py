"""Benchmark workloads: the process-tree shapes a CI job has.

    python bench/workloads.py fanout|single|orphan|sleep|memory

Ground truth is taken from outside (bench/common.py ``tree_cpu``: the kernel's rusage of every
descendant, reaped by a subreaper), so the workloads record nothing themselves.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time


def burn(seconds: float) -> None:
    """Spin the CPU for ``seconds`` of this process's CPU time."""
    start = time.process_time()
    x = 0
    while time.process_time() - start < seconds:
        x += 1


def fanout(children: int = 60, each: float = 0.05, parallel: int = 2) -> None:
    """Many short-lived CPU-bound children, ``parallel`` at a time, as a test runner spawns."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = f"import sys; sys.path.insert(0, {here!r}); import workloads as w; w.burn({each})"
    running: list[subprocess.Popen[bytes]] = []
    for _ in range(children):
        running.append(subprocess.Popen([sys.executable, "-S", "-c", code]))
        if len(running) >= parallel:
            running.pop(0).wait()
    for p in running:
        p.wait()


def orphan(burn_seconds: float = 1.0) -> None:
    """A double-forked grandchild burns CPU after its parent has exited (reparented)."""
    if os.fork() == 0:
        if os.fork() == 0:
            burn(burn_seconds)
            os._exit(0)
        os._exit(0)
    os.wait()
    time.sleep(burn_seconds * 1.5 + 0.3)  # the orphan finishes before the command does


def memory(gib: float = 1.0, hold: float = 3.0) -> None:
    """Allocate and touch ``gib`` GiB, hold it, release it."""
    block = bytearray(int(gib * 1024**3))
    for i in range(0, len(block), 4096):
        block[i] = 1
    time.sleep(hold)
    del block


def main(name: str) -> None:
    if name == "fanout":
        fanout()
    elif name == "single":
        burn(4.0)
    elif name == "orphan":
        orphan()
    elif name == "sleep":
        time.sleep(float(os.environ.get("BENCH_SLEEP", "60")))
    elif name == "memory":
        memory()
    else:
        raise SystemExit(f"unknown workload {name!r}")


if __name__ == "__main__":
    main(sys.argv[1])
