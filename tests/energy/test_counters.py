"""Hardware energy counters: RAPL against a fake sysfs tree, NVML against a fake module.

No test here needs real hardware or is skipped without it; the one test skipped as root
(chmod 000 means nothing to root) has a twin that fakes the PermissionError instead.
"""

from __future__ import annotations

import os
import threading
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from factories import make_usage

from greengate.energy import gpu as gpu_module
from greengate.energy.gpu import NvmlGpu, in_child_pid_namespace
from greengate.energy.interface import CounterError
from greengate.energy.rapl import RaplCpu
from greengate.measurement import JOULES_PER_KWH, Component, Scope, Tier

TICKS = os.sysconf("SC_CLK_TCK")
MAX_UJ = 262_143_328_850  # a real max_energy_range_uj (Xeon), about 262 kJ

# --- RAPL through a fake /sys/class/powercap ----------------------------------------------


def zone(root: Path, name: str, label: str | None, uj: int, max_uj: int | None = MAX_UJ) -> Path:
    """One powercap zone directory, as the kernel lays it out."""
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    if label is not None:
        (path / "name").write_text(f"{label}\n")
    (path / "energy_uj").write_text(f"{uj}\n")
    if max_uj is not None:
        (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return path


def set_uj(root: Path, name: str, uj: int) -> None:
    (root / name / "energy_uj").write_text(f"{uj}\n")


@pytest.fixture
def powercap(tmp_path: Path) -> Path:
    """Two packages with their sub-zones, psys and the MMIO view of package 0."""
    root = tmp_path / "powercap"
    (root / "intel-rapl").mkdir(parents=True)  # the control type itself: no counter
    zone(root, "intel-rapl:0", "package-0", 10_000_000)
    zone(root, "intel-rapl:0:0", "core", 5_000_000)
    zone(root, "intel-rapl:0:1", "dram", 7_000_000)
    zone(root, "intel-rapl:1", "package-1", 90_000_000)
    zone(root, "intel-rapl:1:0", "core", 1_000_000)
    zone(root, "intel-rapl:2", "psys", 3_000_000)  # the platform, package included
    zone(root, "intel-rapl-mmio:0", "package-0", 10_000_000)  # package 0 again
    return root


def write_stat(path: Path, busy_seconds: float, idle_seconds: float) -> None:
    """A /proc/stat whose aggregate line holds this busy and idle time."""
    busy, idle = round(busy_seconds * TICKS), round(idle_seconds * TICKS)
    path.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 {busy} 0 0 {idle} 0 0 0 0 0 0\n")


def test_probe_finds_readable_package_counters(powercap: Path) -> None:
    assert RaplCpu.probe(powercap) is None


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_probe_without_rapl_says_why(tmp_path: Path, make: bool) -> None:
    root = tmp_path / "powercap"
    if make:
        (root / "intel-rapl:0:0").mkdir(parents=True)  # a sub-zone alone is no package
    assert RaplCpu.probe(root) == f"no RAPL domains under {root} (a VM or not Intel/AMD)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_probe_on_a_root_only_counter_says_permission_denied(powercap: Path) -> None:
    (powercap / "intel-rapl:1" / "energy_uj").chmod(0)
    reason = RaplCpu.probe(powercap)
    assert reason is not None and reason.startswith("energy_uj is root-only: permission denied")


def test_probe_on_a_permission_error_says_so_even_as_root(
    powercap: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    reason = RaplCpu.probe(powercap)
    assert reason is not None and reason.startswith("energy_uj is root-only: permission denied")
    assert "CVE-2020-8694" in reason


def test_probe_on_garbage_says_what_the_file_holds(powercap: Path) -> None:
    (powercap / "intel-rapl:0" / "energy_uj").write_text("n/a\n")
    assert RaplCpu.probe(powercap) == f"{powercap}/intel-rapl:0/energy_uj holds 'n/a', not a number"


def test_machine_scope_counts_both_packages_and_nothing_else(powercap: Path) -> None:
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 1_800_000_000)  # 1800 J
    set_uj(powercap, "intel-rapl:1", 90_000_000 + 1_800_000_000)
    for sub in ("intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1:0", "intel-rapl:2"):
        set_uj(powercap, sub, 999_000_000_000)  # sub-zones and psys: never read
    set_uj(powercap, "intel-rapl-mmio:0", 999_000_000_000)
    energy = source.energy(make_usage())
    kwh = 3600 / JOULES_PER_KWH
    assert energy.component is Component.CPU
    assert energy.kwh == pytest.approx(kwh)
    assert (energy.low, energy.high) == (pytest.approx(kwh * 0.9), pytest.approx(kwh * 1.1))
    assert (energy.method, energy.tier, energy.fallback) == (
        "rapl-energy-counter",
        Tier.COUNTER,
        None,
    )
    assert energy.coefficients == (("package_joules", pytest.approx(3600.0)),)
    assert energy.detail == (
        "RAPL package counter(s) (package-0, package-1): 3600.0 J over the run, "
        "the whole package(s) (machine scope)"
    )


def test_a_counter_that_wrapped_is_counted_through_its_range(powercap: Path) -> None:
    set_uj(powercap, "intel-rapl:0", MAX_UJ - 1_000_000)  # 1 J before the wrap
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    set_uj(powercap, "intel-rapl:0", 4_000_000)  # wrapped, then 4 J more
    energy = source.energy(make_usage())
    assert energy.coefficients[0] == ("package_joules", pytest.approx(5.0))


def test_each_call_folds_in_what_moved_so_two_wraps_are_both_counted(powercap: Path) -> None:
    zone(powercap, "intel-rapl:0", "package-0", 900, max_uj=1000)
    (powercap / "intel-rapl:1" / "name").write_text("package-1\n")
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    moves = [(100, 200), (950, 850), (50, 100)]  # (reading, µJ moved since the last one)
    total = 0
    for reading, moved in moves:
        set_uj(powercap, "intel-rapl:0", reading)
        total += moved
        joules = source.energy(make_usage()).coefficients[0][1]
        assert joules == pytest.approx(total / 1e6)


def test_observe_follows_the_counters_between_readings(powercap: Path) -> None:
    zone(powercap, "intel-rapl:0", "package-0", 900, max_uj=1000)
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.observe([1])  # before begin: nothing to follow yet
    source.begin()
    for reading in (400, 900, 300):  # 500 + 500 + 400 µJ, through two wraps
        set_uj(powercap, "intel-rapl:0", reading)
        source.observe([1])
    set_uj(powercap, "intel-rapl:0", 500)  # 200 more
    assert source.energy(make_usage()).coefficients[0][1] == pytest.approx(1600 / 1e6)


def test_a_counter_lost_while_observing_is_raised_by_energy(powercap: Path) -> None:
    source = RaplCpu(Scope.MACHINE, powercap)
    source.begin()
    (powercap / "intel-rapl:0" / "energy_uj").unlink()
    source.observe([1])  # on the sampler thread: must not raise
    zone(powercap, "intel-rapl:0", "package-0", 20_000_000)  # back again: too late
    with pytest.raises(CounterError, match=r"cannot read .*intel-rapl:0/energy_uj"):
        source.energy(make_usage())


def test_a_wrap_without_a_known_range_is_a_counter_error(powercap: Path) -> None:
    (powercap / "intel-rapl:0" / "max_energy_range_uj").unlink()
    source = RaplCpu(Scope.MACHINE, powercap)
    source.begin()
    set_uj(powercap, "intel-rapl:0", 1)
    with pytest.raises(CounterError, match="went backwards and its max_energy_range_uj"):
        source.energy(make_usage())


def test_a_counter_unreadable_mid_run_is_a_counter_error_with_the_reason(
    powercap: Path,
) -> None:
    source = RaplCpu(Scope.PROCESS, powercap)
    source.begin()
    (powercap / "intel-rapl:1" / "energy_uj").unlink()
    with pytest.raises(CounterError) as caught:
        source.energy(make_usage())
    assert caught.value.reason.startswith(f"cannot read {powercap}/intel-rapl:1/energy_uj")
    assert str(caught.value) == caught.value.reason


def test_begin_without_counters_and_energy_without_begin_are_counter_errors(
    tmp_path: Path, powercap: Path
) -> None:
    with pytest.raises(CounterError, match="no RAPL domains"):
        RaplCpu(Scope.PROCESS, tmp_path / "nothing").begin()
    with pytest.raises(CounterError, match="not read before the command started"):
        RaplCpu(Scope.PROCESS, powercap).energy(make_usage())


def test_process_scope_charges_the_trees_share_of_the_machines_busy_cpu(
    powercap: Path, tmp_path: Path
) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, busy_seconds=1000.0, idle_seconds=5000.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 1_000_000_000)  # 1000 J
    write_stat(stat, busy_seconds=1000.0 + 494.0, idle_seconds=6000.0)
    usage = make_usage()  # 123.75 CPU-seconds
    energy = source.energy(usage)
    share = usage.cpu_seconds / 494.0
    assert energy.kwh == pytest.approx(1000 * share / JOULES_PER_KWH)
    assert energy.high == pytest.approx(energy.kwh * 1.1)
    assert energy.coefficients == (
        ("package_joules", pytest.approx(1000.0)),
        ("tree_share", pytest.approx(share)),
    )
    assert energy.detail.endswith(
        "1000.0 J over the run, times the command's share, 25.1% of the machine's busy CPU "
        "time (123.8 of 494.0 CPU-seconds)"
    )


def test_the_share_is_clamped_to_the_whole_machine(powercap: Path, tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, busy_seconds=10.0, idle_seconds=10.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    write_stat(stat, busy_seconds=20.0, idle_seconds=10.0)  # 10 s busy; the tree says 123.75
    assert dict(source.energy(make_usage()).coefficients)["tree_share"] == 1.0


@pytest.mark.parametrize("stat_text, word", [(None, "unreadable"), ("same", "zero")])
def test_without_the_machines_cpu_time_the_whole_package_is_charged(
    powercap: Path, tmp_path: Path, stat_text: str | None, word: str
) -> None:
    stat = tmp_path / "stat"
    if stat_text is not None:
        write_stat(stat, busy_seconds=10.0, idle_seconds=10.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 360_000_000)
    energy = source.energy(make_usage())
    assert dict(energy.coefficients)["tree_share"] == 1.0
    assert energy.kwh == pytest.approx(360 / JOULES_PER_KWH)
    assert f"times 1.0: the machine's busy CPU time (/proc/stat) was {word}" in energy.detail


def test_a_counter_mirroring_another_is_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", "package-0", 50_000_000)
    zone(root, "intel-rapl:1", "package-1", 50_000_000)  # a second die, same socket counter
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 50_000_000 + 100_000_000)
    set_uj(root, "intel-rapl:1", 50_000_000 + 100_000_000)
    energy = source.energy(make_usage())
    assert energy.coefficients[0] == ("package_joules", pytest.approx(100.0))
    assert "(package-0): 100.0 J over the run; 1 counter(s) mirroring another left out" in (
        energy.detail
    )


def test_equal_counters_that_then_move_apart_are_both_counted(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", "package-0", 50_000_000)
    zone(root, "intel-rapl:1", "package-1", 50_000_000)
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 50_000_000 + 100_000_000)
    set_uj(root, "intel-rapl:1", 50_000_000 + 30_000_000)
    assert source.energy(make_usage()).coefficients[0][1] == pytest.approx(130.0)


def test_an_unnamed_top_level_zone_counts_as_a_package(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", None, 0)
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 2_000_000)
    energy = source.energy(make_usage())
    assert "(intel-rapl:0): 2.0 J" in energy.detail


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
    failing: dict[str, Exception] = field(default_factory=dict)  # function name -> raises
    calls: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.millijoules)
        self.names = self.names or [f"NVIDIA Fake {i}".encode() for i in range(n)]
        self.milliwatts = self.milliwatts or [0] * n

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


def gpu(nvml: FakeNvml, clock: Clock | None = None, container: bool = False) -> NvmlGpu:
    return NvmlGpu(nvml, clock=clock or Clock(), child_pid_namespace=container)


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


def test_when_nvml_names_none_of_the_trees_processes_every_gpu_is_counted() -> None:
    nvml = FakeNvml([0, 0, 0, 0], compute={0: [99], 3: [100]})
    source = gpu(nvml)
    source.begin()
    source.observe(TREE)
    nvml.millijoules = [1_000] * 4
    energy = source.energy(make_usage())
    assert energy.coefficients == (("gpu_joules", 4.0), ("gpus_counted", 4.0))
    assert energy.detail.startswith(
        "all 4 visible GPUs (NVIDIA Fake 0, NVIDIA Fake 1, NVIDIA Fake 2, NVIDIA Fake 3): "
        "NVML did not report the command's processes; NVML total-energy counter read"
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
        "GPU 0 has no NVML energy counter (Not Supported) and no power reading (Not Supported)"
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
    "link, expected",
    [("pid:[4026531836]", False), ("pid:[4026532451]", True), (OSError(2, "gone"), False)],
)
def test_a_child_pid_namespace_is_told_from_the_hosts(
    monkeypatch: pytest.MonkeyPatch, link: Any, expected: bool
) -> None:
    def readlink(path: str) -> str:
        assert path == "/proc/self/ns/pid"
        if isinstance(link, OSError):
            raise link
        return str(link)

    monkeypatch.setattr(gpu_module.os, "readlink", readlink)
    assert in_child_pid_namespace() is expected
    assert NvmlGpu(FakeNvml([0]))._child_pid_namespace is expected
