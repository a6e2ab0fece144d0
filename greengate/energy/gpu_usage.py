"""Which GPUs a command's process tree used, as NVML and the tree's own open files say.

NVML lists the processes running on each GPU (compute and graphics), by pid. Inside a
container or a sandbox (gVisor) NVML may report the host's pids, which never match the
tree's; so while no list names the tree, its open device files are read too: a process with
a CUDA context holds ``/dev/nvidiaN`` open, N being the GPU's minor number. The lists are
preferred when they name the tree (CUDA may open every visible GPU's file, whichever it
computes on). Both are read on the sampler thread (issue 15).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

_DEVICE_FILE = re.compile(r"/dev/nvidia(\d+)")


def devices_opened(pids: Collection[int], proc: str = "/proc") -> set[int] | None:
    """Minor numbers of the ``/dev/nvidiaN`` files ``pids`` hold open; None if none was readable."""
    minors: set[int] = set()
    readable = False
    for pid in pids:
        directory = f"{proc}/{pid}/fd"
        try:
            fds = os.listdir(directory)
        except OSError:  # gone already, or another user's process
            continue
        readable = True
        for fd in fds:
            try:
                target = os.readlink(f"{directory}/{fd}")
            except OSError:
                continue
            match = _DEVICE_FILE.fullmatch(target)
            if match:
                minors.add(int(match.group(1)))
    return minors if readable else None


@dataclass
class GpuUse:
    """What the samples said about the tree's use of each GPU, gathered over the run."""

    nvml: Any
    handles: list[Any]
    child_pid_namespace: bool
    open_devices: Callable[[Collection[int]], set[int] | None] = devices_opened
    used: set[int] = field(default_factory=set)  # GPUs NVML listed one of the tree's pids on
    held: set[int] = field(default_factory=set)  # GPUs whose device file the tree held open
    unlistable: dict[int, str] = field(default_factory=dict)  # GPU -> why NVML cannot list
    files_read: int = 0  # samples whose open files could be read
    observed: int = 0
    _minors: list[int | None] | None = None

    def observe(self, live: Collection[int]) -> None:
        """Fold in one sample of the tree's live pids (sampler thread)."""
        self.observed += 1
        for i, handle in enumerate(self.handles):
            if i not in self.used and i not in self.unlistable:
                self._list(i, handle, live)
        if not self.used and len(self.held) < len(self.handles):
            minors = self.open_devices(live)
            if minors is not None:
                self.files_read += 1
                self.held |= {i for i, m in enumerate(self._minor_numbers()) if m in minors}

    def gpus(self) -> set[int]:
        """The GPUs the tree used: those NVML listed it on, else those whose file it held."""
        return set(self.used) or set(self.held)

    def _list(self, index: int, handle: Any, live: Collection[int]) -> None:
        failures = []
        for running in (
            self.nvml.nvmlDeviceGetComputeRunningProcesses,
            self.nvml.nvmlDeviceGetGraphicsRunningProcesses,
        ):
            try:
                if any(p.pid in live for p in running(handle)):
                    self.used.add(index)
                    return
            except Exception as e:  # NotSupported on some GPUs (MIG, vGPU) for one kind
                failures.append(str(e))
        if len(failures) == 2:
            self.unlistable[index] = failures[0]

    def _minor_numbers(self) -> list[int | None]:
        if self._minors is None:
            self._minors = []
            for handle in self.handles:
                try:
                    self._minors.append(int(self.nvml.nvmlDeviceGetMinorNumber(handle)))
                except Exception:  # no minor number: this GPU cannot be matched by file
                    self._minors.append(None)
        return self._minors

    def evidence(self) -> bool:
        """Whether the samples could have seen the tree on a GPU, had it used one."""
        if self.observed == 0:
            return False
        lists_match = not self.child_pid_namespace and not self.unlistable
        return lists_match or self.files_read > 0


def gpu_list(indices: list[int]) -> str:
    """``GPU 0`` or ``GPUs 0, 2``."""
    return ("GPU " if len(indices) == 1 else "GPUs ") + ", ".join(str(i) for i in indices)


def which_gpus(use: GpuUse, names: list[str], counted: list[int], machine_scope: bool) -> str:
    """Which GPUs were counted and why, in words."""
    n = len(names)
    every = f"all {n} visible GPUs" if n > 1 else "the 1 visible GPU"
    if machine_scope:
        return f"{every} ({', '.join(names)}): machine scope counts the whole machine"
    if use.used or use.held:
        used = ", ".join(names[i] for i in counted)
        how = "used by the command's processes"
        if not use.used:
            how += " (their open /dev/nvidia* files say so)"
        return f"{gpu_list(counted)} ({used}) of {n}, {how}"
    if use.observed == 0:
        why = "the command's processes were never sampled against NVML's process lists"
    elif use.unlistable:
        first = next(iter(use.unlistable.values()))
        why = (
            f"NVML cannot list the GPUs' processes ({first}) and the command's open "
            "files could not be read"
        )
    else:
        why = (
            "NVML did not report the command's processes; greengate runs in a "
            "container's pid namespace, where NVML may report the host's pids, and the "
            "command's open files could not be read"
        )
    return f"{every} ({', '.join(names)}): {why}"
