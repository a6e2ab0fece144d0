"""NVML itself: whether a driver is there, loading the library, whose pids it reports, and
integrating its power readings where a GPU has no energy counter."""

from __future__ import annotations

import os
from types import ModuleType

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


def in_child_pid_namespace(link: str = "/proc/self/ns/pid") -> bool:
    """Whether this process sees pids of a child namespace (a container), not the host's.

    ``link``: the namespace's symbolic link, whose target text names it (namespaces(7)).
    """
    try:
        return os.readlink(link) != _INIT_PID_NAMESPACE
    except OSError:  # no /proc (macOS) or no namespaces: pids are the host's
        return False


def not_supported(error: BaseException) -> bool:
    """Whether an NVML error is NotSupported (the GPU lacks the function), not a failure."""
    # pynvml builds its error classes at import time (NVMLError_NotSupported, code 3);
    # matching the name keeps this module free of a pynvml import.
    return type(error).__name__ == "NVMLError_NotSupported"


class PowerIntegral:
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
