"""The live tree read through the kernel's own children lists, for the periodic samples.

``psutil``'s ``children(recursive=True)`` reads every process's ``/proc/PID/stat`` on the
machine to find ours by parent pid: tens to hundreds of files per sample, however small the
tree. The kernel keeps each task's children in ``/proc/PID/task/TID/children``
(CONFIG_PROC_CHILDREN, on in the distributions' kernels), so a sample reads only the tree:
a task list and a children file per process, and one ``stat`` per process for its CPU and
memory. The kernel documents that list as cheap but not exact: a child that exits while it
is read may be missed. That is harmless for a sample (memory, progress, the pids seen on a
GPU), so the one exact read, of what still runs when the command ends, stays psutil's scan
(``sampler.live_tree``). Where the lists are absent this falls back to that scan.
"""

from __future__ import annotations

import functools
import os

from greengate.process.sampler import LiveProcess, LiveTree, live_tree

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_GONE = (b"Z", b"X", b"x")  # a zombie's rusage arrives through wait4 when it is reaped


def _children(proc: str, pid: int) -> list[int]:
    """The pids of ``pid``'s children, from every one of its threads' lists."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"{proc}/{pid}/task")
    except OSError:
        return found  # gone already
    for tid in tasks:
        try:
            with open(f"{proc}/{pid}/task/{tid}/children", "rb") as f:
                found.extend(int(child) for child in f.read().split())
        except (OSError, ValueError):
            continue
    return found


def _process(proc: str, pid: int) -> LiveProcess | None:
    """One process's CPU (with its reaped children's) and resident memory; None: gone."""
    try:
        with open(f"{proc}/{pid}/stat", "rb") as f:
            data = f.read()
        fields = data[data.rindex(b")") + 2 :].split()  # the name may hold spaces and ')'
        if fields[0] in _GONE:
            return None
        utime, stime, cutime, cstime = (int(fields[i]) for i in (11, 12, 13, 14))
        rss = int(fields[21]) * _PAGE
    except (OSError, ValueError, IndexError):
        return None
    return LiveProcess((utime + cutime) / _TICKS, (stime + cstime) / _TICKS, rss)


@functools.cache
def _has_lists(proc: str, me: int) -> bool:
    """Whether the kernel keeps children lists (asked once: it does not change)."""
    return os.path.exists(f"{proc}/{me}/task/{me}/children")


def sampled_tree(proc: str = "/proc") -> LiveTree:
    """Every live descendant of this process, walked down the kernel's children lists."""
    me = os.getpid()
    if not _has_lists(proc, me):
        return live_tree()  # a kernel without the lists: the full scan
    found: dict[int, LiveProcess] = {}
    pending, seen = _children(proc, me), {me}
    while pending:
        pid = pending.pop()
        if pid in seen:
            continue
        seen.add(pid)
        process = _process(proc, pid)
        if process is not None:
            found[pid] = process
        pending.extend(_children(proc, pid))
    return LiveTree(found)
