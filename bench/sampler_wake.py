"""What one sample of the live tree costs, in a tight loop and after sleeping between samples.

    python bench/sampler_wake.py [--seconds 8]

greengate's sampler reads the live tree every 0.05 s at first, widening to 1 s. On a VM the
CPU charged for a sample can grow with the sleep before it (cold caches, the wake-up
itself), so this prints, side by side in one run: the CPU of ``live_tree()`` per sample at
intervals of 0, 0.2 and 1 s, for psutil's scan of every process (``live_tree``, the exact
read at the end of a run) and the kernel's children lists (``sampled_tree``, the periodic
samples), and of a wake from a 1 s sleep that does nothing, with the number of processes on
the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time
from collections.abc import Callable

from greengate.process.children import sampled_tree
from greengate.process.sampler import live_tree


def per_sample(interval: float, seconds: float, read: Callable[[], object] | None) -> float:
    """CPU milliseconds per sample (or per bare wake, ``read`` None) at ``interval``."""
    n = max(int(seconds / interval), 1) if interval else 400
    start = time.process_time()
    for _ in range(n):
        if interval:
            time.sleep(interval)
        if read is not None:
            read()
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
            for name, read in (("live_tree()", live_tree), ("sampled_tree()", sampled_tree)):
                cost = per_sample(interval, args.seconds, read)
                print(f"{name:16} every {interval:g} s: {cost:.2f} ms CPU per sample")
        bare = per_sample(1.0, args.seconds, None)
        print(f"a wake from a 1 s sleep doing nothing: {bare:.2f} ms CPU")
    finally:
        child.kill()
        child.wait()


if __name__ == "__main__":
    main()
