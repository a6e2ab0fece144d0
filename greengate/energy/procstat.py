"""The whole machine's CPU time from ``/proc/stat``: busy and total, in seconds.

Used for machine scope (the VM's utilisation on its power curve) and to split a package-wide
RAPL reading between the command's tree and everything else on the machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class MachineCpu:
    """Cumulative CPU time of every CPU since boot; subtract two readings for an interval."""

    busy_seconds: float  # user + nice + system + irq + softirq + steal
    total_seconds: float  # busy + idle + iowait

    def __sub__(self, other: MachineCpu) -> MachineCpu:
        return MachineCpu(
            self.busy_seconds - other.busy_seconds, self.total_seconds - other.total_seconds
        )

    @property
    def utilisation(self) -> float:
        """Busy share of the interval's CPU time, 0..1 (0.0 for an empty interval)."""
        if self.total_seconds <= 0:
            return 0.0
        return min(max(self.busy_seconds / self.total_seconds, 0.0), 1.0)


def read_machine_cpu(path: str = "/proc/stat") -> MachineCpu | None:
    """The aggregate ``cpu`` line of ``/proc/stat``; None where there is none (macOS)."""
    try:
        with open(path, encoding="ascii") as f:
            line = f.readline()
    except OSError:
        return None
    fields = line.split()
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        return None
    try:
        ticks = [int(x) for x in fields[1:9]]
    except ValueError:
        return None
    ticks += [0] * (8 - len(ticks))
    user, nice, system, idle, iowait, irq, softirq, steal = ticks
    busy = user + nice + system + irq + softirq + steal
    return MachineCpu(busy / _TICKS, (busy + idle + iowait) / _TICKS)
