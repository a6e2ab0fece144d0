"""What the ledger stores and answers: frozen dataclasses, no SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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
