"""NVML through a fake pynvml module: which GPUs are counted, counters, power readings.

No test here needs a GPU; bench/gpu.py checks the same paths against real hardware.
"""

from __future__ import annotations

import os
import subprocess
import threading
import tracemalloc
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from factories import make_usage

from greengate.energy.gpu import NvmlGpu, in_child_pid_namespace
from greengate.energy.gpu_usage import devices_opened
from greengate.measurement import JOULES_PER_KWH, Component, Tier

# --- NVML through a fake pynvml -----------------------------------------------------------


class NVMLError_NotSupported(Exception):  # named as pynvml names it
    def __str__(self) -> str:
        return "Not Supported"


class NVMLError_GpuIsLost(Exception):
    def __str__(self) -> str:
        return "GPU is lost"


@dataclass
class Process:  # what nvmlDeviceGet*RunningProcesses return: objects with .pid
    pid: int
    usedGpuMemory: int = 0


@dataclass
class FakeNvml:
    """The pynvml functions NvmlGpu calls, over state a test sets directly."""

    millijoules: list[int]  # each GPU's total-energy counter
    names: list[Any] = field(default_factory=list)
    milliwatts: list[int] = field(default_factory=list)
    no_counter: set[int] = field(default_factory=set)  # GPUs raising NotSupported (pre-Volta)
    compute: dict[int, list[int]] = field(default_factory=dict)  # GPU -> pids running there
    graphics: dict[int, list[int]] = field(default_factory=dict)
    minors: list[int] = field(default_factory=list)  # N of each GPU's /dev/nvidiaN
    failing: dict[str, Exception] = field(default_factory=dict)  # function name -> raises
    calls: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.millijoules)
        self.names = self.names or [f"NVIDIA Fake {i}".encode() for i in range(n)]
        self.milliwatts = self.milliwatts or [0] * n
        self.minors = self.minors or list(range(n))

    def _call(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1
        if name in self.failing:
            raise self.failing[name]

    def nvmlDeviceGetCount(self) -> int:
        return len(self.millijoules)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> int:
        return i

    def nvmlDeviceGetName(self, handle: int) -> Any:
        return self.names[handle]

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: int) -> int:
        if handle in self.no_counter:
            raise NVMLError_NotSupported()
        self._call("nvmlDeviceGetTotalEnergyConsumption")
        return self.millijoules[handle]

    def nvmlDeviceGetMinorNumber(self, handle: int) -> int:
        self._call("nvmlDeviceGetMinorNumber")
        return self.minors[handle]

    def nvmlDeviceGetPowerUsage(self, handle: int) -> int:
        self._call("nvmlDeviceGetPowerUsage")
        return self.milliwatts[handle]

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[Process]:
        self._call("nvmlDeviceGetComputeRunningProcesses")
        return [Process(pid) for pid in self.compute.get(handle, [])]

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: int) -> list[Process]:
        self._call("nvmlDeviceGetGraphicsRunningProcesses")
        return [Process(pid) for pid in self.graphics.get(handle, [])]


class Clock:
    """time.monotonic, moved by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


TREE = [4242, 4243]


def gpu(
    nvml: FakeNvml,
    clock: Clock | None = None,
    container: bool = False,
    files: dict[int, set[int]] | None = None,
) -> NvmlGpu:
    """NvmlGpu over the fake; ``files``: pid -> minor numbers it holds open (None: unreadable)."""

    def open_devices(pids: Collection[int]) -> set[int] | None:
        if files is None:
            return None
        return set().union(*(files.get(p, set()) for p in pids))

    return NvmlGpu(
        nvml, clock=clock or Clock(), child_pid_namespace=container, open_devices=open_devices
    )


def test_only_the_gpu_the_tree_ran_on_is_counted() -> None:
    nvml = FakeNvml([1_000, 2_000, 3_000, 4_000], compute={0: [99], 1: [TREE[1]]})
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [m + 3_600_000 for m in nvml.millijoules]  # 3600 J each
    energy = source.energy(make_usage())
    kwh = 3600 / JOULES_PER_KWH
    assert energy.component is Component.GPU
    assert energy.kwh == pytest.approx(kwh)
    assert (energy.low, energy.high) == (pytest.approx(kwh * 0.95), pytest.approx(kwh * 1.05))
    assert (energy.method, energy.tier, energy.fallback) == (
        "nvml-energy-counter",
        Tier.COUNTER,
        None,
    )
    assert energy.coefficients == (("gpu_joules", 3600.0), ("gpus_counted", 1.0))
    assert energy.detail == (
        "GPU 1 (NVIDIA Fake 1) of 4, used by the command's processes; "
        "NVML total-energy counter read before and after the command"
    )


def test_gpus_seen_in_either_process_list_at_any_sample_are_all_counted() -> None:
    nvml = FakeNvml([0, 0, 0, 0], names=["NVIDIA H100"] * 4, graphics={2: [TREE[0]]})
    source = gpu(nvml)
    source.begin()
    source.observe(set(TREE))
    nvml.graphics, nvml.compute = {}, {0: [TREE[1]]}  # a later sample, another GPU
    source.observe(frozenset(TREE))
    nvml.millijoules = [1_000, 2_000, 4_000, 8_000]
    energy = source.energy(make_usage())
    assert energy.coefficients[0] == ("gpu_joules", pytest.approx(5.0))
    assert energy.detail.startswith(
        "GPUs 0, 2 (NVIDIA H100, NVIDIA H100) of 4, used by the command's processes"
    )


def test_a_gpu_already_known_used_is_not_listed_again() -> None:
    nvml = FakeNvml([0], compute={0: [TREE[0]]})
    source = gpu(nvml)
    source.begin()
    for _ in range(5):
        source.observe(TREE)
    assert nvml.calls["nvmlDeviceGetComputeRunningProcesses"] == 1


def test_a_tree_nvml_lists_on_no_gpu_is_charged_no_gpu_energy_in_process_scope() -> None:
    # A CPU-only command on a GPU machine: the GPUs' idle draw is not its (issue 15).
    nvml = FakeNvml([0, 0, 0, 0], compute={0: [99], 3: [100]})
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)
    source.observe(TREE)
    nvml.millijoules = [1_000] * 4
    energy = source.energy(make_usage())
    assert (energy.kwh, energy.low, energy.high) == (0.0, 0.0, 0.0)
    assert energy.coefficients == (("gpu_joules", 0.0), ("gpus_counted", 0.0))
    assert (energy.method, energy.tier, energy.fallback) == (
        "nvml-energy-counter",
        Tier.COUNTER,
        None,
    )
    assert energy.detail == (
        "none of the 4 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1, NVIDIA Fake 2, "
        "NVIDIA Fake 3) ran the command's processes in 2 samples (NVML's process lists), "
        "so process scope charges it no GPU energy"
    )


def test_machine_scope_counts_every_gpu_whoever_used_it() -> None:
    nvml = FakeNvml([0, 0, 0], compute={1: [TREE[0]]})
    source = NvmlGpu(nvml, clock=Clock(), child_pid_namespace=False, machine_scope=True)
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [1_000, 2_000, 4_000]
    energy = source.energy(make_usage())
    assert energy.coefficients == (("gpu_joules", 7.0), ("gpus_counted", 3.0))
    assert energy.detail.startswith(
        "all 3 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1, NVIDIA Fake 2): "
        "machine scope counts the whole machine; NVML total-energy counter read"
    )


def test_inside_a_container_pid_namespace_the_detail_says_why_nothing_matched() -> None:
    source = gpu(FakeNvml([0, 0], compute={0: [123456]}), container=True)
    source.begin()
    source.observe(TREE)
    assert "all 2 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1): NVML did not report the " in (
        source.energy(make_usage()).detail
    )
    assert "container's pid namespace, where NVML may report the host's pids" in (
        source.energy(make_usage()).detail
    )


def test_inside_a_container_a_pid_that_matches_still_picks_its_gpu() -> None:
    source = gpu(FakeNvml([0, 0], compute={1: [TREE[0]]}), container=True)
    source.begin()
    source.observe(TREE)
    assert source.energy(make_usage()).detail.startswith("GPU 1 (NVIDIA Fake 1) of 2, used")


def test_when_nvml_cannot_list_processes_every_gpu_is_counted_and_listing_stops() -> None:
    nvml = FakeNvml(
        [0, 0],
        failing={
            "nvmlDeviceGetComputeRunningProcesses": NVMLError_NotSupported(),
            "nvmlDeviceGetGraphicsRunningProcesses": NVMLError_NotSupported(),
        },
    )
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)
    source.observe(TREE)
    assert nvml.calls["nvmlDeviceGetComputeRunningProcesses"] == 2  # once per GPU, not again
    detail = source.energy(make_usage()).detail
    assert detail.startswith(
        "all 2 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1): "
        "NVML cannot list the GPUs' processes (Not Supported)"
    )


def test_one_unsupported_process_list_leaves_the_other_to_say() -> None:
    nvml = FakeNvml(
        [0, 0],
        graphics={1: [TREE[0]]},
        failing={"nvmlDeviceGetComputeRunningProcesses": NVMLError_NotSupported()},
    )
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)
    assert source.energy(make_usage()).detail.startswith("GPU 1 (NVIDIA Fake 1) of 2, used")


def test_a_run_never_sampled_counts_every_gpu_and_says_so() -> None:
    source = gpu(FakeNvml([0], names=["NVIDIA H100 80GB HBM3"]))
    source.begin()
    assert source.energy(make_usage()).detail.startswith(
        "the 1 visible GPU (NVIDIA H100 80GB HBM3): the command's processes were never "
        "sampled against NVML's process lists"
    )


def test_an_nvml_error_at_the_end_leaves_the_gpu_out_of_the_total_with_the_reason() -> None:
    nvml = FakeNvml([0, 0])
    source = gpu(nvml)
    source.begin()
    nvml.failing["nvmlDeviceGetTotalEnergyConsumption"] = NVMLError_GpuIsLost()
    energy = source.energy(make_usage())
    assert (energy.kwh, energy.method, energy.tier) == (0.0, "unavailable", Tier.UNAVAILABLE)
    assert energy.fallback == "NVML read failed mid-run: GPU is lost"
    assert energy.detail == (
        "no GPU figure, so the GPUs' energy is missing from the total: "
        "NVML read failed mid-run: GPU is lost"
    )
    # And it stays so: a later call must not report a figure from a half-broken reading.
    del nvml.failing["nvmlDeviceGetTotalEnergyConsumption"]
    assert source.energy(make_usage()).tier is Tier.UNAVAILABLE


def test_a_counter_that_went_backwards_is_an_error() -> None:
    nvml = FakeNvml([5_000])
    source = gpu(nvml)
    source.begin()
    nvml.millijoules = [10]  # the driver was reloaded
    assert source.energy(make_usage()).fallback == (
        "NVML read failed mid-run: GPU 0's energy counter went backwards"
    )


def test_an_nvml_error_at_begin_or_no_begin_is_unavailable() -> None:
    nvml = FakeNvml([0], failing={"nvmlDeviceGetTotalEnergyConsumption": NVMLError_GpuIsLost()})
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)  # a no-op after a failed begin, and never raises
    assert source.energy(make_usage()).fallback == "NVML energy counter unavailable: GPU is lost"
    assert gpu(FakeNvml([0])).energy(make_usage()).fallback == (
        "NVML counters were not read before the command started"
    )


def test_observe_before_begin_is_a_no_op() -> None:
    nvml = FakeNvml([0], compute={0: [TREE[0]]})
    gpu(nvml).observe(TREE)
    assert nvml.calls == {}


def test_a_gpu_without_an_energy_counter_integrates_its_power_readings() -> None:
    clock = Clock()
    nvml = FakeNvml([0], no_counter={0}, milliwatts=[100_000], compute={0: [TREE[0]]})
    source = gpu(nvml, clock)
    source.begin()  # t=0: 100 W
    clock.now, nvml.milliwatts = 1.0, [200_000]
    source.observe(TREE)  # 0-1 s: 150 J
    clock.now = 3.0
    source.observe(TREE)  # 1-3 s: 400 J
    clock.now, nvml.milliwatts = 4.0, [100_000]
    energy = source.energy(make_usage())  # 3-4 s: 150 J
    kwh = 700 / JOULES_PER_KWH
    assert energy.kwh == pytest.approx(kwh)
    assert (energy.low, energy.high) == (pytest.approx(kwh * 0.85), pytest.approx(kwh * 1.15))
    assert (energy.method, energy.tier) == ("nvml-power-samples", Tier.COUNTER)
    assert energy.fallback == "GPU 0: no NVML energy counter (Not Supported)"
    assert energy.detail == (
        "GPU 0 (NVIDIA Fake 0) of 1, used by the command's processes; GPU 0: no NVML energy "
        "counter (Not Supported), so 4 power readings integrated over time"
    )


def test_counter_and_power_gpus_together_each_keep_their_band() -> None:
    clock = Clock()
    nvml = FakeNvml([0, 0], no_counter={1}, milliwatts=[0, 50_000])
    source = gpu(nvml, clock)
    source.begin()
    clock.now, nvml.millijoules = 2.0, [300_000, 0]  # GPU 0: 300 J; GPU 1: 50 W x 2 s
    energy = source.energy(make_usage())
    assert energy.kwh == pytest.approx(400 / JOULES_PER_KWH)
    assert energy.low == pytest.approx((300 * 0.95 + 100 * 0.85) / JOULES_PER_KWH)
    assert energy.high == pytest.approx((300 * 1.05 + 100 * 1.15) / JOULES_PER_KWH)
    assert energy.method == "nvml-power-samples"
    assert energy.detail.endswith(
        "NVML total-energy counter of GPU 0 read before and after the command; "
        "GPU 1: no NVML energy counter (Not Supported), so 2 power readings integrated over time"
    )


def test_a_power_reading_failing_mid_run_makes_the_gpu_unavailable() -> None:
    nvml = FakeNvml([0], no_counter={0})
    source = gpu(nvml)
    source.begin()
    nvml.failing["nvmlDeviceGetPowerUsage"] = NVMLError_GpuIsLost()
    source.observe(TREE)  # on the sampler thread: must not raise
    energy = source.energy(make_usage())
    assert energy.tier is Tier.UNAVAILABLE
    assert energy.fallback == "NVML power reading failed mid-run: GPU is lost"


def test_a_gpu_with_neither_counter_nor_power_reading_is_unavailable() -> None:
    nvml = FakeNvml(
        [0], no_counter={0}, failing={"nvmlDeviceGetPowerUsage": NVMLError_NotSupported()}
    )
    source = gpu(nvml)
    source.begin()
    assert source.energy(make_usage()).fallback == (
        "GPU 0: no NVML energy counter (Not Supported) and no power reading (Not Supported)"
    )


def test_observing_a_long_run_takes_constant_memory() -> None:
    clock = Clock()
    nvml = FakeNvml([0, 0], no_counter={1}, compute={1: [150]}, milliwatts=[0, 1_000])
    source = gpu(nvml, clock)
    source.begin()
    pids = frozenset(range(100, 200))

    def run(ticks: int) -> None:
        for _ in range(ticks):
            clock.now += 0.5
            source.observe(pids)

    run(500)  # warm up caches and interned objects
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    run(5_000)
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert grown < 10_000  # bytes: keeping each sample would take 40 000 at least
    assert source.energy(make_usage()).kwh == pytest.approx(1 * 0.5 * 5_500 / JOULES_PER_KWH)


def test_observe_and_energy_from_two_threads_agree() -> None:
    nvml = FakeNvml(
        [0, 0], no_counter={1}, milliwatts=[0, 1_000], compute={0: [TREE[0]], 1: [TREE[1]]}
    )
    clock = Clock()
    source = gpu(nvml, clock)
    source.begin()
    failures: list[BaseException] = []

    def sampler() -> None:
        try:
            for _ in range(2_000):
                clock.now += 0.001
                source.observe(TREE)
        except BaseException as e:  # pragma: no cover - the assertion below reports it
            failures.append(e)

    thread = threading.Thread(target=sampler)
    thread.start()
    while thread.is_alive():
        assert source.energy(make_usage()).tier is Tier.COUNTER
    thread.join()
    assert failures == []
    assert source.energy(make_usage()).detail.startswith("GPUs 0, 1 (")


@pytest.mark.parametrize(
    "target, expected", [("pid:[4026531836]", False), ("pid:[4026532451]", True), (None, False)]
)
def test_a_child_pid_namespace_is_told_from_the_hosts(
    tmp_path: Path, target: str | None, expected: bool
) -> None:
    # As /proc/self/ns/pid: a link whose target text names the namespace; none: no /proc.
    link = tmp_path / "pid"
    if target is not None:
        os.symlink(target, link)
    assert in_child_pid_namespace(str(link)) is expected


def test_nvml_gpu_asks_the_kernel_which_pid_namespace_it_runs_in() -> None:
    # NVML lists none of the tree's pids and its open files cannot be read: on the host that
    # is a CPU-only command; in a container it proves nothing (NVML may list the host's pids).
    source = NvmlGpu(FakeNvml([0, 0]), clock=Clock(), open_devices=lambda pids: None)
    source.begin()
    source.observe(TREE)
    detail = source.energy(make_usage()).detail
    container = in_child_pid_namespace()
    assert ("container's pid namespace" in detail) is container
    assert detail.startswith("none of the 2 visible GPUs") is not container


# --- which GPUs, from the tree's open device files (containers) -------------------------


def test_in_a_container_the_trees_open_device_file_picks_its_gpu() -> None:
    # NVML reports the host's pid 123456; the tree holds /dev/nvidia5, GPU 1's minor number.
    nvml = FakeNvml([0, 0], compute={1: [123456]}, minors=[4, 5])
    source = gpu(nvml, container=True, files={TREE[1]: {5}})
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [1_000, 3_000]
    energy = source.energy(make_usage())
    assert energy.coefficients == (("gpu_joules", 3.0), ("gpus_counted", 1.0))
    assert energy.detail.startswith(
        "GPU 1 (NVIDIA Fake 1) of 2, used by the command's processes "
        "(their open /dev/nvidia* files say so); NVML total-energy counter"
    )


def test_in_a_container_a_cpu_only_tree_is_charged_no_gpu_energy() -> None:
    nvml = FakeNvml([0], compute={0: [123456]})
    source = gpu(nvml, container=True, files={TREE[0]: set()})
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [5_000]
    energy = source.energy(make_usage())
    assert energy.kwh == 0.0
    assert "in 1 sample (NVML's process lists and their open /dev/nvidia* files)" in (energy.detail)


def test_in_a_container_with_unreadable_files_every_gpu_is_counted_and_says_why() -> None:
    source = gpu(FakeNvml([0, 0], compute={0: [123456]}), container=True, files=None)
    source.begin()
    source.observe(TREE)
    detail = source.energy(make_usage()).detail
    assert detail.startswith(
        "all 2 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1): NVML did not report the "
        "command's processes; greengate runs in a container's pid namespace, where NVML may "
        "report the host's pids, and the command's open files could not be read"
    )


def test_pids_nvml_reports_from_outside_the_sandbox_are_caught_by_the_open_files() -> None:
    # gVisor: /proc/self/ns/pid looks like the host's, yet NVML reports the host's pids.
    nvml = FakeNvml([0], compute={0: [777777]})
    source = gpu(nvml, files={TREE[0]: {0}})
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [2_000]
    assert source.energy(make_usage()).coefficients == (("gpu_joules", 2.0), ("gpus_counted", 1.0))


def test_once_nvml_names_the_tree_the_open_files_are_not_read_and_do_not_widen_it() -> None:
    # CUDA opens every visible GPU's file; NVML's list says which one the tree computes on.
    nvml = FakeNvml([0, 0, 0], compute={2: [TREE[0]]})
    reads: list[int] = []

    def open_devices(pids: Collection[int]) -> set[int] | None:
        reads.append(1)
        return {0, 1, 2}

    source = NvmlGpu(nvml, clock=Clock(), child_pid_namespace=False, open_devices=open_devices)
    source.begin()
    source.observe(TREE)
    source.observe(TREE)
    nvml.millijoules = [1_000, 1_000, 1_000]
    assert source.energy(make_usage()).coefficients == (("gpu_joules", 1.0), ("gpus_counted", 1.0))
    assert reads == []


def test_a_gpu_without_a_minor_number_is_never_matched_by_file() -> None:
    nvml = FakeNvml(
        [0, 0],
        compute={0: [123456]},
        failing={"nvmlDeviceGetMinorNumber": NVMLError_NotSupported()},
    )
    source = gpu(nvml, container=True, files={TREE[0]: {0, 1}})
    source.begin()
    source.observe(TREE)
    source.observe(TREE)
    assert source.energy(make_usage()).kwh == 0.0
    assert nvml.calls["nvmlDeviceGetMinorNumber"] == 2  # once per GPU, then remembered


def test_open_device_files_are_read_from_proc(tmp_path: Path) -> None:
    fd = tmp_path / "4242" / "fd"
    fd.mkdir(parents=True)
    for number, target in enumerate(
        [
            "/dev/nvidiactl",
            "/dev/nvidia3",
            "/dev/nvidia-uvm",
            "/dev/nvidia12",
            "/tmp/x/dev/nvidia7",
            "pipe:[77]",
        ]
    ):
        (fd / str(number)).symlink_to(target)
    assert devices_opened([4242, 99999], proc=str(tmp_path)) == {3, 12}
    assert devices_opened([99999], proc=str(tmp_path)) is None


def test_a_live_process_holding_no_gpu_file_reads_as_none_held() -> None:
    child = subprocess.Popen(["sleep", "5"])
    try:
        assert devices_opened([child.pid]) == set()
    finally:
        child.kill()
        child.wait()


# --- the power path forced on a GPU that has a counter (bench/gpu.py compares the two) ----


def test_ignoring_the_counter_integrates_power_readings_instead() -> None:
    clock = Clock()
    nvml = FakeNvml([0], milliwatts=[300_000], compute={0: [TREE[0]]})
    source = NvmlGpu(nvml, clock=clock, child_pid_namespace=False, ignore_counter=True)
    source.begin()  # t=0: 300 W
    clock.now = 2.0
    source.observe(TREE)  # 600 J
    clock.now, nvml.millijoules = 3.0, [999_999_000]
    energy = source.energy(make_usage())  # 300 J more; the counter's 1e6 J is not read
    assert energy.kwh == pytest.approx(900 / JOULES_PER_KWH)
    assert energy.method == "nvml-power-samples"
    assert energy.fallback == "GPU 0: energy counter ignored (GREENGATE_NVML_POWER_SAMPLES=1)"
    assert "nvmlDeviceGetTotalEnergyConsumption" not in nvml.calls
