"""The ledger backend: one small interface, and a registry from URL scheme to backend."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from greengate.errors import GreengateError
from greengate.ledger.disclosure import MethodCount, SciGroup, ZoneEnergy
from greengate.ledger.records import (
    Appended,
    BaselineQuery,
    LedgerRecord,
    RecordFilter,
    Total,
    TrendDay,
    WindowQuery,
    WindowSpend,
)

DEFAULT_LOCATION = ".greengate/ledger.db"
DISABLED = ("off", "none", "false")

# Given each window's spend before this run and whether the run is a rerun, the record
# to store: the core decides the final status while the backend holds its lock.
Settle = Callable[[tuple[WindowSpend, ...], bool], LedgerRecord]


class LedgerError(GreengateError):
    """The ledger cannot be opened, read or written (unreachable, locked, corrupt)."""


class Ledger(ABC):
    """Where budget history lives. Every method is one transaction."""

    location: str  # as a person should see it, without a password

    @abstractmethod
    def append(
        self,
        record: LedgerRecord,
        windows: Sequence[WindowQuery] = (),
        settle: Settle | None = None,
    ) -> Appended:
        """Atomically: read the windows' spend, mark a rerun, settle the record and store it."""

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
    scheme, sep, _ = location.partition("://")
    return scheme.lower() if sep and scheme.lower() in BACKENDS else "sqlite"


def open_ledger(location: str) -> Ledger:
    """The ledger at a path (SQLite) or URL (``sqlite:///path``, ``postgresql://...``)."""
    module = importlib.import_module(BACKENDS[scheme_of(location)])
    ledger: Ledger = module.connect(location)
    return ledger
