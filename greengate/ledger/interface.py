"""The ledger backend: one small interface, and a registry from URL scheme to backend."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

from greengate.errors import GreengateError
from greengate.ledger.conninfo import is_postgres
from greengate.ledger.records import (
    Appended,
    BaselineQuery,
    ChargeKey,
    LedgerRecord,
    RecordFilter,
    Total,
    WindowQuery,
    WindowSpend,
)
from greengate.verdict import TrendDay

if TYPE_CHECKING:
    from greengate.ledger.disclosure import MethodCount, SciGroup, ZoneEnergy


class LedgerError(GreengateError):
    """The ledger cannot be opened, read or written (unreachable, locked, corrupt)."""


class Charge(ABC):
    """A run being charged: the ledger's answers, read under its lock, and the one append.

    Got from :meth:`Ledger.charging`; the answers hold until the transaction ends, so the
    judge decides on figures no other run can change before this one is stored.
    """

    spends: tuple[WindowSpend, ...]  # each window's spend before this run, in the key's order
    rerun: bool  # the key's repository and job already have a run at its commit
    baseline: tuple[float, ...]  # the key's baseline: energy (kWh), newest first; () unasked

    @abstractmethod
    def append(self, record: LedgerRecord) -> LedgerRecord:
        """Store the run (a rerun when ``rerun`` says so); returns it with its id."""


class Ledger(ABC):
    """Where budget history lives: it answers and stores, it does not judge. Every method
    is one transaction."""

    location: str  # as a person should see it, without a password

    @abstractmethod
    def charging(self, key: ChargeKey) -> AbstractContextManager[Charge]:
        """One write transaction: the key's answers, then (optionally) one append; committed
        when the block ends, rolled back if it raises."""

    def append(self, record: LedgerRecord, windows: Sequence[WindowQuery] = ()) -> Appended:
        """Store one run, reading the windows' spend before it in the same transaction."""
        key = ChargeKey(
            record.repository,
            record.branch,
            record.job,
            record.commit,
            tuple(windows),
            run_id=record.run_id,
            run_attempt=record.run_attempt,
        )
        with self.charging(key) as charge:
            stored = charge.append(record)
        return Appended(stored, charge.spends)

    @abstractmethod
    def baseline(self, query: BaselineQuery) -> tuple[float, ...]:
        """Energy (kWh) of the last passing, non-rerun runs of a job on a branch, newest first."""

    @abstractmethod
    def trend(self, query: BaselineQuery, since: datetime) -> tuple[TrendDay, ...]:
        """A job's runs on a branch per UTC day since ``since``, oldest first (days with runs)."""

    @abstractmethod
    def records(self, where: RecordFilter | None = None) -> list[LedgerRecord]:
        """Records matching the filter, oldest first (newest ``limit`` when a limit is set)."""

    @abstractmethod
    def export_rows(self, where: RecordFilter | None = None) -> Iterator[tuple[Any, ...]]:
        """Matching records as export rows (``run``, then CSV_FIELDS as text), oldest first."""

    @abstractmethod
    def totals(self, where: RecordFilter | None = None) -> list[Total]:
        """Sums of the matching records per repository, branch and job, computed in SQL."""

    @abstractmethod
    def zones(self, where: RecordFilter | None = None) -> list[ZoneEnergy]:
        """Energy and location-based emissions per grid zone, computed in SQL (disclosures)."""

    @abstractmethod
    def methods(self, where: RecordFilter | None = None) -> list[MethodCount]:
        """Runs and energy per measuring source, scope and tiers, computed in SQL."""

    @abstractmethod
    def sci_groups(self, where: RecordFilter | None = None) -> list[SciGroup]:
        """SCI's sums (E, E x I, M, R) per job, unit, scope and tiers, computed in SQL."""

    @abstractmethod
    def insert_many(self, records: Sequence[LedgerRecord]) -> int:
        """Store records made elsewhere (an import) in one transaction; returns how many."""

    @abstractmethod
    def prune(self, before: datetime) -> int:
        """Delete records older than ``before``; returns how many."""

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


# scheme -> module exposing ``connect(location: str) -> Ledger``; imported only when used,
# so an SQLite user never needs psycopg.
BACKENDS: dict[str, str] = {
    "sqlite": "greengate.ledger.sqlite",
    "postgresql": "greengate.ledger.postgres",
    "postgres": "greengate.ledger.postgres",
}


def scheme_of(location: str) -> str:
    """The backend a location names: its URL scheme, or sqlite for a plain path."""
    if is_postgres(location):  # a URL or libpq's key=value string, never a file name
        return "postgresql"
    scheme, sep, _ = location.partition("://")
    return scheme.lower() if sep and scheme.lower() in BACKENDS else "sqlite"


def open_ledger(location: str) -> Ledger:
    """The ledger at a path (SQLite) or URL (``sqlite:///path``, ``postgresql://...``)."""
    module = importlib.import_module(BACKENDS[scheme_of(location)])
    ledger: Ledger = module.connect(location)
    return ledger
