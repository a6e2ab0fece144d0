"""greengate's own CPU while the wrapped command waits, as a share of one core.

    python bench/own_cpu.py [--rounds 5] [--baseline DIR]

Each round wraps ``sleep 2`` and ``sleep 12`` and takes greengate's CPU from ``wait4``'s
rusage of the whole run less the tree's own (the verdict's ``usage.cpu_s``); the difference
over the 10 extra seconds is what waiting costs, start-up and the end of the run cancel out.
``--baseline DIR`` (another checkout, e.g. ``git worktree add /tmp/base COMMIT``) runs the
same rounds interleaved from it. Medians.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def own_cpu(tree: Path, seconds: float, directory: Path) -> float:
    """greengate's CPU seconds, less its tree's, for ``run -- sleep SECONDS`` from ``tree``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(PYTHONPATH=str(tree), GREENGATE_LEDGER="off")
    verdict = directory / "v.json"
    argv = [sys.executable, "-m", "greengate", "run", "--quiet", "--verdict", str(verdict)]
    child = subprocess.Popen([*argv, "--", "sleep", f"{seconds:g}"], cwd=directory, env=env)
    _, _, usage = os.wait4(child.pid, 0)
    tree_cpu = float(json.loads(verdict.read_text())["measurement"]["usage"]["cpu_s"])
    return usage.ru_utime + usage.ru_stime - tree_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    args = parser.parse_args()
    trees = {"this checkout": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    shares: dict[str, list[float]] = {name: [] for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for name, tree in trees.items():
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "greengate")])
            directory = Path(tmp) / name.replace(" ", "-")
            directory.mkdir()
            (directory / "greengate.yml").write_text(
                "version: 1\nbudgets:\n  - max_energy: 1 kWh\n"
            )
        for _ in range(args.rounds):
            for name, tree in trees.items():
                directory = Path(tmp) / name.replace(" ", "-")
                extra = own_cpu(tree, 12, directory) - own_cpu(tree, 2, directory)
                shares[name].append(extra / 10)
    for name, values in shares.items():
        print(
            f"{name} ({trees[name]}): own CPU while waiting {statistics.median(values):.2%} of "
            f"one core, median of {len(values)} (target < 1 %)"
        )


if __name__ == "__main__":
    main()
