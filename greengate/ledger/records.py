"""What the ledger stores and answers: frozen dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from greengate.verdict import Status


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
    status: Status
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
class ChargeKey:
    """What a run asks the ledger before it is judged, in the transaction that stores it."""

    repository: str | None
    branch: str | None
    job: str | None
    commit: str | None  # with repository and job: whether this run is a rerun
    windows: tuple[WindowQuery, ...] = ()
    baseline: BaselineQuery | None = None
    # The CI run and attempt this run belongs to: an earlier record of the same job at the
    # same commit from this very run and attempt is another part of the job's work (the
    # action used twice in one job), not a rerun.
    run_id: str | None = None
    run_attempt: str | None = None


@dataclass(frozen=True)
class Appended:
    """What the ledger did with a record: its id and whether it was a rerun."""

    record: LedgerRecord
    spends: tuple[WindowSpend, ...]
