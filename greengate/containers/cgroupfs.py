"""Reading the kernel's cgroup accounting: CPU time and anonymous memory of one cgroup.

cgroup v1 keeps CPU time in the cpuacct hierarchy (``cpuacct.usage``, nanoseconds) and memory
in the memory hierarchy (``memory.stat`` ``total_rss``); cgroup v2 keeps both in one tree
(``cpu.stat`` ``usage_usec``, ``memory.stat`` ``anon``). Both charge CPU time to every
ancestor as it is used, so a parent's counter keeps what its removed children used:
that is what makes a container counted after ``docker run --rm`` removed its cgroup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MOUNTINFO = Path("/proc/self/mountinfo")


@dataclass(frozen=True)
class Hierarchy:
    """One cgroup hierarchy that accounts CPU time: a v1 cpuacct mount or the v2 tree."""

    cpu_root: Path
    version: int  # 1 or 2
    memory_root: Path | None  # v1: the memory controller's mount; v2: cpu_root

    def cpu_ns(self, rel: str) -> int | None:
        """CPU time of the cgroup at ``rel`` (relative to the root) in ns; None: not there."""
        try:
            if self.version == 1:
                return int((self.cpu_root / rel / "cpuacct.usage").read_bytes())
            return _stat_field(self.cpu_root / rel / "cpu.stat", b"usage_usec") * 1000
        except (OSError, ValueError):
            return None

    def memory_bytes(self, rel: str) -> int | None:
        """Anonymous memory of the cgroup (the resident memory of its processes, not caches)."""
        if self.memory_root is None:
            return None
        key = b"total_rss" if self.version == 1 else b"anon"
        try:
            return _stat_field(self.memory_root / rel / "memory.stat", key)
        except (OSError, ValueError):
            return None

    def children(self, rel: str) -> list[str]:
        """Names of the cgroups directly below ``rel``; empty where it is gone or unreadable."""
        try:
            with os.scandir(self.cpu_root / rel) as entries:
                return [e.name for e in entries if e.is_dir(follow_symlinks=False)]
        except OSError:
            return []

    def exists(self, rel: str) -> bool:
        return (self.cpu_root / rel).is_dir()


def _stat_field(path: Path, key: bytes) -> int:
    """One ``key value`` line of a flat-keyed cgroup file; ValueError where it is missing."""
    for line in path.read_bytes().splitlines():
        name, _, value = line.partition(b" ")
        if name == key:
            return int(value)
    raise ValueError(f"no {key.decode()} in {path}")


def hierarchies(mountinfo: Path = MOUNTINFO) -> list[Hierarchy]:
    """The hierarchies that account CPU time here, v1's cpuacct first (on a hybrid machine
    the engine's controllers are the v1 ones), then the v2 tree."""
    v1_cpu: Path | None = None
    v1_memory: Path | None = None
    v2: Path | None = None
    try:
        text = mountinfo.read_text()
    except OSError:
        return []
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        after = line.split(" - ", 1)[1].split()
        if len(after) < 3:
            continue
        fstype, options = after[0], after[2].split(",")
        mount = Path(fields[4])
        if fstype == "cgroup2":
            v2 = v2 or mount
        elif fstype == "cgroup":
            if "cpuacct" in options:
                v1_cpu = v1_cpu or mount
            if "memory" in options:
                v1_memory = v1_memory or mount
    found = []
    if v1_cpu is not None:
        found.append(Hierarchy(v1_cpu, 1, v1_memory))
    if v2 is not None:
        found.append(Hierarchy(v2, 2, v2))
    return found
