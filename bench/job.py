"""The job-wide sampler (greengate start/lap/stop, issue 14): its own footprint, and whether
its laps add up and its figure matches an independent /proc/stat integration.

    .venv/bin/python bench/job.py [--seconds 60] [--fast-seconds 60]

1. Footprint at the real interval (1 s) for --seconds: the sampler's CPU (utime + stime from
   /proc/PID/stat) as a share of one core, and its resident memory at the start and the end.
2. Memory over many samples: the sampler at a 10 ms interval for --fast-seconds (100 times
   as many samples as at 1 s: 60 s stands for 100 min), RSS read every 5 s; CPU per sample.
3. A synthetic job of steps with known CPU load (idle, one core, every core, idle), a lap
   after each, stop; on the runner profile github-linux-4vcpu's curve (bent, not straight).
   This script reads /proc/stat itself every 50 ms and integrates the same curve over the
   job's span: the verdict's CPU energy against that, and the laps' sum against the total.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from common import GREENGATE, workdir

from greengate.energy.procstat import MachineCpu, read_machine_cpu
from greengate.energy.runner_detection import choose_profile
from greengate.iso_time import parse_iso

TICKS = os.sysconf("SC_CLK_TCK")
PROFILE = "github-linux-4vcpu"
POLICY = f"""version: 1
defaults:
  intensity: 400
energy:
  profile: {PROFILE}
budgets:
  - name: tests
    step: "burn*"
    max_energy: 1 Wh
  - max_energy: 1 kWh
"""


def gg(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GREENGATE, *args], cwd=cwd, capture_output=True, text=True, check=False)


def sampler_pid(cwd: Path) -> int:
    return int(json.loads((cwd / ".greengate/job/job.json").read_text())["pid"])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def samples(cwd: Path) -> int:
    return int(json.loads((cwd / ".greengate/job/progress.json").read_text())["samples"])


def footprint(seconds: float) -> None:
    cwd = workdir()
    assert gg("start", cwd=cwd).returncode == 0
    pid = sampler_pid(cwd)
    time.sleep(2)  # past its start-up imports
    cpu0, rss0, n0, t0 = cpu_seconds(pid), rss_kib(pid), samples(cwd), time.monotonic()
    time.sleep(seconds)
    cpu1, rss1, n1, t1 = cpu_seconds(pid), rss_kib(pid), samples(cwd), time.monotonic()
    gg("stop", "--quiet", cwd=cwd)
    share = (cpu1 - cpu0) / (t1 - t0)
    print(f"1. interval 1 s, {t1 - t0:.0f} s, {n1 - n0} samples:")
    print(f"   sampler CPU {cpu1 - cpu0:.2f} s = {share:.3%} of one core (target <= 0.5 %)")
    print(f"   RSS {rss0} KiB at the start, {rss1} KiB at the end")


def many_samples(seconds: float) -> None:
    cwd = workdir()
    assert gg("start", "--interval", "0.01s", cwd=cwd).returncode == 0
    pid = sampler_pid(cwd)
    time.sleep(2)
    cpu0, n0 = cpu_seconds(pid), samples(cwd)
    rss = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        rss.append(rss_kib(pid))
        time.sleep(5)
    rss.append(rss_kib(pid))
    cpu1, n1 = cpu_seconds(pid), samples(cwd)
    gg("stop", "--quiet", cwd=cwd)
    per_sample = (cpu1 - cpu0) / max(n1 - n0, 1)
    print(
        f"2. interval 10 ms, {seconds:.0f} s: {n1 - n0} samples (at 1 s: {(n1 - n0) / 60:.0f} min)"
    )
    print(f"   RSS every 5 s (KiB): {' '.join(map(str, rss))}")
    print(f"   RSS growth {rss[-1] - rss[0]:+d} KiB; max - min {max(rss) - min(rss)} KiB")
    print(
        f"   CPU per sample {per_sample * 1e3:.3f} ms: "
        f"at the 1 s interval {per_sample:.3%} of a core"
    )


def _burn(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def burn(cores: int, seconds: float) -> None:
    """A step of known load: ``cores`` processes spinning for ``seconds``."""
    procs = [multiprocessing.Process(target=_burn, args=(seconds,)) for _ in range(cores)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()


class Watcher:
    """/proc/stat every 50 ms with the wall clock: the independent integration."""

    def __init__(self) -> None:
        self.readings: list[tuple[float, MachineCpu]] = []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.done.is_set():
            r = read_machine_cpu()
            assert r is not None
            self.readings.append((time.time(), r))
            self.done.wait(0.05)

    def joules(self, begin: float, end: float) -> float:
        # The curve greengate uses for this profile here (sized to this machine's vCPUs): the
        # integration is this script's own, the power model is meant to be the same.
        profile = choose_profile(PROFILE, {}, "", os.cpu_count() or 1).profile
        assert profile is not None
        curve = profile.curve
        total = 0.0
        for (t0, a), (t1, b) in zip(self.readings, self.readings[1:], strict=False):
            overlap = min(t1, end) - max(t0, begin)
            if overlap > 0:
                total += curve.watts((b - a).utilisation) * overlap
        return total


def synthetic_job() -> None:
    cwd = workdir()
    (cwd / "greengate.yml").write_text(POLICY)
    cores = os.cpu_count() or 1
    watcher = Watcher()
    assert gg("start", cwd=cwd).returncode == 0
    steps = [
        ("idle", 0, 3.0),
        ("burn-one", 1, 4.0),
        ("burn-all", cores, 3.0),
        ("cool-down", 0, 2.0),
    ]
    for name, n, seconds in steps:
        if n:
            burn(n, seconds)
        else:
            time.sleep(seconds)
        assert gg("lap", name, cwd=cwd).returncode == 0
    done = gg("stop", "--quiet", "--job", "bench", cwd=cwd)
    watcher.done.set()
    watcher.thread.join()
    v = json.loads((cwd / "greengate-verdict.json").read_text())
    laps = v["laps"]
    total = v["measurement"]["energy_kwh"]
    cpu = next(c for c in v["measurement"]["components"] if c["component"] == "cpu")["kwh"]
    begin = parse_iso(laps[0]["start"]).timestamp()
    end = parse_iso(laps[-1]["end"]).timestamp()
    independent = watcher.joules(begin, end) / 3.6e6
    print(
        f"3. synthetic job on {cores} vCPUs, profile {PROFILE} "
        f"(exit {done.returncode}, status {v['status']}):"
    )
    for lap in laps:
        print(
            f"   lap {lap['name']:<10} {lap['duration_s']:6.2f} s  "
            f"{lap['energy_kwh'] * 1e6:8.3f} mWh  {lap['status']}"
        )
    laps_sum = sum(lap["energy_kwh"] for lap in laps)
    print(
        f"   laps sum {laps_sum * 1e6:.4f} mWh vs total {total * 1e6:.4f} mWh: "
        f"{laps_sum / total - 1:+.4%}"
    )
    print(
        f"   CPU {cpu * 1e6:.4f} mWh vs independent /proc/stat integration "
        f"{independent * 1e6:.4f} mWh: {cpu / independent - 1:+.3%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fast-seconds", type=float, default=60.0)
    args = parser.parse_args()
    print(
        f"machine: {os.cpu_count()} vCPUs, load average {os.getloadavg()[0]:.1f}; "
        f"python {sys.version.split()[0]}"
    )
    footprint(args.seconds)
    many_samples(args.fast_seconds)
    synthetic_job()


if __name__ == "__main__":
    main()
