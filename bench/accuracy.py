"""How much of a process tree's CPU time each tool accounts, against ground truth.

    python bench/accuracy.py [--runs 1] [--workloads fanout,single,orphan,memory,sleep]

Ground truth: the workload (bench/workloads.py) runs bare, with this script as the child
subreaper reaping every descendant, orphans included, and summing the kernel's rusage. The
same workload then runs under ``greengate run`` and under ``codecarbon monitor --offline``;
greengate's CPU-seconds come from its verdict, codecarbon's are implied by its CPU energy at
its own per-thread power (its TDP over the visible threads, as its process mode computes it).
Each figure is the median over --runs runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import sys
from pathlib import Path

from common import CODECARBON, GREENGATE, ROOT, cleanup, median, timed, tree_cpu, workdir

WORKLOADS = ROOT / "bench" / "workloads.py"


def fresh(d: Path, name: str) -> Path:
    t = d / name
    shutil.rmtree(t, ignore_errors=True)
    t.mkdir()
    return t


def codecarbon_thread_watts(d: Path) -> float:
    """codecarbon's per-thread power on this machine: its TDP over the visible threads."""
    cache = next((d / "cache").glob("hardware-*.json"))
    hw = json.loads(cache.read_text())["hardware"]
    tdp = hw["tdp_watts"] if hw["tdp_watts"] is not None else 4.0 * hw["threads"]
    return float(tdp) / hw["threads"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workloads", default="fanout,single,orphan,memory")
    args = parser.parse_args()
    d = workdir()
    env = dict(os.environ, BENCH_SLEEP="10")
    try:
        timed([GREENGATE, "run", "--quiet", "--verdict", str(d / "prime.json"), "--", "true"], d)
        watts = codecarbon_thread_watts(d)
        print(
            f"{'workload':8s} {'truth CPU-s':>11s} {'greengate':>10s} {'codecarbon':>11s} "
            f"{'gg wall+':>9s} {'gg own CPU-s':>12s}"
        )
        for name in args.workloads.split(","):
            rows: list[tuple[float, float, float, float, float]] = []
            for _ in range(args.runs):
                bare_wall, true_cpu = tree_cpu([sys.executable, str(WORKLOADS), name], d, env)

                verdict = d / "v.json"
                wall, cpu, _ = timed(
                    [
                        GREENGATE,
                        "run",
                        "--quiet",
                        "--verdict",
                        str(verdict),
                        "--",
                        sys.executable,
                        str(WORKLOADS),
                        name,
                    ],
                    d,
                    env,
                )
                gg_cpu = json.loads(verdict.read_text())["measurement"]["usage"]["cpu_s"]

                cc_dir = fresh(d, "cc")
                timed(
                    [
                        CODECARBON,
                        "monitor",
                        "--offline",
                        "--country-iso-code",
                        "FRA",
                        "--",
                        sys.executable,
                        str(WORKLOADS),
                        name,
                    ],
                    cc_dir,
                    env,
                )
                with open(cc_dir / "emissions.csv", newline="") as f:
                    last = list(csv.DictReader(f))[-1]
                cc_cpu = float(last["cpu_energy"]) * 3.6e6 / watts
                rows.append(
                    (true_cpu, gg_cpu / true_cpu, cc_cpu / true_cpu, wall - bare_wall, cpu - gg_cpu)
                )
            print(
                f"{name:8s} {median([r[0] for r in rows]):11.2f} "
                f"{median([r[1] for r in rows]):10.1%} "
                f"{median([r[2] for r in rows]):11.1%} {median([r[3] for r in rows]):8.2f}s "
                f"{median([r[4] for r in rows]):12.3f}"
            )
    finally:
        cleanup(d)


if __name__ == "__main__":
    main()
