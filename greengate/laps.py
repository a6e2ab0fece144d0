"""A job's laps in its verdict: each lap of start/lap/stop judged, and the lap a run was in.

Apart from greengate.verdict so that a run outside a job never builds these types (start-up:
each frozen dataclass costs about half a millisecond to create).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greengate.verdict import LimitCheck, Status


@dataclass(frozen=True)
class LapVerdict:
    """One lap of a job measured with start/lap/stop, judged by the step rule matching it."""

    name: str
    started_at: datetime
    ended_at: datetime
    energy_kwh: float
    energy_low_kwh: float
    energy_high_kwh: float
    emissions_kg: float
    emissions_low_kg: float
    emissions_high_kg: float
    status: Status  # PASS where no step rule matches
    rule: str | None  # the step rule's label; None: no rule budgets this lap
    checks: tuple[LimitCheck, ...] = ()
    reasons: tuple[str, ...] = ()
    note: str | None = None  # e.g. the sampler had stopped: the lap ends at its last sample

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()


@dataclass(frozen=True)
class JobLap:
    """For ``greengate run`` inside a started job: the lap it ran in."""

    index: int  # 1-based: the lap that was open when the run ended
    after: str | None  # the lap closed before it; None: the first lap
    state_dir: str
