"""Start-up overhead and idle cost of wrapping a command (issue 2 targets).

    python bench/overhead.py [--rounds 15] [--sleep 60]

Interleaves bare ``true``, ``greengate run -- true`` (warm hardware cache and policy
caches, as on any second run on a machine), ``codecarbon monitor --offline -- true`` and
``python -c pass`` in the same run and prints medians and ratios; then wraps ``sleep`` and
reports greengate's own CPU time as a share of the wall time.

A first run on a fresh GitHub-hosted runner (empty caches: the policy is parsed and
validated with PyYAML and jsonschema; the runner profile needs no hardware detection) is
timed beside them.

``python -c pass`` is the yardstick: the speed of a shared VM drifts by a third within
minutes here, so an absolute figure means little without the interpreter's own start-up
measured beside it.

``--baseline DIR`` adds a before/after comparison in the same rounds: ``python -m
greengate run --quiet -- true`` from DIR (another checkout, e.g. ``git worktree add
/tmp/base COMMIT``) and from this one, each on PYTHONPATH, with its own caches and ledger;
``--job-seconds S`` also compares ``greengate run -- sleep S`` (summary shown), the time
added to a job that runs long enough to hide what the end of a run imports.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import sys
from pathlib import Path

from common import CODECARBON, GREENGATE, ROOT, cleanup, median, timed, workdir


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--codecarbon-rounds", type=int, default=5)
    parser.add_argument("--sleep", type=float, default=60.0)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument(
        "--job-seconds",
        type=float,
        default=0.0,
        help="with --baseline: also compare `greengate run -- sleep S` (summary shown)",
    )
    parser.add_argument("--job-rounds", type=int, default=5)
    args = parser.parse_args()
    d = workdir()
    try:
        gg = [GREENGATE, "run", "--quiet", "--verdict", str(d / "v.json"), "--", "true"]
        gg_loud = [GREENGATE, "run", "--verdict", str(d / "v.json"), "--", "true"]
        cc = [CODECARBON, "monitor", "--offline", "--country-iso-code", "FRA", "--", "true"]
        timed(gg, d)  # prime the per-machine hardware cache, as any second run on a machine
        python = [sys.executable, "-c", "pass"]
        trees = {"before": args.baseline, "after": ROOT} if args.baseline else {}
        module = [sys.executable, "-m", "greengate", "run", "--quiet", "--", "true"]
        envs = {label: _tree_env(tree, d / label) for label, tree in trees.items()}
        for env in envs.values():
            timed(module, d, env)  # prime each tree's caches
        compared: dict[str, list[tuple[float, float]]] = {label: [] for label in trees}
        job = [sys.executable, "-m", "greengate", "run", "--", "sleep", f"{args.job_seconds:g}"]
        long_jobs: dict[str, list[float]] = {label: [] for label in trees}
        bare_sleep: list[float] = []
        # A fresh GitHub-hosted runner: a runner profile (no hardware detection), empty caches.
        hosted = {
            **os.environ,
            "GITHUB_ACTIONS": "true",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_OS": "Linux",
        }
        bare, quiet, loud, carbon, interpreter, quiet_cpu, cold = [], [], [], [], [], [], []
        for i in range(args.rounds):
            cache = d / f"fresh-cache-{i}"
            cold.append(timed(gg, d, {**hosted, "GREENGATE_CACHE_DIR": str(cache)})[0])
            bare.append(timed(["true"], d)[0])
            interpreter.append(timed(python, d)[0])
            wall, cpu, _ = timed(gg, d)
            quiet.append(wall)
            quiet_cpu.append(cpu)
            loud.append(timed(gg_loud, d)[0])
            if i < args.codecarbon_rounds:
                carbon.append(timed(cc, d)[0])
            for label, env in envs.items():
                compared[label].append(timed(module, d, env)[:2])
            if args.job_seconds and i < args.job_rounds:
                bare_sleep.append(timed(["sleep", f"{args.job_seconds:g}"], d)[0])
                for label, env in envs.items():
                    long_jobs[label].append(timed(job, d, env)[0])
        base = median(bare)
        print(f"wall time of `true`, median of {args.rounds} interleaved rounds:")
        print(f"  bare true                        {base * 1000:8.1f} ms")
        for label, xs in (
            ("python -c pass (yardstick)", interpreter),
            ("greengate run --quiet -- true", quiet),
            ("greengate run -- true (summary)", loud),
            ("first run, fresh GitHub runner", cold),
            (f"codecarbon monitor ({len(carbon)} rounds)", carbon),
        ):
            if not xs:  # --codecarbon-rounds 0
                continue
            m = median(xs)
            print(f"  {label:32s} {m * 1000:8.1f} ms   added {(m - base) * 1000:8.1f} ms")
        added = median(quiet) - base
        print(
            f"greengate run --quiet -- true: {median(quiet_cpu) * 1000:.1f} ms CPU (itself, git "
            f"and true); added wall = {added / (median(interpreter) - base):.1f}x python's own "
            f"start-up; target 250 ms: {'met' if added <= 0.25 else 'MISSED'}"
        )

        if compared:
            print(f"python -m greengate run --quiet -- true, {args.rounds} interleaved rounds:")
            for label, pairs in compared.items():
                walls, cpus = [w for w, _ in pairs], [c for _, c in pairs]
                print(
                    f"  {label:7s} {trees[label]}: added {(median(walls) - base) * 1000:6.1f} ms "
                    f"wall, {median(cpus) * 1000:6.1f} ms CPU"
                )
        if bare_sleep:
            slept = median(bare_sleep)
            print(
                f"python -m greengate run -- sleep {args.job_seconds:g} (summary shown), "
                f"{len(bare_sleep)} interleaved rounds, added to bare sleep's {slept:.3f} s:"
            )
            for label, walls in long_jobs.items():
                print(
                    f"  {label:7s} {trees[label]}: added {(median(walls) - slept) * 1000:6.1f} ms"
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


def _tree_env(tree: Path, state: Path) -> dict[str, str]:
    """Run greengate from checkout ``tree``, with caches and ledger of its own under ``state``."""
    compileall.compile_dir(tree / "greengate", quiet=1)
    return {
        **os.environ,
        "PYTHONPATH": str(tree),
        "GREENGATE_CACHE_DIR": str(state / "cache"),
        "GREENGATE_LEDGER": str(state / "ledger.db"),
    }


if __name__ == "__main__":
    main()
