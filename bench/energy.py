"""Energy of the same workloads by greengate, codecarbon and Eco CI's curve (issue 3).

    python bench/energy.py [--runs 5] [--workloads fanout,single,orphan,sleep,memory]
                           [--sleep 60] [--sleep-runs 1] [--quick]

Each round runs the workload five ways, one after the other:

1. bare, under a child subreaper (bench/common.py ``tree_cpu``): the ground-truth CPU time.
   Meanwhile a thread reads the whole machine's ``/proc/stat`` every second, as Eco CI does,
   and integrates Eco CI's GitHub 4-vCPU curve (greengate.energy.profiles) scaled to this
   machine's vCPUs over those utilisations ("Eco CI curve, N vCPU"); the "4 vCPU" column is
   the same curve unscaled, as greengate's ``energy.profile: github-linux-4vcpu`` uses it.
2. ``greengate run`` with a minimal policy: the tier this machine gets by itself.
3. the same with ``energy: {profile: github-linux-4vcpu, scope: process}``;
4. and ``scope: machine``.
5. ``codecarbon monitor --offline --country-iso-code FRA`` (process mode), in a temp dir.

greengate's figures are IT energy (``it_energy_kwh``, before PUE), in joules, like the others.
Each greengate run is itself under a subreaper, so its own CPU is everything reaped minus the
tree's CPU in the verdict; its peak memory is its own VmHWM, polled while it runs. Figures
are medians over the rounds; CV is stdev / mean over the same rounds.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from accuracy import codecarbon_thread_watts
from common import CODECARBON, POLICY, ROOT, cleanup, gg_run, median, peak_rss, tree_cpu, workdir

from greengate.energy.profiles import PowerCurve, profile_by_name

WORKLOADS = ROOT / "bench" / "workloads.py"
TITLES = {
    "fanout": "fan-out: 60 short CPU-bound children, 2 at a time",
    "single": "one 4 s CPU-bound process",
    "orphan": "double-forked orphan burning 1 s after its parent exits",
    "sleep": "sleep",
    "memory": "1 GiB allocated and touched, held 3 s",
}
VARIANTS = {
    "default": "",
    "process": "energy:\n  profile: github-linux-4vcpu\n  scope: process\n",
    "machine": "energy:\n  profile: github-linux-4vcpu\n  scope: machine\n",
}
J_PER_KWH = 3.6e6
MIB = 1024**2


class EcoCi(threading.Thread):
    """Whole-machine utilisation from /proc/stat every second, on a power curve (Eco CI)."""

    def __init__(self, curves: tuple[PowerCurve, ...]) -> None:
        super().__init__(daemon=True)
        self.curves = curves
        self.joules = [0.0] * len(curves)
        self._done = threading.Event()
        self._last = (time.perf_counter(), _proc_stat())

    def run(self) -> None:
        while not self._done.wait(1.0):
            self._sample()

    def _sample(self) -> None:
        now, stat = time.perf_counter(), _proc_stat()
        (then, (busy0, total0)), (busy1, total1) = self._last, stat
        dt, dtotal = now - then, total1 - total0
        u = (busy1 - busy0) / dtotal if dtotal > 0 else 0.0
        for i, curve in enumerate(self.curves):
            self.joules[i] += curve.watts(u) * dt
        self._last = (now, stat)

    def finish(self) -> list[float]:
        self._done.set()
        self.join()
        self._sample()  # the last, partial second
        return self.joules


def _proc_stat() -> tuple[int, int]:
    """(busy, total) ticks of the aggregate cpu line; idle and iowait count as not busy."""
    with open("/proc/stat", encoding="ascii") as f:
        ticks = [int(x) for x in f.readline().split()[1:9]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


@dataclass
class Wrapped:
    """One wrapped run: wall, the tool's own CPU and peak RSS, and its figures."""

    wall: float
    own_cpu: float
    peak: int
    cpu_s: float  # the tree's CPU the tool accounted
    joules: float
    tier: str = ""
    lingering: int = 0  # processes still running when the command exited (verdict)


@dataclass
class Round:
    """One round of a workload: the bare run, Eco CI's curve over it, and the wrapped runs."""

    truth: float
    bare_wall: float
    eco: float
    eco4: float
    gg: dict[str, Wrapped] = field(default_factory=dict)
    cc: Wrapped | None = None
    cc_cpu_joules: float = 0.0


def reaped(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, int]:
    """Run argv under a subreaper; (wall, CPU of all it reaped, peak VmHWM of argv's process)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    cpu, wall, peak = 0.0, 0.0, 0
    while True:
        try:
            pid, _, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            if not wall:
                peak = max(peak, peak_rss(proc.pid))
            time.sleep(0.05)
            continue
        cpu += ru.ru_utime + ru.ru_stime
        if pid == proc.pid:
            wall = time.perf_counter() - start
    libc.prctl(36, 0, 0, 0, 0)
    return wall, cpu, peak


def run_greengate(d: Path, variant: str, command: list[str], env: dict[str, str]) -> Wrapped:
    verdict = d / f"{variant}.json"
    verdict.unlink(missing_ok=True)
    argv = gg_run(verdict, *command, policy=d / f"{variant}.yml")
    wall, total, peak = reaped(argv, d, env)
    m = json.loads(verdict.read_text())["measurement"]
    cpu = next(c for c in m["components"] if c["component"] == "cpu")
    tree = m["usage"]["cpu_s"]
    tier = f"{cpu['tier']}, {m['scope']}"
    joules = m["it_energy_kwh"] * J_PER_KWH
    return Wrapped(wall, total - tree, peak, tree, joules, tier, m["usage"]["lingering"])


def run_codecarbon(
    d: Path, command: list[str], env: dict[str, str], truth: float, thread_watts: float
) -> tuple[Wrapped, float]:
    """``codecarbon monitor`` in its own temp dir; (its figures, its CPU joules)."""
    cc = d / "codecarbon"
    shutil.rmtree(cc, ignore_errors=True)
    cc.mkdir()
    argv = [CODECARBON, "monitor", "--offline", "--country-iso-code", "FRA", "--", *command]
    wall, total, peak = reaped(argv, cc, env)
    with open(cc / "emissions.csv", newline="") as f:
        row = list(csv.DictReader(f))[-1]
    cpu_j = float(row["cpu_energy"]) * J_PER_KWH
    total_j = float(row["energy_consumed"]) * J_PER_KWH
    # Process mode: TDP x the tree's CPU share, so its CPU-seconds are joules / (TDP / threads).
    # own_cpu is rough here: the bare run's truth stands in for this run's tree.
    return Wrapped(wall, total - truth, peak, cpu_j / thread_watts, total_j), cpu_j


def one_round(
    d: Path, name: str, env: dict[str, str], curves: tuple[PowerCurve, ...], thread_watts: float
) -> Round:
    command = [sys.executable, str(WORKLOADS), name]
    eco = EcoCi(curves)
    eco.start()
    bare_wall, truth = tree_cpu(command, d, env)
    joules = eco.finish()
    r = Round(truth, bare_wall, joules[0], joules[1])
    for variant in VARIANTS:
        r.gg[variant] = run_greengate(d, variant, command, env)
    r.cc, r.cc_cpu_joules = run_codecarbon(d, command, env, truth, thread_watts)
    return r


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workloads", default="fanout,single,orphan,sleep,memory")
    parser.add_argument("--sleep", type=float, default=60.0, help="seconds of the sleep workload")
    parser.add_argument("--sleep-runs", type=int, default=1, help="rounds of the sleep workload")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 rounds, sleep 5 s")
    parser.add_argument("--raw", type=Path, help="also write every round's figures here (JSON)")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.sleep = 2, 5.0
    vcpus = os.cpu_count() or 1
    github = profile_by_name("github-linux-4vcpu", vcpus)
    curves = (github.scaled(vcpus).curve, github.curve)
    d = workdir()
    env = dict(os.environ, BENCH_SLEEP=f"{args.sleep:g}")
    for variant, energy in VARIANTS.items():
        (d / f"{variant}.yml").write_text(POLICY + energy)
    try:
        subprocess.run(gg_run(d / "prime.json", "true"), cwd=d, check=True)  # hardware cache
        thread_watts = codecarbon_thread_watts(d)
        results: dict[str, list[Round]] = {}
        for name in args.workloads.split(","):
            runs = args.sleep_runs if name == "sleep" else args.runs
            results[name] = []
            for i in range(runs):
                print(f"{name} round {i + 1}/{runs}", file=sys.stderr, flush=True)
                results[name].append(one_round(d, name, env, curves, thread_watts))
        report(results, vcpus, args.sleep)
        if args.raw is not None:
            raw = {name: [asdict(r) for r in rounds] for name, rounds in results.items()}
            args.raw.write_text(json.dumps(raw, indent=1))
    finally:
        cleanup(d)


def title(name: str, sleep: float) -> str:
    return f"sleep {sleep:g} s" if name == "sleep" else TITLES[name]


def med(rounds: list[Round], f: Callable[[Round], float]) -> float:
    return median([f(r) for r in rounds])


def cv_of(rounds: list[Round], f: Callable[[Round], float]) -> str:
    values = [f(r) for r in rounds]
    if len(values) < 2 or statistics.mean(values) == 0:
        return "n/a"
    return f"{statistics.stdev(values) / statistics.mean(values):.1%}"


def table(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("| --- |" + " ---: |" * (len(header) - 1))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def gg(variant: str, what: str) -> Callable[[Round], float]:
    return lambda r: float(getattr(r.gg[variant], what))


def cc(r: Round) -> Wrapped:
    assert r.cc is not None
    return r.cc


def report(results: dict[str, list[Round]], vcpus: int, sleep: float) -> None:
    tiers = {v: w.tier for v, w in next(iter(results.values()))[0].gg.items()}
    print(f"\nCPU-seconds accounted and IT energy in joules (medians; {vcpus} vCPUs)\n")
    table(
        [
            "workload",
            "rounds",
            "truth CPU-s",
            "greengate accounted",
            "codecarbon accounted",
            *(f"greengate ({tiers[v]})" for v in VARIANTS),
            f"Eco CI curve, {vcpus} vCPU",
            "Eco CI curve, 4 vCPU",
            "codecarbon CPU",
            "codecarbon total",
        ],
        [
            [
                title(name, sleep),
                str(len(rs)),
                f"{med(rs, lambda r: r.truth):.2f}",
                f"{med(rs, lambda r: r.gg['default'].cpu_s / r.truth):.1%}",
                f"{med(rs, lambda r: cc(r).cpu_s / r.truth):.1%}",
                *(f"{med(rs, gg(v, 'joules')):.1f}" for v in VARIANTS),
                f"{med(rs, lambda r: r.eco):.1f}",
                f"{med(rs, lambda r: r.eco4):.1f}",
                f"{med(rs, lambda r: r.cc_cpu_joules):.1f}",
                f"{med(rs, lambda r: cc(r).joules):.1f}",
            ]
            for name, rs in results.items()
        ],
    )
    print("\nRun-to-run variation: CV = stdev / mean over the rounds\n")
    table(
        [
            "workload",
            "truth CPU-s",
            "greengate CPU-s",
            *(f"greengate energy ({tiers[v]})" for v in VARIANTS),
            "Eco CI curve",
            "codecarbon CPU",
            "codecarbon total",
        ],
        [
            [
                title(name, sleep),
                cv_of(rs, lambda r: r.truth),
                cv_of(rs, gg("default", "cpu_s")),
                *(cv_of(rs, gg(v, "joules")) for v in VARIANTS),
                cv_of(rs, lambda r: r.eco),
                cv_of(rs, lambda r: r.cc_cpu_joules),
                cv_of(rs, lambda r: cc(r).joules),
            ]
            for name, rs in results.items()
        ],
    )
    print("\nCost of measuring: greengate with the default policy, codecarbon beside it\n")
    table(
        [
            "workload",
            "bare wall s",
            "greengate added wall s",
            "greengate own CPU-s",
            "own CPU, % of wall",
            "greengate peak RSS MiB",
            "codecarbon added wall s",
            "codecarbon peak RSS MiB",
        ],
        [
            [
                title(name, sleep),
                f"{med(rs, lambda r: r.bare_wall):.2f}",
                f"{med(rs, lambda r: r.gg['default'].wall - r.bare_wall):.2f}",
                f"{med(rs, gg('default', 'own_cpu')):.3f}",
                f"{med(rs, lambda r: r.gg['default'].own_cpu / r.gg['default'].wall):.2%}",
                f"{med(rs, gg('default', 'peak')) / MIB:.1f}",
                f"{med(rs, lambda r: cc(r).wall - r.bare_wall):.2f}",
                f"{med(rs, lambda r: cc(r).peak) / MIB:.1f}",
            ]
            for name, rs in results.items()
        ],
    )
    single = results.get("single", [])
    if len(single) >= 2:
        cpu_cv = statistics.stdev([r.truth for r in single]) / statistics.mean(
            [r.truth for r in single]
        )
        print("\nTarget on the 4 s workload: energy CV <= 3 % and <= the CPU time's CV")
        for v in VARIANTS:
            joules = [r.gg[v].joules for r in single]
            energy_cv = statistics.stdev(joules) / statistics.mean(joules)
            met = "met" if energy_cv <= min(0.03, cpu_cv) else "MISSED"
            print(f"  greengate ({tiers[v]}): {energy_cv:.1%} vs CPU {cpu_cv:.1%}: {met}")
    for name, rs in results.items():
        late = [r.gg["default"].lingering for r in rs if r.gg["default"].lingering]
        if late:
            print(
                f"\n{title(name, sleep)}: greengate found processes still running at the "
                f"command's end in {len(late)} of {len(rs)} rounds (verdict usage.lingering)"
            )


if __name__ == "__main__":
    main()
