"""What the SQL backends share: the queries and the append protocol, apart from the dialect.

A backend says how to open a write transaction, how to read, how to store a time and a day,
and how to insert a run's row; the queries (a window's spend, the day totals, pruning) and
the order of a charge (lock, read the spends, mark a rerun, read the baseline, let the
caller judge, insert) are decided here once, so both backends charge windows alike.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from greengate.ledger.interface import Charge, Ledger, LedgerError
from greengate.ledger.records import (
    BaselineQuery,
    ChargeKey,
    LedgerRecord,
    RecordFilter,
    Total,
    WindowQuery,
    WindowSpend,
)
from greengate.ledger.rows import (
    COLUMNS,
    from_row,
    key,
    select_sql,
    to_row,
    totals_from_rows,
    totals_sql,
    utc,
)
from greengate.verdict import TrendDay

if TYPE_CHECKING:  # a run never reads disclosures: imported by their queries (start-up)
    from greengate.ledger.disclosure import MethodCount, SciGroup, ZoneEnergy


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
    def _to_db_day(self, moment: datetime) -> Any:
        """The UTC calendar day of a moment, as the day-totals table stores it."""

    @abstractmethod
    def _insert_run(self, db: Any, sql: str, row: tuple[Any, ...]) -> int | None:
        """Run ``sql``, an INSERT of one row of ``runs``, with ``row``; returns its id."""

    #: SQL for the whole days since 1970-01-01 UTC of ``recorded_at``, an integer
    DAY_NUMBER: ClassVar[str]

    def aggregate(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        """Rows of one read-only query written with MARK and DAY_NUMBER (greengate.report)."""
        return self._read(sql, params)

    def db_time(self, moment: datetime) -> Any:
        """A time as a query parameter compared with ``recorded_at``."""
        return self._to_db_time(moment)

    def from_db_time(self, value: Any) -> datetime:
        """A ``recorded_at`` read by ``aggregate`` as an aware datetime."""
        return self._from_db_time(value)

    def db_day(self, moment: datetime) -> Any:
        """A day as a query parameter compared with ``day_totals.day``."""
        return self._to_db_day(moment)

    def _spend(self, db: Any, window: WindowQuery) -> WindowSpend:
        """What the window's branch has spent since the window began (index day_totals)."""
        m = self.MARK
        emissions, energy, runs = db.execute(
            "SELECT COALESCE(SUM(emissions_kg), 0), COALESCE(SUM(energy_kwh), 0), "
            f"COALESCE(SUM(runs), 0) FROM day_totals WHERE repository = {m} AND branch = {m} "
            f"AND day >= {m}",
            (key(window.repository), key(window.branch), self._to_db_day(window.since)),
        ).fetchone()
        return WindowSpend(window.key, float(emissions), float(energy), int(runs))

    def _insert(self, db: Any, record: LedgerRecord, rerun: bool) -> LedgerRecord:
        """Store one run and add it to its day's totals; returns it with its id."""
        row = to_row(replace(record, rerun=rerun), self._to_db_time(record.recorded_at))
        m = self.MARK
        marks = ", ".join(m for _ in COLUMNS)
        run_id = self._insert_run(
            db, f"INSERT INTO runs ({', '.join(COLUMNS)}) VALUES ({marks})", row
        )
        db.execute(
            f"INSERT INTO day_totals VALUES ({m}, {m}, {m}, {m}, {m}, 1) "
            "ON CONFLICT (repository, branch, day) DO UPDATE SET "
            "emissions_kg = day_totals.emissions_kg + excluded.emissions_kg, "
            "energy_kwh = day_totals.energy_kwh + excluded.energy_kwh, runs = day_totals.runs + 1",
            (
                key(record.repository),
                key(record.branch),
                self._to_db_day(record.recorded_at),
                record.emissions_kg,
                record.energy_kwh,
            ),
        )
        return replace(record, id=run_id, rerun=rerun)

    def prune(self, before: datetime) -> int:
        """Delete older runs, and rebuild the cut day's totals from the runs left on it."""
        m = self.MARK
        next_day = datetime.combine(utc(before).date() + timedelta(days=1), time(), timezone.utc)
        with self._write("prune") as db:
            deleted = db.execute(
                f"DELETE FROM runs WHERE recorded_at < {m}", (self._to_db_time(before),)
            )
            db.execute(f"DELETE FROM day_totals WHERE day <= {m}", (self._to_db_day(before),))
            db.execute(
                f"INSERT INTO day_totals SELECT repository, branch, {m}, SUM(emissions_kg), "
                f"SUM(energy_kwh), COUNT(*) FROM runs WHERE recorded_at >= {m} "
                f"AND recorded_at < {m} GROUP BY repository, branch",
                (self._to_db_day(before), self._to_db_time(before), self._to_db_time(next_day)),
            )
            return int(deleted.rowcount)

    def _upgrade(self, db: Any, version: int, migrations: Sequence[Sequence[str]]) -> None:
        """Run the migrations after schema ``version``; refuse a ledger newer than this code."""
        if version > len(migrations):
            raise LedgerError(
                f"ledger {self.location} has schema version {version}; this greengate "
                f"knows up to {len(migrations)}",
                hint="upgrade greengate",
            )
        for steps in migrations[version:]:
            for statement in steps:
                db.execute(statement)

    def _lock_windows(self, db: Any, repository: str | None, branch: str | None) -> None:
        """Serialise appends to the same branch's windows, where the write lock does not."""

    @contextmanager
    def charging(self, asked: ChargeKey) -> Iterator[Charge]:
        """Lock, read the spends, the rerun and the baseline; the block may then append."""
        with self._write("append") as db:
            if asked.windows:
                self._lock_windows(db, asked.repository, asked.branch)
            spends = tuple(self._spend(db, w) for w in asked.windows)
            rerun = asked.commit is not None and (
                db.execute(*self._rerun_sql(asked)).fetchone() is not None
            )
            baseline: tuple[float, ...] = ()
            if asked.baseline is not None:
                sql, params = self._baseline_sql(asked.baseline)
                baseline = tuple(float(r[0]) for r in db.execute(sql, params).fetchall())
            yield _SqlCharge(self, db, spends, rerun, baseline)

    def _rerun_sql(self, asked: ChargeKey) -> tuple[str, tuple[Any, ...]]:
        """An earlier run of the job at the commit, from another CI run or attempt (if known)."""
        m = self.MARK
        sql = f"SELECT 1 FROM runs WHERE repository = {m} AND job = {m} AND commit_sha = {m}"
        params: tuple[Any, ...] = (key(asked.repository), key(asked.job), asked.commit)
        if asked.run_id is not None:
            sql += f" AND NOT (COALESCE(run_id, '') = {m} AND COALESCE(run_attempt, '') = {m})"
            params += (asked.run_id, asked.run_attempt or "")
        return sql + " LIMIT 1", params

    def _baseline_sql(self, query: BaselineQuery) -> tuple[str, tuple[Any, ...]]:
        m = self.MARK
        return (
            f"SELECT energy_kwh FROM runs WHERE repository = {m} AND job = {m} AND branch = {m} "
            f"AND status IN ('pass', 'warn') AND NOT rerun ORDER BY recorded_at DESC LIMIT {m}",
            (key(query.repository), key(query.job), query.branch, query.runs),
        )

    def baseline(self, query: BaselineQuery) -> tuple[float, ...]:
        """Energy of the newest passing, non-rerun runs (index runs_baseline)."""
        return tuple(float(r[0]) for r in self._read(*self._baseline_sql(query)))

    def trend(self, query: BaselineQuery, since: datetime) -> tuple[TrendDay, ...]:
        """Sums per day (index runs_baseline); ``query.runs`` is not used."""
        m = self.MARK
        rows = self._read(
            f"SELECT {self.DAY_NUMBER} AS d, COUNT(*), SUM(emissions_kg), SUM(energy_kwh) "
            f"FROM runs WHERE repository = {m} AND job = {m} AND branch = {m} "
            f"AND recorded_at >= {m} GROUP BY d ORDER BY d",
            (key(query.repository), key(query.job), query.branch, self._to_db_time(since)),
        )
        epoch = date(1970, 1, 1)
        return tuple(
            TrendDay(epoch + timedelta(days=int(d)), int(n), float(kg), float(kwh))
            for d, n, kg, kwh in rows
        )

    def records(self, where: RecordFilter | None = None) -> list[LedgerRecord]:
        """Matching records, oldest first."""
        sql, params = select_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return [from_row(r, self._from_db_time(r[1])) for r in self._read(sql, params)]

    def totals(self, where: RecordFilter | None = None) -> list[Total]:
        """One GROUP BY per level."""
        sql, params = totals_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return totals_from_rows(self._read(sql, params))

    def zones(self, where: RecordFilter | None = None) -> list[ZoneEnergy]:
        """Energy and location-based grams per grid zone (one GROUP BY)."""
        from greengate.ledger.disclosure import zones_from_rows, zones_sql  # disclosures only

        sql, params = zones_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return zones_from_rows(self._read(sql, params), self._from_db_time)

    def methods(self, where: RecordFilter | None = None) -> list[MethodCount]:
        """Runs and energy per source, scope and tiers (one GROUP BY)."""
        from greengate.ledger.disclosure import methods_from_rows, methods_sql

        sql, params = methods_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return methods_from_rows(self._read(sql, params))

    def sci_groups(self, where: RecordFilter | None = None) -> list[SciGroup]:
        """SCI's sums per job, unit, scope and tiers (one GROUP BY)."""
        from greengate.ledger.disclosure import sci_from_rows, sci_sql

        sql, params = sci_sql(where or RecordFilter(), self.MARK, self._to_db_time)
        return sci_from_rows(self._read(sql, params))

    def insert_many(self, records: Sequence[LedgerRecord]) -> int:
        """Insert in one transaction."""
        with self._write("import") as db:
            for record in records:
                self._insert(db, record, record.rerun)
        return len(records)


class _SqlCharge(Charge):
    """The answers of one ``charging`` transaction, and its one append."""

    def __init__(
        self,
        ledger: SqlLedger,
        db: Any,
        spends: tuple[WindowSpend, ...],
        rerun: bool,
        baseline: tuple[float, ...],
    ) -> None:
        self._ledger, self._db = ledger, db
        self.spends, self.rerun, self.baseline = spends, rerun, baseline
        self._stored: LedgerRecord | None = None

    def append(self, record: LedgerRecord) -> LedgerRecord:
        """Insert the run in the open transaction (once)."""
        if self._stored is not None:
            raise LedgerError("a charge stores one run; this one is already stored")
        self._stored = self._ledger._insert(self._db, record, self.rerun or record.rerun)
        return self._stored
