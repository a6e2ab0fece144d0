"""Start-up overhead and idle cost of wrapping a command (issue 2 targets).

    python bench/overhead.py [--rounds 15] [--sleep 60]

Interleaves bare ``true``, ``greengate run -- true`` (warm hardware cache and policy
caches, as on any second run on a machine), ``codecarbon monitor --offline -- true`` and
``python -c pass`` in the same run and prints medians and ratios; then wraps ``sleep`` and
reports greengate's own CPU time as a share of the wall time.

``python -c pass`` is the yardstick: the speed of a shared VM drifts by a third within
minutes here, so an absolute figure means little without the interpreter's own start-up
measured beside it.
"""

from __future__ import annotations

import argparse
import json
import sys

from common import CODECARBON, GREENGATE, cleanup, median, timed, workdir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--codecarbon-rounds", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=60.0)
    args = parser.parse_args()
    d = workdir()
    try:
        gg = [GREENGATE, "run", "--quiet", "--verdict", str(d / "v.json"), "--", "true"]
        gg_loud = [GREENGATE, "run", "--verdict", str(d / "v.json"), "--", "true"]
        cc = [CODECARBON, "monitor", "--offline", "--country-iso-code", "FRA", "--", "true"]
        timed(gg, d)  # prime the per-machine hardware cache, as any second run on a machine
        python = [sys.executable, "-c", "pass"]
        bare, quiet, loud, carbon, interpreter, quiet_cpu = [], [], [], [], [], []
        for i in range(args.rounds):
            bare.append(timed(["true"], d)[0])
            interpreter.append(timed(python, d)[0])
            wall, cpu, _ = timed(gg, d)
            quiet.append(wall)
            quiet_cpu.append(cpu)
            loud.append(timed(gg_loud, d)[0])
            if i < args.codecarbon_rounds:
                carbon.append(timed(cc, d)[0])
        base = median(bare)
        print(f"wall time of `true`, median of {args.rounds} interleaved rounds:")
        print(f"  bare true                        {base * 1000:8.1f} ms")
        for label, xs in (
            ("python -c pass (yardstick)", interpreter),
            ("greengate run --quiet -- true", quiet),
            ("greengate run -- true (summary)", loud),
            (f"codecarbon monitor ({len(carbon)} rounds)", carbon),
        ):
            m = median(xs)
            print(f"  {label:32s} {m * 1000:8.1f} ms   added {(m - base) * 1000:8.1f} ms")
        added = median(quiet) - base
        print(
            f"greengate run --quiet -- true: {median(quiet_cpu) * 1000:.1f} ms CPU (itself, git "
            f"and true); added wall = {added / (median(interpreter) - base):.1f}x python's own "
            f"start-up; target 250 ms: {'met' if added <= 0.25 else 'MISSED'}"
        )

        wall, cpu, _ = timed(
            [
                GREENGATE,
                "run",
                "--quiet",
                "--verdict",
                str(d / "s.json"),
                "--",
                "sleep",
                str(args.sleep),
            ],
            d,
        )
        tree_cpu = json.loads((d / "s.json").read_text())["measurement"]["usage"]["cpu_s"]
        own = cpu - tree_cpu
        print(
            f"greengate's own CPU while wrapping `sleep {args.sleep:g}`: "
            f"{own:.3f} s over {wall:.1f} s "
            f"wall = {own / wall:.2%} of one core"
        )
    finally:
        cleanup(d)


if __name__ == "__main__":
    main()
