"""GPU energy from NVIDIA's own counters (NVML), for the GPUs the command's tree used.

The sampler thread hands :meth:`NvmlGpu.observe` the tree's live pids; NVML's process lists
(or, in a container, the tree's open ``/dev/nvidiaN`` files: energy/gpu_usage.py) then say
which GPUs the tree touched. In process scope a tree seen on no GPU is charged no GPU
energy; machine scope counts every visible GPU, as it counts the whole machine's CPU.
Where the samples could not have seen the tree (never sampled, nothing readable), every
visible GPU is counted and the detail says why.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from greengate.energy.interface import EnergySource, GpuCounter
from greengate.energy.nvml import (
    PowerIntegral,
    in_child_pid_namespace,
    load_nvml,
    not_supported,
    nvidia_driver_present,
)
from greengate.measurement import (
    JOULES_PER_KWH,
    Component,
    ComponentEnergy,
    Scope,
    Tier,
    TreeUsage,
)
from greengate.units import format_count

# NVML documents "+/- 5 % of current power draw" for nvmlDeviceGetPowerUsage on Fermi and
# Kepler GPUs only, and no figure for the total-energy counter (Volta and later): carrying
# +/- 5 % over to the counter is our assumption.
COUNTER_BAND = (0.95, 1.05)
# Power readings sampled once per sampler tick miss what happens between two ticks, and
# GPUs without an energy counter are the old ones whose readings NVML rates at +/- 5 %.
POWER_SAMPLES_BAND = (0.85, 1.15)

# Measures a GPU with a counter from its power readings too, to check one path against the
# other on the same hardware (bench/gpu.py).
IGNORE_COUNTER_VARIABLE = "GREENGATE_NVML_POWER_SAMPLES"


class NvmlGpu(EnergySource):
    """GPU energy = the change in each used GPU's NVML total-energy counter (millijoules).

    A GPU without that counter (pre-Volta: NVMLError_NotSupported) falls back to its power
    readings, sampled at ``begin``, each ``observe`` and each ``energy`` call, integrated over
    time. An NVML failure mid-run makes the component unavailable (zero, with the reason).
    """

    component = Component.GPU
    name = "NVML"

    def __init__(
        self,
        nvml: Any,
        *,
        clock: Callable[[], float] = time.monotonic,
        child_pid_namespace: bool | None = None,
        machine_scope: bool = False,
        ignore_counter: bool = False,
        open_devices: Callable[[Collection[int]], set[int] | None] | None = None,
    ) -> None:
        self._nvml = nvml
        count = nvml.nvmlDeviceGetCount()
        self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        self._names = [_text(nvml.nvmlDeviceGetName(h)) for h in self._handles]
        self._clock = clock
        self._child_pid_namespace = (
            in_child_pid_namespace() if child_pid_namespace is None else child_pid_namespace
        )
        self._machine_scope = machine_scope
        self._ignore_counter = ignore_counter
        # Only a machine with an NVIDIA driver gets here: the rest never load it (start-up).
        from greengate.energy.gpu_usage import GpuUse, devices_opened

        opened = open_devices or devices_opened  # default: the tree's open /dev/nvidiaN files
        self._use = GpuUse(nvml, self._handles, self._child_pid_namespace, opened)
        # observe() runs on the sampler thread, energy() on the main one.
        self._lock = threading.Lock()
        self._begun = False
        self._start: list[int | None] = []  # counter at begin(); None: power samples instead
        self._power: dict[int, PowerIntegral] = {}
        self._no_counter: str | None = None  # why the counter is not read, in words
        self.error: str | None = None

    def begin(self) -> None:
        """Read the counters (or a first power reading) just before the command starts."""
        with self._lock:
            self._start, self._power, self._begun = [], {}, True
            now = self._clock()
            for i, handle in enumerate(self._handles):
                try:
                    if self._ignore_counter:
                        raise _CounterIgnored()
                    self._start.append(self._counter(i))
                except Exception as e:
                    if not isinstance(e, _CounterIgnored) and not not_supported(e):
                        self.error = f"NVML energy counter unavailable: {e}"  # driver hiccups
                        return
                    self._no_counter = (
                        f"energy counter ignored ({IGNORE_COUNTER_VARIABLE}=1)"
                        if isinstance(e, _CounterIgnored)
                        else f"no NVML energy counter ({e})"
                    )
                    self._start.append(None)
                    self._power[i] = PowerIntegral()
                    try:
                        self._power[i].add(now, self._nvml.nvmlDeviceGetPowerUsage(handle))
                    except Exception as power_error:
                        self.error = (
                            f"GPU {i}: {self._no_counter} and no power reading ({power_error})"
                        )
                        return

    def _counter(self, index: int) -> int:
        """One GPU's total-energy counter, in millijoules since the driver loaded."""
        return int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handles[index]))

    def observe(self, pids: Collection[int]) -> None:
        """Note which GPUs run any of ``pids`` (the tree's live processes); never raises."""
        with self._lock:
            if not self._begun or self.error is not None:
                return
            self._use.observe(pids if isinstance(pids, set | frozenset) else set(pids))
            if self._power:
                try:
                    self._sample_power()
                except Exception as e:
                    self.error = f"NVML power reading failed mid-run: {e}"

    def _sample_power(self) -> None:
        now = self._clock()
        for i, integral in self._power.items():
            integral.add(now, self._nvml.nvmlDeviceGetPowerUsage(self._handles[i]))

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        """Energy of the GPUs the tree used (all visible ones when NVML did not say)."""
        with self._lock:
            if self.error is not None:
                return _unavailable(self.error)
            if not self._begun:
                return _unavailable("NVML counters were not read before the command started")
            counted = self._counted()
            if not counted:
                return self._unused()
            try:
                joules = self._joules(counted)
            except Exception as e:
                self.error = f"NVML read failed mid-run: {e}"
                return _unavailable(self.error)
            return self._component(counted, joules)

    def _joules(self, counted: list[int]) -> dict[int, float]:
        """Joules of each counted GPU since ``begin``, reading the counters once more."""
        if self._power:
            self._sample_power()
        joules = {}
        for i in counted:
            start = self._start[i]
            if start is None:
                joules[i] = self._power[i].joules
                continue
            now = self._counter(i)
            if now < start:  # the counter restarts with the driver
                raise RuntimeError(f"GPU {i}'s energy counter went backwards")
            joules[i] = (now - start) / 1000
        return joules

    def _component(self, counted: list[int], joules: dict[int, float]) -> ComponentEnergy:
        from greengate.energy.gpu_usage import gpu_list, which_gpus  # loaded with GpuUse

        sampled = [i for i in counted if self._start[i] is None]
        metered = [i for i in counted if self._start[i] is not None]
        low = high = 0.0
        for i, j in joules.items():
            band = POWER_SAMPLES_BAND if i in sampled else COUNTER_BAND
            low, high = low + j * band[0], high + j * band[1]
        how = []
        if metered:
            of = f" of {gpu_list(metered)}" if sampled else ""
            how.append(f"NVML total-energy counter{of} read before and after the command")
        fallback = None
        if sampled:
            samples = min(self._power[i].samples for i in sampled)
            fallback = f"{gpu_list(sampled)}: {self._no_counter}"
            how.append(f"{fallback}, so {samples} power readings integrated over time")
        total = sum(joules.values())
        return ComponentEnergy(
            Component.GPU,
            total / JOULES_PER_KWH,
            "nvml-power-samples" if sampled else "nvml-energy-counter",
            f"{which_gpus(self._use, self._names, counted, self._machine_scope)}; {'; '.join(how)}",
            tier=Tier.COUNTER,
            low_kwh=low / JOULES_PER_KWH,
            high_kwh=high / JOULES_PER_KWH,
            coefficients=(("gpu_joules", total), ("gpus_counted", float(len(counted)))),
            fallback=fallback,
        )

    def _counted(self) -> list[int]:
        """The GPUs charged to the run: machine scope all; process scope those the tree used."""
        everything = list(range(len(self._handles)))
        if self._machine_scope:
            return everything
        found = self._use.gpus()
        if found:
            return sorted(found)
        # Seen on no GPU although the samples would have shown it: a CPU-only command.
        return [] if self._use.evidence() else everything

    def _unused(self) -> ComponentEnergy:
        """Process scope, a tree seen on none of the GPUs: no GPU energy is its."""
        n, use = len(self._handles), self._use
        how = "NVML's process lists" + (
            " and their open /dev/nvidia* files" if use.files_read else ""
        )
        return ComponentEnergy(
            Component.GPU,
            0.0,
            "nvml-power-samples" if self._power else "nvml-energy-counter",
            f"none of the {format_count(n, 'visible GPU')} ({', '.join(self._names)}) ran the "
            f"command's processes in {format_count(use.observed, 'sample')} ({how}), so process "
            "scope charges it no GPU energy",
            tier=Tier.COUNTER,
            low_kwh=0.0,
            high_kwh=0.0,
            coefficients=(("gpu_joules", 0.0), ("gpus_counted", 0.0)),
        )


class _CounterIgnored(Exception):
    """The energy counter is there but IGNORE_COUNTER_VARIABLE asked for power readings."""


def _unavailable(reason: str) -> ComponentEnergy:
    return ComponentEnergy(
        Component.GPU,
        0.0,
        "unavailable",
        f"no GPU figure, so the GPUs' energy is missing from the total: {reason}",
        tier=Tier.UNAVAILABLE,
        fallback=reason,
    )


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def nvml_counter(env: Mapping[str, str], *, nvml: Callable[[], Any] = load_nvml) -> GpuCounter:
    """The GPU counter for a scope: NVML where a driver and a GPU are present, else None.

    ``GREENGATE_NVML_POWER_SAMPLES=1`` in ``env`` forces the power readings over the counter;
    ``nvml`` loads the library (see :func:`gpu_source`).
    """
    ignore = env.get(IGNORE_COUNTER_VARIABLE) == "1"

    def build(scope: Scope) -> NvmlGpu | None:
        return gpu_source(machine_scope=scope is Scope.MACHINE, ignore_counter=ignore, nvml=nvml)

    return build


def gpu_source(
    *,
    machine_scope: bool = False,
    ignore_counter: bool = False,
    nvml: Callable[[], Any] = load_nvml,
    driver_present: Callable[[], bool] = nvidia_driver_present,
) -> NvmlGpu | None:
    """An NVML source when an NVIDIA driver and at least one GPU are present.

    ``driver_present`` is asked first, so a machine without the driver never loads NVML;
    ``nvml`` then gives the initialised library (pynvml), or None where it cannot load.
    """
    if not driver_present():
        return None
    library = nvml()
    if library is None:
        return None
    try:
        source = NvmlGpu(library, machine_scope=machine_scope, ignore_counter=ignore_counter)
    except Exception:
        return None
    return source if source._handles else None
