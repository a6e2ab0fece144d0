"""The embedded ledger: one SQLite file in WAL mode, schema versioned by ``user_version``."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from greengate.ledger.interface import LedgerError
from greengate.ledger.records import (
    RecordFilter,
)
from greengate.ledger.rows import (
    day_of,
    export_sql,
    utc,
)
from greengate.ledger.sql import SqlLedger
from greengate.ledger.storable import StorableText

BUSY_TIMEOUT_S = 30.0  # parallel jobs queue for the write lock; one append takes milliseconds

# Migration N brings the schema from user_version N to N + 1. Never edit a shipped one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            recorded_at INTEGER NOT NULL,  -- microseconds since the epoch, UTC
            repository TEXT NOT NULL, workflow TEXT, job TEXT NOT NULL, branch TEXT NOT NULL,
            base_branch TEXT, commit_sha TEXT, run_id TEXT, run_attempt TEXT,
            energy_kwh REAL NOT NULL, emissions_kg REAL NOT NULL,
            intensity_g_per_kwh REAL NOT NULL, status TEXT NOT NULL, source TEXT NOT NULL,
            rerun INTEGER NOT NULL)""",
        "CREATE INDEX runs_time ON runs (recorded_at)",
        "CREATE INDEX runs_branch_time ON runs (repository, branch, recorded_at)",
        "CREATE INDEX runs_baseline ON runs (repository, job, branch, recorded_at)",
        "CREATE INDEX runs_commit ON runs (repository, job, commit_sha)",
        # Per-day sums keep a window check O(log n): at most a quarter's days are summed.
        """CREATE TABLE day_totals (
            repository TEXT NOT NULL, branch TEXT NOT NULL, day TEXT NOT NULL,
            emissions_kg REAL NOT NULL, energy_kwh REAL NOT NULL, runs INTEGER NOT NULL,
            PRIMARY KEY (repository, branch, day))""",
    ),
    # 2: what a disclosure (ESRS E1, SCI) traces per run; NULL on runs recorded before it.
    tuple(
        f"ALTER TABLE runs ADD COLUMN {column}"
        for column in (
            "grid_zone TEXT",
            "energy_low_kwh REAL",
            "energy_high_kwh REAL",
            "tiers TEXT",
            "scope TEXT",
            "embodied_kg REAL",
            "unit_name TEXT",
            "unit_count REAL",
        )
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
#: ``PRAGMA application_id`` of a file greengate created ("GrnG" in ASCII; the header field
#: SQLite keeps for this, https://www.sqlite.org/fileformat.html#application_id). A file
#: without it is another program's unless it is empty or a ledger from before the mark.
APPLICATION_ID = 0x47726E47
_OWN_TABLES = {"runs", "day_totals"}


EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _micros(moment: datetime) -> int:
    return (utc(moment) - EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


# recorded_at (microseconds) as datetime.isoformat() shows it in UTC; the floor keeps
# times before 1970 right, where SQLite's / and % round towards zero.
_FRACTION = "((recorded_at % 1000000) + 1000000) % 1000000"
ISO_TIME = (
    f"strftime('%Y-%m-%dT%H:%M:%S', (recorded_at - {_FRACTION}) / 1000000, 'unixepoch') "
    f"|| CASE {_FRACTION} WHEN 0 THEN '' ELSE printf('.%06d', {_FRACTION}) END || '+00:00'"
)


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL (persistent once done), waiting out a concurrent switch.

    The switch needs an exclusive lock and SQLite answers "database is locked" at once
    instead of calling the busy handler, so processes that create a fresh ledger together
    would fail; they retry for as long as any other lock is waited for.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _path(location: str) -> str:
    return location[len("sqlite://") :] if location.startswith("sqlite://") else location


class SQLiteLedger(SqlLedger):
    """A ledger in one SQLite file; safe for parallel processes on one machine."""

    MARK = "?"
    # Floor division (SQLite's / truncates towards zero) of microseconds by a day's.
    DAY_NUMBER = (
        "((recorded_at - (((recorded_at % 86400000000) + 86400000000) % 86400000000)) "
        "/ 86400000000)"
    )

    def __init__(self, location: str) -> None:
        self.location = _path(location)
        try:
            parent = os.path.dirname(self.location)
            if parent:
                os.makedirs(parent, exist_ok=True)
            self._db = StorableText(
                sqlite3.connect(self.location, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            )
            self._refuse_foreign()  # before WAL: another program's file is left as it was
            _use_wal(self._db)
            # WAL + NORMAL survives a killed process; only an OS crash may lose the last commit.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except (OSError, sqlite3.Error) as e:
            raise self._error("cannot open", e) from e

    def _error(self, doing: str, error: BaseException) -> LedgerError:
        return LedgerError(
            f"ledger {self.location}: {doing}: {error}",
            hint="check the path and its permissions; a corrupt file can be moved aside "
            "and a fresh ledger starts on the next run",
        )

    @contextmanager
    def _write(self, doing: str) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock before the first read, so a window's
        # spend cannot change between reading it and charging this run.
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise self._error(doing, e) from e

    def _refuse_foreign(self) -> None:
        """LedgerError for an SQLite file greengate did not create (issue 20).

        GREENGATE_LEDGER pointed at another program's database used to get greengate's
        tables added to it. Taken: a file with greengate's application_id, an empty one
        (a new ledger), and one with exactly greengate's tables and a schema version (a
        ledger written before the mark, which the migration then marks).
        """
        # One read transaction: one snapshot, not a ledger half-created by a parallel job.
        self._db.execute("BEGIN")
        try:
            (app,) = self._db.execute("PRAGMA application_id").fetchone()
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            names = self._db.execute("SELECT type, name FROM sqlite_master").fetchall()
        finally:
            self._db.execute("COMMIT")
        if app == APPLICATION_ID:
            return
        objects = len(names)
        tables = {n for kind, n in names if kind == "table" and not n.startswith("sqlite")}
        if app == 0 and (objects == version == 0 or (tables == _OWN_TABLES and version > 0)):
            return
        what = f"tables {', '.join(sorted(tables))}" if tables else "no greengate tables"
        owner = f", application_id {app:#x}" if app else ""
        raise LedgerError(
            f"ledger {self.location}: not a greengate ledger: an SQLite database with "
            f"{what}{owner} that greengate did not create; left unchanged",
            hint="point --ledger or GREENGATE_LEDGER at a greengate ledger or a new file "
            "(default .greengate/ledger.db)",
        )

    def _migrate(self) -> None:
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        (app,) = self._db.execute("PRAGMA application_id").fetchone()
        if version == SCHEMA_VERSION and app == APPLICATION_ID:
            return
        if version == SCHEMA_VERSION:  # a current ledger from before the mark: mark it
            with contextlib.suppress(sqlite3.OperationalError):  # a read-only file stays so
                self._db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            return
        with self._write("migrate") as db:
            (version,) = db.execute("PRAGMA user_version").fetchone()  # another process won?
            self._upgrade(db, version, MIGRATIONS)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")

    def export_rows(self, where: RecordFilter | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows straight from the cursor, formatted by SQLite."""
        sql, params = export_sql(where or RecordFilter(), "?", _micros, ISO_TIME)
        try:
            yield from self._db.execute(sql, params)
        except sqlite3.Error as e:
            raise self._error("read", e) from e

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        try:
            return list(self._db.execute(sql, params).fetchall())
        except sqlite3.Error as e:
            raise self._error("read", e) from e

    def _to_db_time(self, moment: datetime) -> int:
        return _micros(moment)

    def _from_db_time(self, value: Any) -> datetime:
        return _moment(int(value))

    def _to_db_day(self, moment: datetime) -> str:
        return day_of(moment)

    def _insert_run(self, db: sqlite3.Connection, sql: str, row: tuple[Any, ...]) -> int | None:
        return db.execute(sql, row).lastrowid


def connect(location: str) -> SQLiteLedger:
    """The registry's entry point."""
    return SQLiteLedger(location)
