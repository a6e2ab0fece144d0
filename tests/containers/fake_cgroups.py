"""A faithful stand-in for a cgroup v2 tree as an engine's cgroupfs or systemd driver makes
it: ``cpu.stat`` (``usage_usec`` first, as the kernel writes it) and ``memory.stat``
(``anon``) in each directory; CPU time charged to a cgroup is charged to every ancestor
too, and stays in them when the cgroup is removed, as the kernel does."""

from __future__ import annotations

import shutil
from pathlib import Path

from greengate.containers.cgroupfs import Hierarchy


class FakeCgroupTree:
    """A v2 hierarchy under ``root``; ``burn`` charges CPU time the way the kernel does."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._usec: dict[str, int] = {}
        self.make("")

    @property
    def hierarchy(self) -> Hierarchy:
        return Hierarchy(self.root, 2, self.root)

    def make(self, rel: str, anon: int = 0) -> None:
        """A new cgroup (and any missing ancestors), having used nothing yet."""
        parts = rel.split("/") if rel else []
        for depth in range(len(parts) + 1):
            ancestor = "/".join(parts[:depth])
            if ancestor not in self._usec:
                (self.root / ancestor).mkdir(parents=True, exist_ok=True)
                self._usec[ancestor] = 0
                self._write(ancestor)
                self.set_memory(ancestor, 0)
        self.set_memory(rel, anon)

    def burn(self, rel: str, seconds: float) -> None:
        """``seconds`` of CPU used by the processes of ``rel``: charged to it and its ancestors."""
        usec = round(seconds * 1e6)
        parts = rel.split("/") if rel else []
        for depth in range(len(parts) + 1):
            ancestor = "/".join(parts[:depth])
            self._usec[ancestor] += usec
            self._write(ancestor)

    def remove(self, rel: str) -> None:
        """The container stopped: its cgroup goes, its ancestors keep what it used."""
        shutil.rmtree(self.root / rel)
        del self._usec[rel]

    def set_memory(self, rel: str, anon: int) -> None:
        (self.root / rel / "memory.stat").write_text(
            f"anon {anon}\nfile 8192\nkernel 4096\nshmem 0\n"
        )

    def _write(self, rel: str) -> None:
        usec = self._usec[rel]
        user, system = usec * 9 // 10, usec - usec * 9 // 10
        (self.root / rel / "cpu.stat").write_text(
            f"usage_usec {usec}\nuser_usec {user}\nsystem_usec {system}\n"
            "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"
        )
