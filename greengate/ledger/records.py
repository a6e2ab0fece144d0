"""What the ledger stores and answers: frozen dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class LedgerRecord:
    """One gated run: the verdict's essentials, as the ledger keeps them."""

    recorded_at: datetime  # timezone-aware, UTC
    repository: str | None
    workflow: str | None
    job: str | None
    branch: str | None
    base_branch: str | None
    commit: str | None
    run_id: str | None
    run_attempt: str | None
    energy_kwh: float
    emissions_kg: float
    intensity_g_per_kwh: float
    status: str  # a greengate.verdict.Status value
    source: str = "greengate run"
    rerun: bool = False  # same repository, job and commit as an earlier record
    id: int | None = None  # assigned by the ledger
    # What a disclosure traces (schema 2; None on runs recorded before it, or not known):
    grid_zone: str | None = None  # the intensity's zone, e.g. "FRA", "USA/california"
    energy_low_kwh: float | None = None  # the energy's uncertainty band, PUE included
    energy_high_kwh: float | None = None
    tiers: str | None = None  # how each component was obtained, e.g. "cpu=tdp,memory=coefficient"
    scope: str | None = None  # a greengate.measurement.Scope value: the software boundary
    embodied_kg: float | None = None  # SCI's M for the run, counted in emissions_kg or not
    unit_name: str | None = None  # SCI's R: the functional unit (--unit tests=412)
    unit_count: float | None = None


@dataclass(frozen=True)
class RecordFilter:
    """Which records ``list``, ``export`` and ``report`` look at; None means any."""

    repository: str | None = None
    branch: str | None = None
    job: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive
    limit: int | None = None  # newest first when set


@dataclass(frozen=True)
class Total:
    """Sums for one group of records (a repository, a branch of it, a job of it).

    None means the level sums over every value (a repository's total has branch None);
    ``?`` is a value the records did not know, kept apart from the level above it.
    """

    repository: str | None
    branch: str | None
    job: str | None
    runs: int
    reruns: int
    energy_kwh: float
    emissions_kg: float
    rerun_emissions_kg: float


@dataclass(frozen=True)
class WindowQuery:
    """How much a branch has spent since ``since``: the input of a cumulative check."""

    key: str  # the window's label, to match the answer to the question
    repository: str | None
    branch: str | None
    since: datetime


@dataclass(frozen=True)
class WindowSpend:
    """A window's spend before this run (the run itself not included)."""

    key: str
    emissions_kg: float
    energy_kwh: float
    runs: int


@dataclass(frozen=True)
class BaselineQuery:
    """The last ``runs`` passing, non-rerun records of a job on a branch."""

    repository: str | None
    job: str | None
    branch: str
    runs: int


@dataclass(frozen=True)
class Appended:
    """What the ledger did with a record: its id and whether it was a rerun."""

    record: LedgerRecord
    spends: tuple[WindowSpend, ...]


@dataclass(frozen=True)
class WindowResult:
    """One limit of a cumulative window, charged with this run."""

    label: str
    branch: str
    since: datetime
    quantity: str  # "emissions" (kg CO2e) or "energy" (kWh), as greengate.verdict.Quantity
    spent: float  # before this run
    this_run: float
    limit: float
    status: str  # a greengate.verdict.Status value for this limit alone, before the mode

    @property
    def remaining(self) -> float:
        """What is left of the limit after this run (negative when over)."""
        return self.limit - self.spent - self.this_run


@dataclass(frozen=True)
class RegressionResult:
    """This job's energy against the median of its recent passing runs on the base branch."""

    job: str | None
    base_branch: str
    runs: int  # baseline runs found
    needed: int  # fewest baseline runs that are judged
    measured_kwh: float
    median_kwh: float | None  # None with no baseline runs
    allowed_kwh: float | None  # the largest increase that passes
    status: str  # a greengate.verdict.Status value, before the mode

    @property
    def delta(self) -> float | None:
        """Relative change against the median, e.g. 0.12 for +12 %."""
        if not self.median_kwh:
            return None
        return self.measured_kwh / self.median_kwh - 1.0

    @property
    def judged(self) -> bool:
        return self.runs >= self.needed and self.delta is not None

    def describe(self) -> str:
        """In words, e.g. ``+12 % vs main (median of 10 runs)``."""
        if self.delta is None:
            return f"no baseline on {self.base_branch} yet (0 of {self.needed} runs needed)"
        text = f"{self.delta * 100:+.0f} % vs {self.base_branch} (median of {self.runs} runs)"
        if self.runs < self.needed:
            text += f"; too few baseline runs to judge ({self.needed} needed)"
        return text


@dataclass(frozen=True)
class TrendDay:
    """One day of a job's runs on a branch: a point of the step summary's small trend."""

    day: date
    runs: int
    emissions_kg: float
    energy_kwh: float


@dataclass(frozen=True)
class History:
    """What the ledger added to a verdict: windows, regression, rerun, or why it could not."""

    ledger: str  # where, without credentials
    record_id: int | None = None
    rerun: bool = False
    windows: tuple[WindowResult, ...] = ()
    regression: RegressionResult | None = None
    problem: str | None = None  # the ledger could not be used: the verdict stands without it
    # This job on this branch per day, this run included (docs/report.md); not in the file.
    trend: tuple[TrendDay, ...] = ()
