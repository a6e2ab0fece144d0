"""greengate's own memory over a long run: does it grow with the job's length? (issue 3)

    python bench/longrun.py [--minutes 10] [--every 5]

Wraps a ``python -c`` loop that alternates CPU bursts and sleeps and spawns a short child
now and then, for --minutes, with ``greengate run``. Every --every seconds it reads the
resident memory of the greengate process itself (psutil, that pid only, not its children),
then prints the RSS at 1, 5 and 10 minutes, the least-squares slope from the first minute
on, greengate's own CPU time (its rusage, which includes every process it reaped, minus the
tree's CPU time from the verdict) and the length of the verdict's power timeline, which
must stay at most 60 points however long the job runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
from common import cleanup, gg_run, peak_rss, workdir

TIMELINE_MAX = 60
# Bursts of 0.5 CPU-s, 1 s of sleep, a short-lived child every fifth round.
JOB = """
import subprocess, sys, time
end = time.monotonic() + {seconds}
i = 0
while time.monotonic() < end:
    start = time.process_time()
    while time.process_time() - start < 0.5:
        pass
    if i % 5 == 0:
        subprocess.run([sys.executable, "-S", "-c", "sum(range(3_000_000))"], check=True)
    time.sleep(min(1.0, max(end - time.monotonic(), 0.0)))
    i += 1
"""


def slope(points: list[tuple[float, int]]) -> float:
    """Least-squares slope of RSS against time, in bytes per second."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mr = sum(r for _, r in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (r - mr) for t, r in points) / var if var > 0 else 0.0


def at(points: list[tuple[float, int]], seconds: float) -> int | None:
    """The last RSS reading taken at or before ``seconds``."""
    before = [r for t, r in points if t <= seconds + 0.5]
    return before[-1] if before else None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=5.0, help="RSS sampling interval, s")
    args = parser.parse_args()
    d = workdir()
    try:
        verdict = d / "v.json"
        # Prime the per-machine hardware cache, as on any second run on a machine.
        subprocess.run(gg_run(d / "prime.json", "true"), cwd=d, check=True)
        argv = gg_run(verdict, sys.executable, "-c", JOB.format(seconds=args.minutes * 60))
        points, peak, wall, total_cpu = sample(argv, d, args.every)
        report(points, peak, wall, total_cpu, verdict, args.minutes)
    finally:
        cleanup(d)


def sample(
    argv: list[str], d: Path, every: float
) -> tuple[list[tuple[float, int]], int, float, float]:
    """Run argv; sample its own RSS. Returns samples, its peak RSS (VmHWM), wall, total CPU."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    gg = psutil.Process(proc.pid)
    points: list[tuple[float, int]] = []
    next_at = start
    peak = 0
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, peak_rss(proc.pid))
        now = time.perf_counter()
        if now >= next_at:
            with contextlib.suppress(psutil.NoSuchProcess):
                points.append((now - start, gg.memory_info().rss))
            next_at += every
        time.sleep(0.05)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"greengate run exited {proc.returncode}")
    # Not ru_maxrss: that is the largest of greengate and every child it reaped.
    return points, peak, wall, ru.ru_utime + ru.ru_stime


def report(
    points: list[tuple[float, int]],
    peak: int,
    wall: float,
    total_cpu: float,
    verdict: Path,
    minutes: float,
) -> None:
    measurement = json.loads(verdict.read_text())["measurement"]
    tree_cpu = measurement["usage"]["cpu_s"]
    timeline = measurement["timeline"]
    mib = 1024**2
    print(f"greengate run wrapping a {minutes:g}-minute job; RSS of the greengate process:")
    for m in sorted({m for m in (1.0, 5.0, 10.0) if m < minutes} | {minutes}):
        rss = at(points, m * 60)
        if rss is not None:
            print(f"  at {m:5.1f} min  {rss / mib:7.1f} MiB")
    late = [p for p in points if p[0] >= 60]
    per_min = slope(late) * 60
    print(f"  peak        {peak / mib:7.1f} MiB (VmHWM; {len(points)} samples)")
    print(
        f"  slope from 1 min on: {per_min / 1024:+.1f} KiB/min "
        f"({per_min * minutes / mib:+.2f} MiB over the run)"
    )
    own = total_cpu - tree_cpu
    print(
        f"tree CPU {tree_cpu:.1f} s; greengate's own CPU {own:.2f} s over {wall:.0f} s wall "
        f"= {own / wall:.2%} of one core"
    )
    n = len(timeline["watts"]) if timeline else 0
    width = timeline["interval_s"] if timeline else 0
    ok = "ok" if n <= TIMELINE_MAX else f"OVER {TIMELINE_MAX}"
    print(f"verdict timeline: {n} points of {width:g} s ({ok})")
    print(f"energy {measurement['energy_kwh'] * 3.6e6:.1f} J, scope {measurement['scope']}")


if __name__ == "__main__":
    main()
