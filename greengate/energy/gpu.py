"""GPU energy from NVIDIA's own counters (NVML), for the GPUs the command's tree used.

The sampler thread hands :meth:`NvmlGpu.observe` the tree's live pids; NVML's lists of
processes running on each GPU then say which GPUs the tree touched. Where NVML names none
of the tree's processes (listing unsupported, a container's pid namespace, or a tree that
used no GPU while sampled), every visible GPU is counted and the detail says so.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

from greengate.energy.interface import EnergySource
from greengate.measurement import JOULES_PER_KWH, Component, ComponentEnergy, Tier, TreeUsage

# NVML documents "+/- 5 % of current power draw" for nvmlDeviceGetPowerUsage on Fermi and
# Kepler GPUs only, and no figure for the total-energy counter (Volta and later): carrying
# +/- 5 % over to the counter is our assumption.
COUNTER_BAND = (0.95, 1.05)
# Power readings sampled once per sampler tick miss what happens between two ticks, and
# GPUs without an energy counter are the old ones whose readings NVML rates at +/- 5 %.
POWER_SAMPLES_BAND = (0.85, 1.15)

# The initial pid namespace's inode number (PROC_PID_INIT_INO, include/linux/proc_ns.h).
_INIT_PID_NAMESPACE = "pid:[4026531836]"


def nvidia_driver_present() -> bool:
    """Cheap check before loading NVML at all (no driver, no GPU component)."""
    return (
        os.path.exists("/proc/driver/nvidia/version")
        or os.environ.get("GREENGATE_FORCE_NVML") == "1"
    )


def load_nvml() -> ModuleType | None:
    """pynvml (nvidia-ml-py, a codecarbon dependency) initialised, or None."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception:  # no library, no driver, no device: all mean "no NVML"
        return None
    module: ModuleType = pynvml
    return module


def in_child_pid_namespace() -> bool:
    """Whether this process sees pids of a child namespace (a container), not the host's."""
    try:
        return os.readlink("/proc/self/ns/pid") != _INIT_PID_NAMESPACE
    except OSError:  # no /proc (macOS) or no namespaces: pids are the host's
        return False


def _not_supported(error: BaseException) -> bool:
    # pynvml builds its error classes at import time (NVMLError_NotSupported, code 3);
    # matching the name keeps this module free of a pynvml import.
    return type(error).__name__ == "NVMLError_NotSupported"


class _PowerIntegral:
    """Trapezoid sum of power readings over time: constant memory however long the run."""

    __slots__ = ("joules", "last_mw", "last_t", "samples")

    def __init__(self) -> None:
        self.joules = 0.0
        self.samples = 0
        self.last_t: float | None = None
        self.last_mw = 0.0

    def add(self, t: float, milliwatts: float) -> None:
        if self.last_t is not None and t > self.last_t:
            self.joules += (milliwatts + self.last_mw) / 2 / 1000 * (t - self.last_t)
        self.last_t, self.last_mw = t, milliwatts
        self.samples += 1


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
    ) -> None:
        self._nvml = nvml
        count = nvml.nvmlDeviceGetCount()
        self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        self._names = [_text(nvml.nvmlDeviceGetName(h)) for h in self._handles]
        self._clock = clock
        self._child_pid_namespace = (
            in_child_pid_namespace() if child_pid_namespace is None else child_pid_namespace
        )
        # observe() runs on the sampler thread, energy() on the main one.
        self._lock = threading.Lock()
        self._begun = False
        self._start: list[int | None] = []  # counter at begin(); None: power samples instead
        self._power: dict[int, _PowerIntegral] = {}
        self._no_counter: str | None = None  # NVML's words for the missing counter
        self._used: set[int] = set()  # GPUs NVML said ran one of the tree's pids
        self._unlistable: dict[int, str] = {}  # GPU -> why NVML cannot list its processes
        self._observed = 0
        self.error: str | None = None

    def begin(self) -> None:
        """Read the counters (or a first power reading) just before the command starts."""
        with self._lock:
            self._start, self._power, self._begun = [], {}, True
            now = self._clock()
            for i, handle in enumerate(self._handles):
                try:
                    self._start.append(self._counter(i))
                except Exception as e:
                    if not _not_supported(e):  # driver hiccups
                        self.error = f"NVML energy counter unavailable: {e}"
                        return
                    self._no_counter = str(e)
                    self._start.append(None)
                    self._power[i] = _PowerIntegral()
                    try:
                        self._power[i].add(now, self._nvml.nvmlDeviceGetPowerUsage(handle))
                    except Exception as power_error:
                        self.error = (
                            f"GPU {i} has no NVML energy counter ({e}) "
                            f"and no power reading ({power_error})"
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
            self._observed += 1
            live = pids if isinstance(pids, set | frozenset) else set(pids)
            for i, handle in enumerate(self._handles):
                if i not in self._used and i not in self._unlistable:
                    self._list(i, handle, live)
            if self._power:
                try:
                    self._sample_power()
                except Exception as e:
                    self.error = f"NVML power reading failed mid-run: {e}"

    def _list(self, index: int, handle: Any, live: Collection[int]) -> None:
        nvml, failures = self._nvml, []
        for running in (
            nvml.nvmlDeviceGetComputeRunningProcesses,
            nvml.nvmlDeviceGetGraphicsRunningProcesses,
        ):
            try:
                if any(p.pid in live for p in running(handle)):
                    self._used.add(index)
                    return
            except Exception as e:  # NotSupported on some GPUs (MIG, vGPU) for one kind
                failures.append(str(e))
        if len(failures) == 2:
            self._unlistable[index] = failures[0]

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
            counted = sorted(self._used) or list(range(len(self._handles)))
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
        sampled = [i for i in counted if self._start[i] is None]
        metered = [i for i in counted if self._start[i] is not None]
        low = high = 0.0
        for i, j in joules.items():
            band = POWER_SAMPLES_BAND if i in sampled else COUNTER_BAND
            low, high = low + j * band[0], high + j * band[1]
        how = []
        if metered:
            of = f" of {_gpus(metered)}" if sampled else ""
            how.append(f"NVML total-energy counter{of} read before and after the command")
        fallback = None
        if sampled:
            samples = min(self._power[i].samples for i in sampled)
            fallback = f"{_gpus(sampled)}: no NVML energy counter ({self._no_counter})"
            how.append(f"{fallback}, so {samples} power readings integrated over time")
        total = sum(joules.values())
        return ComponentEnergy(
            Component.GPU,
            total / JOULES_PER_KWH,
            "nvml-power-samples" if sampled else "nvml-energy-counter",
            f"{self._which(counted)}; {'; '.join(how)}",
            tier=Tier.COUNTER,
            low_kwh=low / JOULES_PER_KWH,
            high_kwh=high / JOULES_PER_KWH,
            coefficients=(("gpu_joules", total), ("gpus_counted", float(len(counted)))),
            fallback=fallback,
        )

    def _which(self, counted: list[int]) -> str:
        """Which GPUs were counted and why, in words."""
        n = len(self._handles)
        if self._used:
            names = ", ".join(self._names[i] for i in counted)
            return f"{_gpus(counted)} ({names}) of {n}, used by the command's processes"
        if self._unlistable:
            why = f"NVML cannot list the GPUs' processes ({next(iter(self._unlistable.values()))})"
        elif self._observed == 0:
            why = "the command's processes were never sampled against NVML's process lists"
        elif self._child_pid_namespace:
            why = (
                "NVML did not report the command's processes; greengate runs in a "
                "container's pid namespace, where NVML may report the host's pids"
            )
        else:
            why = "NVML did not report the command's processes"
        every = f"all {n} visible GPUs" if n > 1 else "the 1 visible GPU"
        return f"{every} ({', '.join(self._names)}): {why}"


def _gpus(indices: list[int]) -> str:
    """``GPU 0`` or ``GPUs 0, 2``."""
    return ("GPU " if len(indices) == 1 else "GPUs ") + ", ".join(str(i) for i in indices)


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


def gpu_source() -> NvmlGpu | None:
    """An NVML source when an NVIDIA driver and at least one GPU are present."""
    if not nvidia_driver_present():
        return None
    nvml = load_nvml()
    if nvml is None:
        return None
    try:
        source = NvmlGpu(nvml)
    except Exception:
        return None
    return source if source._handles else None
