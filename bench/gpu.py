"""GPU energy on real hardware: greengate's figure against NVML's own counter (issue 15).

    python bench/gpu.py [--load 60] [--idle 20] [--cpu 10] [--gpu 0] [--json FILE]

Needs an NVIDIA GPU with a total-energy counter (Volta or later), its driver, nvidia-ml-py
(codecarbon's dependency) and PyTorch with CUDA. Three runs, one after the other:

1. ``bench/gpu_workload.py`` (bf16 matrix products at full load, the GPU idle, then a
   CPU-only phase) under ``greengate run``, the default counter path;
2. the same under ``GREENGATE_NVML_POWER_SAMPLES=1``: greengate integrates the GPU's power
   readings instead, on the same hardware;
3. a CPU-only command of ``--cpu`` seconds: process scope must charge it no GPU energy.

Beside each, independently and in this process, the bench reads the GPU's total-energy
counter just before greengate starts and just after it exits, and samples its power every
100 ms. It prints greengate's GPU, CPU and memory figures, the counter's delta, the
sampled-power integral (over greengate's whole run and over the command alone), their
ratios, and greengate's own cost (its CPU time net of the tree's, and the wall time it adds
around the command), then each target met or missed. ``--json`` keeps the figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from common import GREENGATE, ROOT, cleanup, workdir

from greengate.energy.gpu import IGNORE_COUNTER_VARIABLE  # forces the power-reading path
from greengate.iso_time import parse_iso

POWER_PERIOD_S = 0.1
TARGETS = {"counter": 0.05, "power": 0.10, "overhead": 0.01}


def integrate(samples: list[tuple[float, float]], start: float, end: float) -> float:
    """Joules from (time s, power W) samples between start and end (trapezoids, clipped)."""
    joules = 0.0
    for (t0, p0), (t1, p1) in itertools.pairwise(samples):
        lo, hi = max(t0, start), min(t1, end)
        if hi <= lo:
            continue
        slope = (p1 - p0) / (t1 - t0)
        joules += (p0 + slope * (lo - t0) + p0 + slope * (hi - t0)) / 2 * (hi - lo)
    return joules


class Reference(threading.Thread):
    """The bench's own reading of a GPU: its energy counter around a run, power every 100 ms."""

    def __init__(self, nvml: Any, index: int, period: float = POWER_PERIOD_S) -> None:
        super().__init__(daemon=True)
        self._nvml, self._period = nvml, period
        self._device = nvml.nvmlDeviceGetHandleByIndex(index)
        self._done = threading.Event()
        self.samples: list[tuple[float, float]] = []
        self.counter_j = 0.0
        self.window = (0.0, 0.0)

    def _counter(self) -> float:
        return float(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._device)) / 1000

    def run(self) -> None:
        while True:
            watts = self._nvml.nvmlDeviceGetPowerUsage(self._device) / 1000
            self.samples.append((time.time(), watts))
            if self._done.wait(self._period):
                return

    def __enter__(self) -> Reference:
        self.window = (time.time(), 0.0)
        self.counter_j = -self._counter()
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.counter_j += self._counter()
        self.window = (self.window[0], time.time())
        self._done.set()
        self.join()


@dataclass
class Run:
    """One greengate run and the bench's reference beside it."""

    name: str
    exit_code: int
    wall_s: float
    greengate_cpu_s: float  # greengate and every process it reaped (wait4)
    verdict: dict[str, Any]
    counter_j: float
    power_j: float  # the 100 ms samples over greengate's whole run
    power_command_j: float  # the same over the command alone (its start to its end)
    samples: int
    phases: list[dict[str, Any]] = field(default_factory=list)

    def component_j(self, name: str) -> float:
        for c in self.verdict["measurement"]["components"]:
            if c["component"] == name:
                return float(c["kwh"]) * 3.6e6
        return 0.0

    def component(self, name: str) -> dict[str, Any]:
        found = [c for c in self.verdict["measurement"]["components"] if c["component"] == name]
        return found[0] if found else {}

    def command_window(self) -> tuple[float, float]:
        command = self.verdict["command"]
        start = parse_iso(command["started_at"])
        end = parse_iso(command["ended_at"])
        return start.timestamp(), end.timestamp()

    def own_cpu_s(self) -> float:
        """greengate's own CPU time: all it reaped, less the command tree's own."""
        return self.greengate_cpu_s - float(self.verdict["measurement"]["usage"]["cpu_s"])

    def added_wall_s(self) -> float:
        start, end = self.command_window()
        return self.wall_s - (end - start)


def greengate_argv() -> list[str]:
    """The installed ``greengate``, else this checkout's package run by this interpreter."""
    return [GREENGATE] if Path(GREENGATE).exists() else [sys.executable, "-m", "greengate"]


def measure(
    name: str, command: list[str], reference: Reference, env: dict[str, str], d: Path
) -> Run:
    """Run ``command`` under greengate in ``d`` with the reference reading the GPU around it."""
    verdict = d / "verdict.json"
    argv = [*greengate_argv(), "run", "--quiet", "--intensity", "100", "--verdict", str(verdict)]
    argv += ["--policy", str(d / "greengate.yml"), "--", *command]
    env = {**env, "GREENGATE_CACHE_DIR": str(d / "cache"), "PYTHONPATH": str(ROOT)}
    with reference:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=d, env=env, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        out = proc.stdout.read()  # the workload's phase lines, passed through by greengate
        _, status, usage = os.wait4(proc.pid, 0)  # rusage: greengate and all it reaped
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    data = json.loads(verdict.read_text())
    phases = [json.loads(line) for line in out.splitlines() if line.startswith('{"phase"')]
    cpu = usage.ru_utime + usage.ru_stime
    run = Run(name, proc.returncode, wall, cpu, data, reference.counter_j, 0.0, 0.0, 0)
    run.power_j = integrate(reference.samples, *reference.window)
    run.power_command_j = integrate(reference.samples, *run.command_window())
    run.samples, run.phases = len(reference.samples), phases
    return run


def ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def targets(counter: Run, power: Run, cpu_only: Run) -> list[tuple[str, bool]]:
    """Each of issue 15's targets, and whether it was met."""
    rows = []
    for run, key in ((counter, "counter"), (power, "power")):
        r = ratio(run.component_j("gpu"), run.counter_j)
        met = r is not None and abs(r - 1) <= TARGETS[key]
        rows.append((f"{run.name}: GPU energy within ±{TARGETS[key]:.0%} of the counter", met))
    rows.append((f"{cpu_only.name}: no GPU energy charged", cpu_only.component_j("gpu") == 0.0))
    share = max(counter.own_cpu_s(), counter.added_wall_s()) / counter.wall_s
    rows.append((f"greengate's own cost <= 1 % of the GPU run's wall ({share:.2%})", share <= 0.01))
    return rows


def table(runs: list[Run]) -> str:
    """The side-by-side table, Markdown."""
    lines = ["| figure | " + " | ".join(r.name for r in runs) + " |"]
    lines.append("| --- |" + " ---: |" * len(runs))

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | " + " | ".join(values) + " |")

    def num(v: float | None, fmt: str = "{:,.1f}") -> str:
        return "n/a" if v is None else fmt.format(v)

    row("greengate GPU energy (J)", [num(r.component_j("gpu")) for r in runs])
    row("GPU method", [str(r.component("gpu").get("method", "none")) for r in runs])
    row("NVML counter delta, greengate's whole run (J)", [num(r.counter_j) for r in runs])
    row("100 ms power integral, whole run (J)", [num(r.power_j) for r in runs])
    row("100 ms power integral, the command alone (J)", [num(r.power_command_j) for r in runs])
    row(
        "greengate / counter",
        [num(ratio(r.component_j("gpu"), r.counter_j), "{:.4f}") for r in runs],
    )
    row(
        "greengate / power integral (command)",
        [num(ratio(r.component_j("gpu"), r.power_command_j), "{:.4f}") for r in runs],
    )
    row("greengate CPU energy (J)", [num(r.component_j("cpu")) for r in runs])
    row("greengate memory energy (J)", [num(r.component_j("memory")) for r in runs])
    row("wall (s)", [num(r.wall_s, "{:.2f}") for r in runs])
    row("greengate's own CPU (s)", [num(r.own_cpu_s(), "{:.3f}") for r in runs])
    row("wall added around the command (s)", [num(r.added_wall_s(), "{:.3f}") for r in runs])
    row("power samples (bench)", [str(r.samples) for r in runs])
    return "\n".join(lines)


def device(nvml: Any, index: int) -> dict[str, str]:
    """What the figures were taken on."""
    handle = nvml.nvmlDeviceGetHandleByIndex(index)
    text = lambda v: v.decode() if isinstance(v, bytes) else str(v)  # noqa: E731
    info = {"gpu": text(nvml.nvmlDeviceGetName(handle)), "index": str(index)}
    info["driver"] = text(nvml.nvmlSystemGetDriverVersion())
    try:
        import torch

        info["torch"], info["cuda"] = torch.__version__, str(torch.version.cuda)
    except ImportError:
        info["torch"] = "not installed"
    return info


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--load", type=float, default=60.0)
    parser.add_argument("--idle", type=float, default=20.0)
    parser.add_argument("--cpu", type=float, default=10.0)
    parser.add_argument("--gpu", type=int, default=0, help="NVML index of the GPU to load")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args()
    try:
        import pynvml

        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
    except Exception as e:
        print(f"bench/gpu.py: no NVIDIA GPU to measure here ({e})", file=sys.stderr)
        return 2
    if not 0 <= args.gpu < count:
        print(f"bench/gpu.py: --gpu {args.gpu}, but NVML sees {count} GPU(s)", file=sys.stderr)
        return 2
    # The workload's cuda:0 is NVML's --gpu: CUDA numbered in PCI order, as NVML is.
    env = {**os.environ, "CUDA_DEVICE_ORDER": "PCI_BUS_ID", "CUDA_VISIBLE_DEVICES": str(args.gpu)}
    workload = [sys.executable, str(ROOT / "bench" / "gpu_workload.py")]
    workload += ["--load", str(args.load), "--idle", str(args.idle), "--cpu", str(args.cpu)]
    cpu_only = [
        sys.executable,
        "-c",
        f"import time\nt = time.time()\nwhile time.time() - t < {args.cpu}: pass",
    ]
    reference = lambda: Reference(pynvml, args.gpu)  # noqa: E731
    d = workdir()
    # A warm machine, as any second run: hardware detection cached, the policy parsed.
    measure("prime", [sys.executable, "-c", "pass"], reference(), env, d)
    runs = [
        measure("counter path", workload, reference(), env, d),
        measure(
            "power path (forced)", workload, reference(), {**env, IGNORE_COUNTER_VARIABLE: "1"}, d
        ),
        measure("CPU-only command", cpu_only, reference(), env, d),
    ]
    cleanup(d)
    info = device(pynvml, args.gpu)
    print("device: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    for r in runs:
        print(f"{r.name}: exit {r.exit_code}; GPU detail: {r.component('gpu').get('detail')}")
        for p in r.phases:
            print(
                f"  phase {p['phase']}: {p['end'] - p['start']:.1f} s "
                + json.dumps({k: v for k, v in p.items() if k not in ("phase", "start", "end")})
            )
    print(table(runs))
    met = targets(*runs)
    for what, ok in met:
        print(f"{'met   ' if ok else 'MISSED'} {what}")
    if args.json:
        keep = [asdict(r) for r in runs]
        args.json.write_text(json.dumps({"device": info, "runs": keep, "targets": met}, indent=1))
    return 0 if all(ok for _, ok in met) else 1


if __name__ == "__main__":
    sys.exit(main())
