"""GPU energy from NVIDIA's own counters (NVML), read before and after the command.

Counts every visible NVIDIA GPU: NVML does not say reliably which GPUs a process tree
touched, so a shared multi-GPU machine is over-counted (the detail says so).
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any

from greengate.energy.interface import EnergySource
from greengate.energy.models import JOULES_PER_KWH
from greengate.measurement import Component, ComponentEnergy, TreeUsage


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


class NvmlGpu(EnergySource):
    """GPU energy = the change in each GPU's NVML total-energy counter (millijoules)."""

    component = Component.GPU

    def __init__(self, nvml: Any) -> None:
        self._nvml = nvml
        count = nvml.nvmlDeviceGetCount()
        self._handles = [nvml.nvmlDeviceGetHandleByIndex(i) for i in range(count)]
        self._names = [_text(nvml.nvmlDeviceGetName(h)) for h in self._handles]
        self._start: list[int] = []
        self.error: str | None = None

    def _read(self) -> list[int]:
        return [int(self._nvml.nvmlDeviceGetTotalEnergyConsumption(h)) for h in self._handles]

    def begin(self) -> None:
        """Read the counters just before the command starts."""
        try:
            self._start = self._read()
        except Exception as e:  # NVMLError_NotSupported on pre-Volta GPUs, driver hiccups
            self.error = f"NVML energy counter unavailable: {e}"

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        if self.error is None and self._start:
            try:
                now = self._read()
                millijoules = sum(e - s for e, s in zip(now, self._start, strict=True))
            except Exception as e:
                self.error = f"NVML read failed mid-run: {e}"
            else:
                names = ", ".join(self._names) or "none"
                detail = (
                    f"NVML total-energy counters of all {len(self._handles)} visible GPU(s) "
                    f"({names}), read before and after the command"
                )
                return ComponentEnergy(
                    Component.GPU,
                    millijoules / 1000 / JOULES_PER_KWH,
                    "nvml-energy-counter",
                    detail,
                )
        return ComponentEnergy(Component.GPU, 0.0, "unavailable", self.error or "no reading")


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
