"""Stop at the limit (issue 23): the overshoot past the limit, and what the check costs.

    python bench/stop_at_limit.py [--rounds 5]

Power is pinned by a custom profile (36 W per busy vCPU, nothing idle: one CPU-second is
10 mWh) and a fixed intensity, so figures depend on CPU time alone.

- Overshoot: a one-CPU burn of 20 CPU-s against ``max_energy: 50 mWh`` (crossed at 5 CPU-s)
  with ``stop_at_limit``; per round the live figure's overshoot at the stop, the interval
  that bounds it (the figure at the stop less the one a sample before) and the verdict's
  final energy past the limit (the stop's plus what the tree used while it died).
- Own CPU while waiting, check on against off: as bench/own_cpu.py, ``run -- sleep 12`` less
  ``run -- sleep 2`` over the 10 extra seconds, under the same policy with and without
  ``stop_at_limit`` (a limit of 1 kWh, never reached), interleaved; and the whole run's.
  On a loaded machine these differences drown in start-up noise, so the check's own cost is
  also timed directly: CPU per call, built as a run builds it. Medians.
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
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MWH = 1e-6  # kWh
BURN = """\
import time
end = time.process_time() + 20
while time.process_time() < end:
    pass
"""


def policy(limit: str, stop: bool) -> str:
    return (
        "version: 1\n"
        "defaults: {intensity: 100 g/kWh, pue: 1.0}\n"
        "energy:\n  scope: process\n"
        "  profile: {idle_watts_per_vcpu: 0, max_watts_per_vcpu: 36, vcpus: 1}\n"
        f"budgets:\n  - max_energy: {limit}\n    stop_at_limit: {'true' if stop else 'false'}\n"
    )


def run(directory: Path, *command: str) -> tuple[dict[str, Any], float]:
    """The verdict of ``greengate run -- COMMAND`` in ``directory``, and greengate's own CPU
    (its whole rusage less the tree's)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(
        PYTHONPATH=str(ROOT), GREENGATE_LEDGER="off", GREENGATE_CACHE_DIR=str(directory / "c")
    )
    verdict = directory / "v.json"
    argv = [sys.executable, "-m", "greengate", "run", "--quiet", "--verdict", str(verdict)]
    child = subprocess.Popen(
        [*argv, "--", *command],
        cwd=directory,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # the live warning and stop lines, one per round
    )
    _, _, usage = os.wait4(child.pid, 0)
    data: dict[str, Any] = json.loads(verdict.read_text())
    own = usage.ru_utime + usage.ru_stime - float(data["measurement"]["usage"]["cpu_s"])
    return data, own


def overshoot(directory: Path) -> tuple[float, float, float]:
    """mWh past the limit at the stop, the sample's interval bounding it, and at the end."""
    data, _ = run(directory, sys.executable, "burn.py")
    stop = data["command"]["stop"]
    final = data["measurement"]["energy_kwh"] - stop["limit"]
    return stop["overshoot"] / MWH, (stop["measured"] - stop["before"]) / MWH, final / MWH


def waiting(directory: Path) -> tuple[float, float]:
    """greengate's own CPU over 10 s of waiting, as a share of one core, and its own CPU
    seconds for the whole ``sleep 12`` run."""
    _, long = run(directory, "sleep", "12")
    _, short = run(directory, "sleep", "2")
    return (long - short) / 10, long


def check_cost(directory: Path, calls: int = 2000) -> float:
    """Microseconds of CPU per call of the stop check itself (the live figure and the
    comparison), built as a run builds it, on a sample as the sampler hands it in."""
    import signal
    import time

    from greengate.cli.parts import build_parts
    from greengate.gate.flow import GateSettings, prepare
    from greengate.gate.live_limits import build_watch
    from greengate.process.supervisor import TreeSample

    env = {**os.environ, "GREENGATE_LEDGER": "off", "GREENGATE_CACHE_DIR": str(directory / "c")}
    settings = GateSettings(policy=str(directory / "greengate.yml"))
    prepared = prepare(settings, env, build_parts(env), cwd=str(directory))
    energy = prepared.parts.energy(prepared.policy)
    energy.begin()
    watch = build_watch(signal.SIGTERM, prepared, energy, lambda text: None)
    assert watch is not None
    sample = TreeSample(10.0, 5.0, 50 * 2**20, (os.getpid(),))
    energy.observe(sample)
    start = time.process_time()
    for _ in range(calls):
        assert watch(sample) is None
    return (time.process_time() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "greengate")])
    with tempfile.TemporaryDirectory() as tmp:
        dirs = {name: Path(tmp) / name for name in ("burn", "on", "off")}
        for name, directory in dirs.items():
            directory.mkdir()
            text = policy("50 mWh", True) if name == "burn" else policy("1 kWh", name == "on")
            (directory / "greengate.yml").write_text(text)
        (dirs["burn"] / "burn.py").write_text(BURN)
        stops = []
        shares: dict[str, list[float]] = {"on": [], "off": []}
        owns: dict[str, list[float]] = {"on": [], "off": []}
        for _ in range(args.rounds):
            stops.append(overshoot(dirs["burn"]))
            for name in ("off", "on"):
                share, own = waiting(dirs[name])
                shares[name].append(share)
                owns[name].append(own)
        cost = statistics.median(check_cost(dirs["on"]) for _ in range(5))
    at_stop, interval, final = (statistics.median(s[i] for s in stops) for i in range(3))
    worst = max(s[0] for s in stops)
    print(
        f"overshoot past 50 mWh at the stop: median {at_stop:.2f} mWh, worst {worst:.2f} mWh; "
        f"the sample interval bounding it: median {interval:.2f} mWh (a second of one CPU is "
        f"10 mWh); the verdict's final energy past the limit: median {final:.2f} mWh "
        f"({len(stops)} rounds)"
    )
    for name, values in shares.items():
        print(
            f"own CPU while waiting, check {name}: {statistics.median(values):.2%} of one core "
            f"(sleep 12 less sleep 2); {statistics.median(owns[name]):.3f} CPU-s for the whole "
            f"run of sleep 12; medians of {len(values)} (target < 1 %)"
        )
    print(
        f"the check itself: {cost:.1f} us of CPU per sample, at most one sample a second once "
        f"the interval has widened: {cost / 1e6:.4%} of one core"
    )


if __name__ == "__main__":
    main()
