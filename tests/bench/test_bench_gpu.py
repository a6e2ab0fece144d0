"""bench/gpu.py's CPU side: its reference integral, its NVML reader and its run plumbing.

The figures themselves need a GPU (issue 15); what can be checked here is that the bench
computes what it says from what it reads, and runs greengate for real.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import gpu as bench  # noqa: E402  (bench/gpu.py, beside its common.py)


def test_the_integral_is_trapezoids_clipped_to_the_window() -> None:
    samples = [(0.0, 100.0), (1.0, 300.0), (3.0, 300.0), (4.0, 100.0)]
    assert bench.integrate(samples, 0.0, 4.0) == pytest.approx(200 + 600 + 200)
    # Half of the first second: from 200 W (interpolated) to 300 W.
    assert bench.integrate(samples, 0.5, 3.0) == pytest.approx(125 + 600)
    assert bench.integrate(samples, 5.0, 6.0) == 0.0
    assert bench.integrate(samples[:1], 0.0, 4.0) == 0.0


class FakeNvml:
    """The pynvml calls the reference makes: a counter that moves with each power reading."""

    def __init__(self) -> None:
        self.millijoules = 1_000_000
        self.lock = threading.Lock()

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: int) -> int:
        with self.lock:
            return self.millijoules

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        with self.lock:
            self.millijoules += 5_000
        return 250_000


def test_the_reference_reads_the_counter_around_the_run_and_samples_power() -> None:
    nvml = FakeNvml()
    with bench.Reference(nvml, 0, period=0.01) as reference:
        threading.Event().wait(0.2)
    assert reference.counter_j == pytest.approx(5.0 * len(reference.samples))
    assert len(reference.samples) >= 5
    assert {watts for _, watts in reference.samples} == {250.0}
    start, end = reference.window
    assert start <= reference.samples[0][0] and reference.samples[-1][0] <= end


def test_a_run_under_greengate_is_measured_with_the_reference_beside_it() -> None:
    command = [sys.executable, "-c", 'print(\'{"phase": "cpu", "start": 1, "end": 2}\')']
    d = bench.workdir()
    reference = bench.Reference(FakeNvml(), 0, period=0.01)
    run = bench.measure("cpu", command, reference, dict(os.environ), d)
    bench.cleanup(d)
    assert run.exit_code == 0
    assert run.phases == [{"phase": "cpu", "start": 1, "end": 2}]
    assert run.component_j("gpu") == 0.0  # no GPU component on this machine
    assert run.component_j("cpu") > 0
    assert run.counter_j == pytest.approx(5.0 * run.samples)
    assert 0 < run.own_cpu_s() < run.greengate_cpu_s
    start, end = run.command_window()
    assert 0 <= end - start < run.wall_s
    assert 0 < run.added_wall_s() < run.wall_s


def run_with(gpu_j: float, counter_j: float, own_cpu: float = 0.1, wall: float = 100.0) -> Any:
    verdict = {
        "command": {"started_at": "2026-12-01T00:00:00Z", "ended_at": "2026-12-01T00:01:39.9Z"},
        "measurement": {
            "components": [{"component": "gpu", "kwh": gpu_j / 3.6e6}],
            "usage": {"cpu_s": 10.0},
        },
    }
    return bench.Run("r", 0, wall, 10.0 + own_cpu, verdict, counter_j, 0.0, 0.0, 0)


def test_each_target_is_judged_from_the_figures() -> None:
    met = bench.targets(run_with(1030, 1000), run_with(910, 1000), run_with(0, 50))
    assert [ok for _, ok in met] == [True, True, True, True]
    met = bench.targets(run_with(1060, 1000, own_cpu=2.0), run_with(890, 1000), run_with(1, 50))
    assert [ok for _, ok in met] == [False, False, False, False]


def test_the_table_shows_each_run_side_by_side() -> None:
    text = bench.table([run_with(1030, 1000), run_with(0, 50)])
    assert "| greengate / counter | 1.0300 | 0.0000 |" in text


def test_without_a_gpu_the_bench_says_so_and_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "gpu.py")], capture_output=True, text=True
    )
    if result.returncode != 2:
        pytest.skip("this machine has an NVIDIA GPU: run bench/gpu.py itself")
    assert "bench/gpu.py: no NVIDIA GPU to measure here" in result.stderr
