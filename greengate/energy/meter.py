"""What the run's samples add up to: machine utilisation on the curve, and a bounded timeline.

Fed from the sampler thread while the command runs. Everything is folded into a fixed number
of buckets as it arrives (pairs merge when the buckets fill), so greengate's memory does not
grow with the length of the job.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol

from greengate.energy.estimate import GB, WATTS_PER_GB_MEMORY, CpuModel
from greengate.energy.procstat import MachineCpu
from greengate.measurement import PowerTimeline, Scope

TIMELINE_BUCKETS = 60
FIRST_BUCKET_SECONDS = 1.0


@dataclass
class _Bucket:
    """One stretch of the power timeline: time, CPU and machine use, memory, energy."""

    seconds: float = 0.0
    tree_cpu: float = 0.0
    machine_busy: float = 0.0
    machine_total: float = 0.0
    rss_byte_seconds: float = 0.0
    curve_joules: float = 0.0  # the machine's power on the curve, integrated per interval

    def add(self, other: _Bucket) -> None:
        self.seconds += other.seconds
        self.tree_cpu += other.tree_cpu
        self.machine_busy += other.machine_busy
        self.machine_total += other.machine_total
        self.rss_byte_seconds += other.rss_byte_seconds
        self.curve_joules += other.curve_joules


class Meter:
    """Accumulates the run's intervals; thread-safe, constant memory."""

    def __init__(self, machine: MachineCpu | None, model: CpuModel | None) -> None:
        self._model = model  # known at the start only for a runner profile
        self._last_t = 0.0
        self._last_cpu = 0.0
        self._last_rss = 0
        self._last_machine = machine
        self._start_machine = machine
        self._width = FIRST_BUCKET_SECONDS
        self._buckets: list[_Bucket] = []
        self._lock = threading.Lock()

    def observe(
        self, elapsed: float, tree_cpu: float, rss: int, machine: MachineCpu | None
    ) -> None:
        """Fold in the interval since the previous sample."""
        with self._lock:
            self._interval(elapsed, tree_cpu, rss, machine)

    def _interval(self, t: float, cpu: float, rss: int, machine: MachineCpu | None) -> None:
        dt = t - self._last_t
        if dt <= 0:
            return
        b = _Bucket(seconds=dt, tree_cpu=max(cpu - self._last_cpu, 0.0))
        b.rss_byte_seconds = dt * (rss + self._last_rss) / 2.0
        if machine is not None and self._last_machine is not None:
            d = machine - self._last_machine
            b.machine_busy, b.machine_total = max(d.busy_seconds, 0.0), max(d.total_seconds, 0.0)
            if self._model is not None:
                b.curve_joules = self._model.curve.watts(d.utilisation) * dt
        self._add(self._last_t + dt / 2, b)
        self._last_t, self._last_cpu, self._last_rss = t, max(cpu, self._last_cpu), rss
        self._last_machine = machine if machine is not None else self._last_machine

    def _add(self, midpoint: float, bucket: _Bucket) -> None:
        index = int(midpoint / self._width)
        while index >= TIMELINE_BUCKETS:
            merged = [_Bucket() for _ in range((len(self._buckets) + 1) // 2)]
            for i, old in enumerate(self._buckets):
                merged[i // 2].add(old)
            self._buckets = merged
            self._width *= 2
            index = int(midpoint / self._width)
        while len(self._buckets) <= index:
            self._buckets.append(_Bucket())
        self._buckets[index].add(bucket)

    def finish(self, elapsed: float, tree_cpu: float, machine: MachineCpu | None) -> MachineRun:
        """Close the last interval at the command's end; what the whole run adds up to."""
        with self._lock:
            self._interval(elapsed, tree_cpu, 0, machine)
            whole = (
                machine - self._start_machine
                if machine is not None and self._start_machine is not None
                else None
            )
            # Merging buckets only adds, so their sum is the whole run's integral.
            curve = sum(b.curve_joules for b in self._buckets) if self._model else None
            return MachineRun(whole, curve, self._timeline_data())

    def so_far(self) -> tuple[MachineRun, float]:
        """The run up to the last sample, left open (the stop check's live figure): the
        machine's side without a timeline, and the tree's memory in byte-seconds."""
        with self._lock:
            machine, start = self._last_machine, self._start_machine
            whole = machine - start if machine is not None and start is not None else None
            curve = sum(b.curve_joules for b in self._buckets) if self._model else None
            rss = sum(b.rss_byte_seconds for b in self._buckets)
        return MachineRun(whole, curve, (self._width, ())), rss

    def _timeline_data(self) -> tuple[float, tuple[_Bucket, ...]]:
        return self._width, tuple(_Bucket(**vars(b)) for b in self._buckets)


class MachineIntegral(Protocol):
    """The machine's side of a run as the energy session reads it (a MachineRun, a job lap)."""

    def machine_joules(self, model: CpuModel, wall_seconds: float) -> float | None:
        """The whole machine's CPU energy on ``model``; None where it is unknown."""

    def timeline(
        self, model: CpuModel, scope: Scope, machine_memory_watts: float, memory_counted: bool
    ) -> PowerTimeline:
        """Mean power per bucket; no buckets where there is no timeline."""


@dataclass(frozen=True)
class MachineRun:
    """The machine's side of a finished run."""

    cpu: MachineCpu | None  # the whole machine's CPU time over the run; None: unknown here
    curve_joules: float | None  # the profile's curve integrated per interval (machine scope)
    buckets: tuple[float, tuple[_Bucket, ...]]  # bucket width and raw buckets

    def machine_joules(self, model: CpuModel, wall_seconds: float) -> float | None:
        """The whole machine's CPU energy for the run on ``model``; None without /proc/stat."""
        if self.curve_joules is not None and self.curve_joules > 0:
            return self.curve_joules
        if self.cpu is None:
            return None
        # Without per-interval figures: exact for a linear curve, close for a smooth one.
        return model.curve.watts(self.cpu.utilisation) * wall_seconds

    def timeline(
        self, model: CpuModel, scope: Scope, machine_memory_watts: float, memory_counted: bool
    ) -> PowerTimeline:
        """Mean CPU + memory power per bucket, as the verdict's energy figures count them."""
        width, buckets = self.buckets
        watts: list[float] = []
        for b in buckets:
            if b.seconds <= 0:
                watts.append(0.0)
                continue
            if scope is Scope.MACHINE:
                if b.curve_joules > 0:
                    cpu = b.curve_joules / b.seconds
                else:
                    u = b.machine_busy / b.machine_total if b.machine_total > 0 else 0.0
                    cpu = model.curve.watts(u)
                memory = machine_memory_watts
            else:
                cpu = model.process_joules(b.tree_cpu, b.seconds) / b.seconds
                memory = b.rss_byte_seconds / b.seconds / GB * WATTS_PER_GB_MEMORY
            watts.append(round(cpu + (memory if memory_counted else 0.0), 4))
        return PowerTimeline(width, tuple(watts))
