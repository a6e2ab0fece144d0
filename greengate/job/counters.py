"""Hardware counters across a job's steps: RAPL packages and NVIDIA GPUs, followed by the sampler.

The sampler asks the energy layer's own readers (``energy/rapl.py``: wrap-around, mirrored
counters; ``energy/gpu.py``: NVML's energy counters, or power readings integrated where a GPU
has none) for the energy since the job started at every sample, and writes it into each mark;
a lap's CPU or GPU energy is then the difference between its two marks, the counter tier, as
a ``greengate run`` on the same machine gets. The job is the whole machine: every GPU counts.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Collection, Mapping
from pathlib import Path

from greengate.energy.gpu import (
    COUNTER_BAND,
    IGNORE_COUNTER_VARIABLE,
    POWER_SAMPLES_BAND,
    NvmlGpu,
    gpu_source,
)
from greengate.energy.interface import CounterError, EnergySource
from greengate.energy.rapl import HIGH_FACTOR, LOW_FACTOR, POWERCAP, RaplCpu, package_zones
from greengate.measurement import JOULES_PER_KWH, Component, ComponentEnergy, Scope, Tier, TreeUsage
from greengate.units import significant

_NO_USAGE = TreeUsage(0.0, 0.0, 0.0, 0, 0, 0, 0.0)  # machine scope reads no usage


def powercap_root(env: Mapping[str, str]) -> Path:
    """Where the RAPL zones are: GREENGATE_POWERCAP_DIR (containers, tests), else sysfs."""
    return Path(env.get("GREENGATE_POWERCAP_DIR") or POWERCAP)


class RaplFollower:
    """The RAPL package energy since ``begin``, for the sampler; ``error`` says why none."""

    def __init__(self, root: Path) -> None:
        self.error: str | None = None
        self._rapl: RaplCpu | None = None
        if not package_zones(root):
            return  # most VMs: no counters, nothing to say
        reason = RaplCpu.probe(root)
        if reason is not None:
            self.error = f"RAPL counters unreadable: {reason}"
            return
        self._rapl = RaplCpu(Scope.MACHINE, root)

    def begin(self) -> None:
        """The starting reading; a failure leaves the job on the estimate, with the reason."""
        if self._rapl is None:
            return
        try:
            self._rapl.begin()
        except CounterError as e:
            self._fail(e)

    def joules(self) -> float | None:
        """Joules since ``begin`` (wraps undone); None once a read has failed."""
        if self._rapl is None:
            return None
        try:
            return self._rapl.energy(_NO_USAGE).kwh * JOULES_PER_KWH
        except CounterError as e:
            self._fail(e)
            return None

    def _fail(self, e: CounterError) -> None:
        self.error, self._rapl = f"RAPL failed during the job: {e.reason}", None


def follower_from_env() -> RaplFollower:
    """The sampler's follower, for the powercap root its environment names."""
    return RaplFollower(powercap_root(os.environ))


class RecordedCounter(EnergySource):
    """A stretch of a counter the sampler followed, handed to the energy session (machine
    scope: the whole packages, every GPU); ``joules`` is set per lap before it is read."""

    method = ""
    coefficient = ""
    band = (1.0, 1.0)

    def __init__(self) -> None:
        self.joules = 0.0  # the stretch the session is about to finish (set per lap)

    def begin(self) -> None:
        """Read by the sampler already."""

    def observe(self, pids: Collection[int]) -> None:
        """Read by the sampler already."""

    @abstractmethod
    def describe(self) -> str:
        """The detail, in words."""

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        """The stretch's energy, all of it."""
        kwh = max(self.joules, 0.0) / JOULES_PER_KWH
        return ComponentEnergy(
            self.component,
            kwh,
            self.method,
            self.describe(),
            tier=Tier.COUNTER,
            low_kwh=kwh * self.band[0],
            high_kwh=kwh * self.band[1],
            coefficients=((self.coefficient, self.joules),),
        )


class RecordedRapl(RecordedCounter):
    """The job's RAPL record, as the energy session's CPU counter."""

    component = Component.CPU
    name = "RAPL"
    method = "rapl-energy-counter"
    coefficient = "package_joules"
    band = (LOW_FACTOR, HIGH_FACTOR)

    def describe(self) -> str:
        return (
            f"RAPL package counter(s): {significant(self.joules)} J, followed by the job's "
            "sampler; the whole package(s) (machine scope)"
        )


class GpuFollower:
    """Every GPU's energy since ``begin`` (NVML), for the sampler; ``error`` says why none."""

    def __init__(self, source: NvmlGpu | None) -> None:
        self.error: str | None = None
        self._gpu = source
        # How the last reading was made (the counter, or power readings integrated) and its
        # band as fractions of the figure, once there is one: the job's GPU laps carry them
        # (RecordedGpu: a GPU without a counter is +-15 %, not the counter's +-5 %).
        self.method: str | None = None
        self.band: tuple[float, float] | None = None

    def begin(self) -> None:
        """The starting reading; a failure leaves the job without GPU energy, with the reason."""
        if self._gpu is not None:
            self._gpu.begin()

    def joules(self) -> float | None:
        """Joules since ``begin``; None where there is no GPU or NVML has failed."""
        if self._gpu is None:
            return None
        energy = self._gpu.energy(_NO_USAGE)
        if energy.tier is Tier.UNAVAILABLE:
            self.error, self._gpu = f"NVML failed during the job: {energy.fallback}", None
            return None
        self.method = energy.method
        if energy.kwh > 0 and energy.low_kwh is not None and energy.high_kwh is not None:
            self.band = (energy.low_kwh / energy.kwh, energy.high_kwh / energy.kwh)
        return energy.kwh * JOULES_PER_KWH


def gpu_follower_from_env() -> GpuFollower:
    """The sampler's GPU follower: NVML where a driver and a GPU are present (machine scope)."""
    ignore = os.environ.get(IGNORE_COUNTER_VARIABLE) == "1"
    return GpuFollower(gpu_source(machine_scope=True, ignore_counter=ignore))


class RecordedGpu(RecordedCounter):
    """The job's NVML record, as the energy session's GPU counter."""

    component = Component.GPU
    name = "NVML"
    COUNTER_METHOD = "nvml-energy-counter"
    POWER_METHOD = "nvml-power-samples"
    coefficient = "gpu_joules"

    def __init__(self, method: str | None = None, band: tuple[float, float] | None = None) -> None:
        super().__init__()
        self.method = method or self.COUNTER_METHOD
        self.band = band or (
            POWER_SAMPLES_BAND if self.method == self.POWER_METHOD else COUNTER_BAND
        )

    def describe(self) -> str:
        how = (
            "power readings integrated (a GPU without an energy counter, or "
            f"{IGNORE_COUNTER_VARIABLE}=1)"
            if self.method == self.POWER_METHOD
            else "energy counter"
        )
        return (
            f"NVML: {significant(self.joules)} J of every visible GPU (its {how}), followed "
            "by the job's sampler (machine scope)"
        )
