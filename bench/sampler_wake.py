"""What one sample of the live tree costs, in a tight loop and after sleeping between samples.

    python bench/sampler_wake.py [--seconds 8]

greengate's sampler reads the live tree every 0.05 s at first, widening to 1 s. On a VM the
CPU charged for a sample can grow with the sleep before it (cold caches, the wake-up
itself), so this prints, side by side in one run: the CPU of ``live_tree()`` per sample at
intervals of 0, 0.2 and 1 s, and of a wake from a 1 s sleep that does nothing, with the
number of processes on the machine (``psutil``'s children() scans them all).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

from greengate.process.sampler import live_tree


def per_sample(interval: float, seconds: float, work: bool) -> float:
    """CPU milliseconds per sample (or per bare wake) at ``interval``."""
    n = max(int(seconds / interval), 1) if interval else 400
    start = time.process_time()
    for _ in range(n):
        if interval:
            time.sleep(interval)
        if work:
            live_tree()
    return (time.process_time() - start) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0, help="per sleeping interval")
    args = parser.parse_args()
    child = subprocess.Popen(["sleep", str(4 * args.seconds + 30)])
    try:
        live_tree()  # psutil imported, the child seen once
        processes = sum(1 for name in os.listdir("/proc") if name.isdigit())
        print(f"processes on the machine: {processes}")
        for interval in (0.0, 0.2, 1.0):
            cost = per_sample(interval, args.seconds, work=True)
            print(f"live_tree() every {interval:g} s: {cost:.2f} ms CPU per sample")
        bare = per_sample(1.0, args.seconds, work=False)
        print(f"a wake from a 1 s sleep doing nothing: {bare:.2f} ms CPU")
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
