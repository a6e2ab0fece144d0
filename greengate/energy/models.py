"""Energy from the tree's usage: CPU-seconds on a per-thread power, memory from its RSS."""

from __future__ import annotations

from greengate.energy.hardware import Hardware
from greengate.energy.interface import EnergySource
from greengate.measurement import Component, ComponentEnergy, TreeUsage

JOULES_PER_KWH = 3.6e6
# Cloud Carbon Footprint's memory coefficient (REFERENCE.md section 4): the power of resident
# memory, instead of codecarbon's guess of 5 W per DIMM, which is unknowable on a shared VM.
WATTS_PER_GB_MEMORY = 0.392
GB = 1024**3


class CpuThreadPower(EnergySource):
    """CPU energy = the tree's CPU-seconds x the power of one busy hardware thread."""

    component = Component.CPU

    def __init__(self, hardware: Hardware) -> None:
        self.hardware = hardware

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        watts = self.hardware.watts_per_thread
        joules = usage.cpu_seconds * watts
        detail = (
            f"{usage.cpu_seconds:.3f} CPU-s x {watts:.3g} W per thread "
            f"({self.hardware.power_source})"
        )
        return ComponentEnergy(
            Component.CPU, joules / JOULES_PER_KWH, "cpu-seconds-x-thread-power", detail
        )


class MemoryResidentPower(EnergySource):
    """Memory energy = mean resident memory of the tree x 0.392 W/GB x wall time."""

    component = Component.MEMORY

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        gb = usage.mean_rss_bytes / GB
        joules = gb * WATTS_PER_GB_MEMORY * usage.wall_seconds
        detail = (
            f"{gb:.3f} GB mean resident x {WATTS_PER_GB_MEMORY} W/GB (Cloud Carbon Footprint) "
            f"x {usage.wall_seconds:.2f} s"
        )
        return ComponentEnergy(
            Component.MEMORY, joules / JOULES_PER_KWH, "rss-x-watts-per-gb", detail
        )
