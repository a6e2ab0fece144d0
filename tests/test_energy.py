"""Energy models (CPU, memory) and the NVML GPU source against a fake NVML module."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from factories import make_usage

from greengate.energy import gpu as gpu_module
from greengate.energy.gpu import NvmlGpu, gpu_source
from greengate.energy.hardware import DEFAULT_WATTS_PER_THREAD, Hardware
from greengate.energy.models import (
    GB,
    JOULES_PER_KWH,
    WATTS_PER_GB_MEMORY,
    CpuThreadPower,
    MemoryResidentPower,
)
from greengate.measurement import Component

HARDWARE = Hardware(
    cpu_model="AMD EPYC 7763 64-Core Processor",
    threads=4,
    socket_threads=128,
    tdp_watts=280.0,
    tdp_match="AMD EPYC 7763",
    virtualised=True,
    ram_total_bytes=16 * GB,
    rapl=False,
)

# --- CPU and memory -----------------------------------------------------------------------


def test_cpu_energy_is_cpu_seconds_times_the_power_of_one_thread() -> None:
    usage = make_usage()
    energy = CpuThreadPower(HARDWARE).energy(usage)
    watts = HARDWARE.tdp_watts / HARDWARE.socket_threads  # type: ignore[operator]
    assert energy.component is Component.CPU
    assert energy.kwh == pytest.approx(usage.cpu_seconds * watts / JOULES_PER_KWH)
    assert energy.method == "cpu-seconds-x-thread-power"
    assert f"{usage.cpu_seconds:.3f} CPU-s" in energy.detail
    assert "AMD EPYC 7763" in energy.detail


def test_a_cpu_missing_from_the_tdp_table_gets_codecarbons_default() -> None:
    unknown = dataclasses.replace(HARDWARE, tdp_watts=None, tdp_match=None)
    usage = make_usage()
    energy = CpuThreadPower(unknown).energy(usage)
    assert unknown.watts_per_thread == DEFAULT_WATTS_PER_THREAD
    assert energy.kwh == pytest.approx(
        usage.cpu_seconds * DEFAULT_WATTS_PER_THREAD / JOULES_PER_KWH
    )
    assert "not in its TDP table" in energy.detail


def test_zero_threads_per_socket_does_not_divide_by_zero() -> None:
    odd = dataclasses.replace(HARDWARE, socket_threads=0)
    assert odd.watts_per_thread == HARDWARE.tdp_watts


def test_no_cpu_time_is_no_cpu_energy() -> None:
    usage = make_usage(user_seconds=0.0, system_seconds=0.0)
    assert CpuThreadPower(HARDWARE).energy(usage).kwh == 0.0


def test_memory_energy_is_mean_resident_gb_times_watts_times_wall_time() -> None:
    usage = make_usage()
    energy = MemoryResidentPower().energy(usage)
    gb = usage.mean_rss_bytes / GB
    assert energy.component is Component.MEMORY
    assert energy.kwh == pytest.approx(
        gb * WATTS_PER_GB_MEMORY * usage.wall_seconds / JOULES_PER_KWH
    )
    assert f"{usage.wall_seconds:.2f} s" in energy.detail


def test_memory_energy_doubles_with_twice_the_memory() -> None:
    usage = make_usage()
    one = MemoryResidentPower().energy(usage).kwh
    two = MemoryResidentPower().energy(make_usage(mean_rss_bytes=2 * usage.mean_rss_bytes)).kwh
    assert two == pytest.approx(2 * one)


# --- GPU through a fake NVML --------------------------------------------------------------


class NVMLError_NotSupported(Exception):  # named as pynvml names it
    def __str__(self) -> str:
        return "Not Supported"


class FakeNvml:
    """The few pynvml functions NvmlGpu calls; each read advances the counters by ``step``."""

    def __init__(
        self,
        start: list[int],
        step: list[int],
        names: list[Any] | None = None,
        fail_on_read: dict[int, Exception] | None = None,
    ) -> None:
        self.counters = list(start)
        self.step = step
        self.names = names or [f"NVIDIA Fake {i}".encode() for i in range(len(start))]
        self.reads = 0
        self.fail_on_read = fail_on_read or {}  # the n-th read (1-based) raises this

    def nvmlDeviceGetCount(self) -> int:
        return len(self.counters)

    def nvmlDeviceGetHandleByIndex(self, i: int) -> tuple[str, int]:
        return ("handle", i)

    def nvmlDeviceGetName(self, handle: tuple[str, int]) -> Any:
        return self.names[handle[1]]

    def nvmlDeviceGetTotalEnergyConsumption(self, handle: tuple[str, int]) -> int:
        i = handle[1]
        if i == 0:
            self.reads += 1
            if self.reads in self.fail_on_read:
                raise self.fail_on_read[self.reads]
        value = self.counters[i]
        self.counters[i] += self.step[i]
        return value


def test_gpu_energy_is_the_change_of_every_counter() -> None:
    nvml = FakeNvml(start=[1_000_000, 5_000_000], step=[3_600_000, 7_200_000])
    source = NvmlGpu(nvml)
    source.begin()
    energy = source.energy(make_usage())
    millijoules = sum(nvml.step)  # one read before, one after: each counter moved one step
    assert energy.component is Component.GPU
    assert energy.kwh == pytest.approx(millijoules / 1000 / JOULES_PER_KWH)
    assert energy.method == "nvml-energy-counter"
    assert "2 visible GPU(s)" in energy.detail
    assert "NVIDIA Fake 0, NVIDIA Fake 1" in energy.detail  # bytes names decoded


def test_gpu_names_as_str_are_kept() -> None:
    source = NvmlGpu(FakeNvml(start=[0], step=[1000], names=["NVIDIA H100 80GB HBM3"]))
    source.begin()
    assert "NVIDIA H100 80GB HBM3" in source.energy(make_usage()).detail


def test_a_gpu_without_an_energy_counter_is_unavailable_with_the_reason() -> None:
    nvml = FakeNvml(start=[0], step=[1000], fail_on_read={1: NVMLError_NotSupported()})
    source = NvmlGpu(nvml)
    source.begin()
    energy = source.energy(make_usage())
    assert (energy.kwh, energy.method) == (0.0, "unavailable")
    assert energy.detail == "NVML energy counter unavailable: Not Supported"


def test_a_read_failing_mid_run_is_unavailable_with_the_reason() -> None:
    nvml = FakeNvml(start=[0], step=[1000], fail_on_read={2: RuntimeError("GPU is lost")})
    source = NvmlGpu(nvml)
    source.begin()
    energy = source.energy(make_usage())
    assert (energy.kwh, energy.method) == (0.0, "unavailable")
    assert energy.detail == "NVML read failed mid-run: GPU is lost"
    # And it stays so: a later call must not report a figure from a half-broken reading.
    assert source.energy(make_usage()).method == "unavailable"


def test_energy_without_begin_is_unavailable() -> None:
    energy = NvmlGpu(FakeNvml(start=[0], step=[1000])).energy(make_usage())
    assert (energy.method, energy.detail) == ("unavailable", "no reading")


@pytest.fixture
def driver(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend an NVIDIA driver is installed."""
    monkeypatch.setenv("GREENGATE_FORCE_NVML", "1")


def test_no_driver_means_no_gpu_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu_module, "nvidia_driver_present", lambda: False)
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: pytest.fail("NVML loaded without driver"))
    assert gpu_source() is None


@pytest.mark.usefixtures("driver")
def test_gpu_source_with_a_driver_and_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: FakeNvml(start=[0], step=[1]))
    assert isinstance(gpu_source(), NvmlGpu)


@pytest.mark.usefixtures("driver")
def test_no_gpu_behind_the_driver_means_no_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: FakeNvml(start=[], step=[]))
    assert gpu_source() is None


@pytest.mark.usefixtures("driver")
def test_nvml_failing_to_load_or_count_means_no_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gpu_module, "load_nvml", lambda: None)
    assert gpu_source() is None

    class Broken(FakeNvml):
        def nvmlDeviceGetCount(self) -> int:
            raise RuntimeError("driver/library version mismatch")

    monkeypatch.setattr(gpu_module, "load_nvml", lambda: Broken(start=[0], step=[1]))
    assert gpu_source() is None
