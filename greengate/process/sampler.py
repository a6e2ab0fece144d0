"""Sampling of the live part of the process tree: memory, progress, and lingering processes.

Exact CPU time comes from ``wait4`` when processes are reaped (see ``supervisor``); sampling
only covers what is still alive. Samples are folded into running totals as they arrive, so
greengate's memory stays constant however long the command runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class LiveProcess:
    """One live descendant: CPU of itself and of the children it reaped, and its memory."""

    user_seconds: float
    system_seconds: float
    rss_bytes: int


@dataclass(frozen=True)
class LiveTree:
    """What the live descendants of greengate use right now, per pid."""

    processes: dict[int, LiveProcess]

    @property
    def user_seconds(self) -> float:
        return sum(p.user_seconds for p in self.processes.values())

    @property
    def system_seconds(self) -> float:
        return sum(p.system_seconds for p in self.processes.values())

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds

    @property
    def rss_bytes(self) -> int:
        return sum(p.rss_bytes for p in self.processes.values())


def live_tree() -> LiveTree:
    """Read every live descendant of this process (processes that vanish meanwhile are skipped)."""
    import psutil  # imported on first use: a short command is never sampled (start-up time)

    found: dict[int, LiveProcess] = {}
    try:
        children = psutil.Process(os.getpid()).children(recursive=True)
    except psutil.Error:
        children = []
    for child in children:
        try:
            with child.oneshot():
                if child.status() == psutil.STATUS_ZOMBIE:
                    continue  # its rusage arrives through wait4 when it is reaped
                t = child.cpu_times()
                rss = child.memory_info().rss
        except psutil.Error:
            continue
        # children_* hold the children this process reaped itself; those never reach our wait4.
        found[child.pid] = LiveProcess(t.user + t.children_user, t.system + t.children_system, rss)
    return LiveTree(found)


class MemoryIntegral:
    """Running time-integral and peak of the tree's resident memory."""

    def __init__(self, start: float) -> None:
        self._last_t = start
        self._last_rss = 0
        self.byte_seconds = 0.0
        self.peak_bytes = 0
        self.samples = 0

    def add(self, t: float, rss: int) -> None:
        """Fold in one sample (trapezoid rule between consecutive samples)."""
        self.byte_seconds += (t - self._last_t) * (rss + self._last_rss) / 2.0
        self._last_t, self._last_rss = t, rss
        self.peak_bytes = max(self.peak_bytes, rss)
        self.samples += 1


class Sampler(threading.Thread):
    """Samples the live tree on a widening interval (0.05 s doubling to ``max_interval``)."""

    def __init__(
        self,
        start: float,
        on_sample: Callable[[float, LiveTree], None] | None,
        max_interval: float = 1.0,
    ) -> None:
        super().__init__(name="greengate-sampler", daemon=True)
        self.memory = MemoryIntegral(start)
        self._start = start
        self._on_sample = on_sample
        self._max_interval = max_interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        from greengate.process.children import sampled_tree  # on this thread, not the run's

        interval = 0.05
        while not self._stop_event.wait(interval):
            interval = min(interval * 2, self._max_interval)
            now = time.monotonic()
            try:
                tree = sampled_tree()
                self.memory.add(now, tree.rss_bytes)
                if self._on_sample is not None:
                    self._on_sample(now - self._start, tree)
            except Exception:
                # The samples are a live view and the memory integral; the verdict's CPU
                # comes from wait4 at the end. One sample lost is no reason for a traceback.
                continue

    def stop(self) -> None:
        """Stop sampling and wait for the thread (if it could be started at all)."""
        self._stop_event.set()
        if self.ident is not None:
            self.join()
