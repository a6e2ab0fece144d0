"""What a trend report shows, as frozen dataclasses: aggregates, never one object per run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from greengate.plan.where import Placement


@dataclass(frozen=True)
class Series:
    """One line of a timeline: sums per bucket, aligned with ``Timeline.buckets``."""

    name: str
    runs: tuple[int, ...]
    energy_kwh: tuple[float, ...]
    emissions_kg: tuple[float, ...]


@dataclass(frozen=True)
class Timeline:
    """Emissions and energy over time, per branch and per job."""

    step: str  # "day" or "week" (weeks start on Monday, UTC)
    buckets: tuple[date, ...]  # first day of each bucket, oldest first, none missing
    by_branch: tuple[Series, ...]
    by_job: tuple[Series, ...]


@dataclass(frozen=True)
class JobFigures:
    """A job's runs and sums, rerun waste included."""

    repository: str
    job: str
    runs: int
    energy_kwh: float
    emissions_kg: float
    reruns: int
    rerun_emissions_kg: float


@dataclass(frozen=True)
class Spread:
    """The spread of one job's energy per run: nearest-rank quartiles, kWh."""

    repository: str
    job: str
    runs: int
    low: float
    q1: float
    median: float
    q3: float
    high: float


@dataclass(frozen=True)
class BurnDown:
    """One limit of one window for one branch: the spend so far, day by day."""

    window: str  # the window's label
    repository: str
    branch: str
    quantity: str  # "emissions" (kg) or "energy" (kWh)
    limit: float
    warn_at: float  # fraction of the limit
    days: tuple[date, ...]  # every day of the window, from its first
    today: date  # the days after it are still to come
    spent: tuple[float, ...]  # cumulative spend at the end of each day up to today
    runs: tuple[int, ...]  # runs charged on each day up to today

    @property
    def total(self) -> float:
        """What the window has spent so far."""
        return self.spent[-1] if self.spent else 0.0

    @property
    def status(self) -> str:
        """pass, warn or fail, as the gate would judge the spend so far."""
        if self.total > self.limit:
            return "fail"
        return "warn" if self.total >= self.warn_at * self.limit else "pass"


@dataclass(frozen=True)
class ComparedRun:
    """A run drawn against a baseline band."""

    recorded_at: datetime
    branch: str
    energy_kwh: float
    baseline: bool  # one of the baseline's own runs (on the base branch)
    status: str  # against today's band: pass, or fail above it


@dataclass(frozen=True)
class Baseline:
    """The regression gate's baseline for one job today, and the runs set against it."""

    repository: str
    job: str
    base_branch: str
    runs: int
    needed: int
    median_kwh: float | None
    allowed_kwh: float | None  # the largest increase that passes
    points: tuple[ComparedRun, ...]  # oldest first


@dataclass(frozen=True)
class Totals:
    """What the whole selection cost."""

    runs: int
    energy_kwh: float
    emissions_kg: float
    reruns: int
    rerun_emissions_kg: float
    first: datetime | None
    last: datetime | None


@dataclass(frozen=True)
class WhatIf:
    """The selection's energy as recorded, and on other grids (``greengate where``)."""

    energy_kwh: float
    recorded_kg: float
    placements: tuple[Placement, ...]  # the cleanest first, then the most carbon-intensive
    grids: int  # how many grids were ranked


@dataclass(frozen=True)
class Report:
    """Everything the HTML report draws."""

    title: str
    generated_at: datetime
    scope: str  # the filters in words, e.g. "branch main, 2026-Q3"
    ledger: str
    totals: Totals
    timeline: Timeline
    top_jobs: tuple[JobFigures, ...]
    spreads: tuple[Spread, ...]
    burndowns: tuple[BurnDown, ...]
    baselines: tuple[Baseline, ...]
    notes: tuple[str, ...]  # what could not be shown, and why
    what_if: WhatIf | None = None
