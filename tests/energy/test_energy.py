"""Energy models (the power curve, TDP tiers, memory) and the NVML GPU source's discovery."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from factories import make_usage

from greengate.energy.estimate import (
    GB,
    JOULES_PER_KWH,
    TDP_IDLE_SHARE,
    WATTS_PER_GB_MEMORY,
    memory_energy,
    profile_model,
    tdp_model,
)
from greengate.energy.gpu import NvmlGpu, gpu_source, nvml_counter
from greengate.energy.hardware import DEFAULT_WATTS_PER_THREAD, Hardware
from greengate.energy.profiles import PowerCurve, profile_by_name
from greengate.measurement import Component, Scope, Tier

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

# --- the CPU: one curve formula for every tier ----------------------------------------------


def test_tdp_tier_is_cpu_seconds_times_the_power_of_one_thread() -> None:
    """Process scope on a linear curve is exactly cpu_s x TDP / socket threads."""
    model = tdp_model(HARDWARE)
    watts = 280.0 / 128
    assert model.tier is Tier.TDP
    for cpu_s, wall in [(123.75, 95.4), (1.0, 10.0), (4.0, 1.0)]:
        joules = model.process_joules(cpu_s, wall)
        assert joules == pytest.approx(cpu_s * watts)


def test_the_tdp_tier_counts_the_threads_here_never_the_whole_socket() -> None:
    model = tdp_model(HARDWARE)
    # A 4-vCPU slice of a 128-thread, 280 W socket: 8.75 W at full load, not 280 W.
    assert model.curve.max_watts == pytest.approx(280.0 * 4 / 128)
    assert model.curve.idle_watts == pytest.approx(model.curve.max_watts * TDP_IDLE_SHARE)


def test_a_cpu_missing_from_the_tdp_table_gets_codecarbons_default_and_a_wider_band() -> None:
    unknown = dataclasses.replace(HARDWARE, tdp_watts=None, tdp_match=None)
    model = tdp_model(unknown)
    assert model.tier is Tier.DEFAULT
    assert model.process_joules(10.0, 20.0) == pytest.approx(10.0 * DEFAULT_WATTS_PER_THREAD)
    assert "not in its TDP table" in model.source
    default = model.component(3600.0, "d", None)
    tdp = tdp_model(HARDWARE).component(3600.0, "d", None)
    assert default.high / default.kwh > tdp.high / tdp.kwh
    assert default.low / default.kwh < tdp.low / tdp.kwh


def test_zero_threads_per_socket_does_not_divide_by_zero() -> None:
    odd = dataclasses.replace(HARDWARE, socket_threads=0)
    assert odd.watts_per_thread == HARDWARE.tdp_watts


def test_no_cpu_time_is_no_cpu_energy() -> None:
    assert tdp_model(HARDWARE).process_joules(0.0, 10.0) == 0.0
    assert tdp_model(HARDWARE).process_joules(1.0, 0.0) == 0.0


def test_the_github_curve_interpolates_as_eco_ci_does() -> None:
    curve = profile_by_name("github-linux-4vcpu", 4).curve
    # Eco CI's own table (machine-power-data/github_EPYC_7763_4_CPU_shared.sh) lists these
    # 0.01 %-step values, interpolated between its 5 % points.
    assert curve.watts(0.0) == pytest.approx(1.7586170434951782)
    assert curve.watts(0.01) == pytest.approx(2.0954405784606935)
    assert curve.watts(0.0276) == pytest.approx(2.68825, rel=1e-6)
    assert curve.watts(1.0) == pytest.approx(8.179628372192383)
    assert curve.watts(1.7) == curve.watts(1.0)  # clamped
    assert curve.watts(-1.0) == curve.watts(0.0)


def test_process_scope_charges_cpu_seconds_at_the_full_load_power_per_vcpu() -> None:
    model = profile_model(profile_by_name("github-linux-4vcpu", 4))
    assert model.tier is Tier.PROFILE
    per_vcpu = model.curve.max_watts / 4  # 8.18 W for the 4-vCPU share: 2.04 W per vCPU
    assert model.process_joules(10.0, 10.0) == pytest.approx(10.0 * per_vcpu)
    # The wall time (a loaded machine, waits) does not change the tree's figure ...
    assert model.process_joules(10.0, 25.0) == model.process_joules(10.0, 10.0)
    # ... and the whole VM for the run, idle included, is never less than the tree's share.
    assert model.process_joules(10.0, 10.0) <= model.curve.watts(0.25) * 10.0


def test_process_energy_is_proportional_to_cpu_time() -> None:
    """The stability property: energy varies run to run exactly as CPU time does."""
    model = dataclasses.replace(
        profile_model(profile_by_name("aws", 4)), curve=PowerCurve(((0.0, 3.0), (1.0, 14.0)))
    )
    base = model.process_joules(4.0, 4.1)
    assert model.process_joules(4.4, 4.5) / base == pytest.approx(1.1)


def test_a_profile_scaled_to_another_size_scales_its_curve_and_embodied() -> None:
    four, two = profile_by_name("github-linux-4vcpu", 4), profile_by_name("github-linux-2vcpu", 4)
    assert two.curve.watts(0.5) == pytest.approx(four.curve.watts(0.5) / 2)
    assert two.embodied_kg == pytest.approx(four.embodied_kg / 2)  # type: ignore[operator]


# --- memory ---------------------------------------------------------------------------------


def test_memory_energy_is_mean_resident_gb_times_watts_times_wall_time() -> None:
    usage = make_usage()
    energy = memory_energy(Scope.PROCESS, usage.wall_seconds, usage.mean_rss_bytes, 0, None)
    gb = usage.mean_rss_bytes / GB
    assert energy.component is Component.MEMORY
    assert energy.tier is Tier.COEFFICIENT
    assert energy.kwh == pytest.approx(
        gb * WATTS_PER_GB_MEMORY * usage.wall_seconds / JOULES_PER_KWH
    )
    assert "x 95.4 s" in energy.detail  # the wall time of make_usage(), three digits
    assert energy.low < energy.kwh < energy.high


def test_machine_scope_memory_is_the_machines_ram() -> None:
    energy = memory_energy(Scope.MACHINE, 3600.0, 1.0, 16 * GB, None)
    assert energy.kwh == pytest.approx(16 * WATTS_PER_GB_MEMORY / 1000)


def test_memory_inside_a_specpower_curve_is_not_counted_twice() -> None:
    energy = memory_energy(Scope.PROCESS, 3600.0, GB, 16 * GB, "github-linux-4vcpu")
    assert energy.kwh == 0.0
    assert "included in github-linux-4vcpu" in energy.detail


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

    def nvmlDeviceGetPowerUsage(self, handle: tuple[str, int]) -> int:
        return 250_000  # mW


def test_gpu_names_as_str_are_kept() -> None:
    source = NvmlGpu(FakeNvml(start=[0], step=[1000], names=["NVIDIA H100 80GB HBM3"]))
    source.begin()
    assert "NVIDIA H100 80GB HBM3" in source.energy(make_usage()).detail


def driver() -> bool:
    """An NVIDIA driver is installed."""
    return True


def test_no_driver_means_no_gpu_source() -> None:
    def refuse() -> None:
        pytest.fail("NVML loaded without driver")

    assert gpu_source(driver_present=lambda: False, nvml=refuse) is None


def test_gpu_source_with_a_driver_and_a_gpu() -> None:
    source = gpu_source(driver_present=driver, nvml=lambda: FakeNvml(start=[0], step=[1]))
    assert isinstance(source, NvmlGpu)


def test_no_gpu_behind_the_driver_means_no_source() -> None:
    assert gpu_source(driver_present=driver, nvml=lambda: FakeNvml(start=[], step=[])) is None


def test_nvml_failing_to_load_or_count_means_no_source() -> None:
    assert gpu_source(driver_present=driver, nvml=lambda: None) is None

    class Broken(FakeNvml):
        def nvmlDeviceGetCount(self) -> int:
            raise RuntimeError("driver/library version mismatch")

    assert gpu_source(driver_present=driver, nvml=lambda: Broken(start=[0], step=[1])) is None


@pytest.mark.parametrize(
    "env, scope, method, which",
    [
        ({}, Scope.PROCESS, "nvml-energy-counter", "never sampled"),
        ({}, Scope.MACHINE, "nvml-energy-counter", "machine scope counts the whole machine"),
        (
            {"GREENGATE_NVML_POWER_SAMPLES": "1"},
            Scope.PROCESS,
            "nvml-power-samples",
            "energy counter ignored (GREENGATE_NVML_POWER_SAMPLES=1)",
        ),
    ],
)
def test_the_nvml_counter_follows_the_scope_and_the_power_samples_switch(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], scope: Scope, method: str, which: str
) -> None:
    monkeypatch.setenv("GREENGATE_FORCE_NVML", "1")  # whether or not this machine has a driver
    source = nvml_counter(env, nvml=lambda: FakeNvml(start=[0], step=[1000]))(scope)
    assert source is not None
    source.begin()
    energy = source.energy(make_usage())
    assert energy.method == method
    assert which in energy.detail
