"""What the SQL backends share: the queries and the append protocol, apart from the dialect.

A backend says how to open a write transaction, how to read, how to store a time, how to
insert a run and read a window's spend; the order of an append (lock, read the spends, mark
a rerun, settle, insert) is decided here once, so both backends charge windows alike.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, ClassVar

from greengate.ledger.interface import Ledger, Settle
from greengate.ledger.records import (
    Appended,
    BaselineQuery,
    LedgerRecord,
    RecordFilter,
    Total,
    WindowQuery,
    WindowSpend,
)
from greengate.ledger.rows import from_row, key, select_sql, totals_from_rows, totals_sql


class SqlLedger(Ledger):
    """A ledger kept in an SQL database; subclasses supply the dialect."""

    #: the driver's parameter placeholder
    MARK: ClassVar[str]
    _db: Any  # the open DB-API connection

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    @abstractmethod
    def _write(self, doing: str) -> AbstractContextManager[Any]:
        """A write transaction; errors become LedgerError saying what was being done."""

    @abstractmethod
    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """All rows of one read-only query."""

    @abstractmethod
    def _to_db_time(self, moment: datetime) -> Any:
        """A time as the database stores it."""

    @abstractmethod
    def _from_db_time(self, value: Any) -> datetime:
        """A stored time back as an aware datetime."""

    @abstractmethod
    def _spend(self, db: Any, window: WindowQuery) -> WindowSpend:
        """What the window's branch has spent since the window began."""

    @abstractmethod
    def _insert(self, db: Any, record: LedgerRecord, rerun: bool) -> LedgerRecord:
        """Store one run and add it to its day's totals; returns it with its id."""

    def _lock_windows(self, db: Any, record: LedgerRecord) -> None:
        """Serialise appends to the same branch's windows, where the write lock does not."""

    def append(
        self,
        record: LedgerRecord,
        windows: Sequence[WindowQuery] = (),
        settle: Settle | None = None,
    ) -> Appended:
        """Read spends, mark a rerun, settle and insert, all in one locked transaction."""
        m = self.MARK
        with self._write("append") as db:
            if windows:
                self._lock_windows(db, record)
            spends = tuple(self._spend(db, w) for w in windows)
            rerun = record.commit is not None and (
                db.execute(
                    f"SELECT 1 FROM runs WHERE repository = {m} AND job = {m} "
                    f"AND commit_sha = {m} LIMIT 1",
                    (key(record.repository), key(record.job), record.commit),
                ).fetchone()
                is not None
            )
            final = settle(spends, rerun) if settle else record
            stored = self._insert(db, final, rerun or final.rerun)
        return Appended(stored, spends)

    def baseline(self, query: BaselineQuery) -> tuple[float, ...]:
        """Energy of the newest passing, non-rerun runs (index runs_baseline)."""
        m = self.MARK
        rows = self._read(
            f"SELECT energy_kwh FROM runs WHERE repository = {m} AND job = {m} AND branch = {m} "
            f"AND status IN ('pass', 'warn') AND NOT rerun ORDER BY recorded_at DESC LIMIT {m}",
            (key(query.repository), key(query.job), query.branch, query.runs),
        )
        return tuple(float(r[0]) for r in rows)

    def records(self, where: RecordFilter | None = None) -> list[LedgerRecord]:
        """Matching records, oldest first."""
        sql, params = select_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return [from_row(r, self._from_db_time(r[1])) for r in self._read(sql, params)]

    def totals(self, where: RecordFilter | None = None) -> list[Total]:
        """One GROUP BY per level."""
        sql, params = totals_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return totals_from_rows(self._read(sql, params))

    def insert_many(self, records: Sequence[LedgerRecord]) -> int:
        """Insert in one transaction."""
        with self._write("import") as db:
            for record in records:
                self._insert(db, record, record.rerun)
        return len(records)
