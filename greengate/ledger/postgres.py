"""The shared ledger: PostgreSQL through psycopg 3, for many runners and repositories."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from greengate.ledger.conninfo import SECRET_KEYS, parameters, scrub, shown
from greengate.ledger.interface import LedgerError
from greengate.ledger.records import (
    RecordFilter,
)
from greengate.ledger.rows import (
    export_sql,
    key,
    utc,
)
from greengate.ledger.sql import SqlLedger
from greengate.ledger.storable import StorableText
from greengate.web import redaction

try:
    import psycopg
except ImportError:  # pragma: no cover - depends on the installation
    psycopg = None  # type: ignore[assignment]

CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT = "30s"  # parallel jobs queue for a window's lock; one append takes milliseconds

# Migration N brings the schema from version N to N + 1. Never edit a shipped one.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id BIGSERIAL PRIMARY KEY,
            recorded_at TIMESTAMPTZ NOT NULL,
            repository TEXT NOT NULL, workflow TEXT, job TEXT NOT NULL, branch TEXT NOT NULL,
            base_branch TEXT, commit_sha TEXT, run_id TEXT, run_attempt TEXT,
            energy_kwh DOUBLE PRECISION NOT NULL, emissions_kg DOUBLE PRECISION NOT NULL,
            intensity_g_per_kwh DOUBLE PRECISION NOT NULL, status TEXT NOT NULL,
            source TEXT NOT NULL, rerun BOOLEAN NOT NULL)""",
        "CREATE INDEX runs_time ON runs (recorded_at)",
        "CREATE INDEX runs_branch_time ON runs (repository, branch, recorded_at)",
        "CREATE INDEX runs_baseline ON runs (repository, job, branch, recorded_at)",
        "CREATE INDEX runs_commit ON runs (repository, job, commit_sha)",
        """CREATE TABLE day_totals (
            repository TEXT NOT NULL, branch TEXT NOT NULL, day DATE NOT NULL,
            emissions_kg DOUBLE PRECISION NOT NULL, energy_kwh DOUBLE PRECISION NOT NULL,
            runs BIGINT NOT NULL, PRIMARY KEY (repository, branch, day))""",
    ),
    # 2: what a disclosure (ESRS E1, SCI) traces per run; NULL on runs recorded before it.
    tuple(
        f"ALTER TABLE runs ADD COLUMN {column}"
        for column in (
            "grid_zone TEXT",
            "energy_low_kwh DOUBLE PRECISION",
            "energy_high_kwh DOUBLE PRECISION",
            "tiers TEXT",
            "scope TEXT",
            "embodied_kg DOUBLE PRECISION",
            "unit_name TEXT",
            "unit_count DOUBLE PRECISION",
        )
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
_MIGRATION_LOCK = 0x67726E67  # advisory lock id: one process migrates, the others wait


# recorded_at as datetime.isoformat() shows it in UTC (microseconds only when there are any).
_UTC = "(recorded_at AT TIME ZONE 'UTC')"
ISO_TIME = (
    f"to_char({_UTC}, 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN date_trunc('second', {_UTC}) "
    f"= {_UTC} THEN '' ELSE to_char({_UTC}, '.US') END || '+00:00'"
)


class PostgresLedger(SqlLedger):
    """A ledger in a PostgreSQL database; appends to a branch's windows are serialised."""

    MARK = "%s"
    DAY_NUMBER = "(FLOOR(EXTRACT(EPOCH FROM recorded_at) / 86400)::BIGINT)"

    def __init__(self, url: str) -> None:
        self.location = shown(url)  # the password never leaves this object
        self._url = url
        # ... nor reaches any message, in whatever form a driver or server echoes it.
        found = parameters(url) or {}
        redaction.register(*(found.get(key) for key in SECRET_KEYS))
        if psycopg is None:
            raise LedgerError(
                "a postgresql:// ledger needs psycopg", hint="pip install 'greengate-ci[postgres]'"
            )
        try:
            self._db = StorableText(
                psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
            )
            self._migrate()
        except psycopg.Error as e:
            raise self._error("cannot open", e) from e

    def _error(self, doing: str, error: BaseException) -> LedgerError:
        return LedgerError(
            f"ledger {self.location}: {doing}: {scrub(str(error).strip(), self._url)}",
            hint="check that the server is reachable and the URL's user may write",
        )

    @contextmanager
    def _write(self, doing: str) -> Iterator[psycopg.Connection[Any]]:
        try:
            with self._db.transaction():
                self._db.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
                yield self._db
        except psycopg.Error as e:
            raise self._error(doing, e) from e

    def _migrate(self) -> None:
        with self._write("migrate") as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE TABLE IF NOT EXISTS greengate_schema (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM greengate_schema").fetchone()
            version = 0 if row is None else int(row[0])
            self._upgrade(db, version, MIGRATIONS)
            if row is None:
                db.execute("INSERT INTO greengate_schema VALUES (%s)", (SCHEMA_VERSION,))
            else:
                db.execute("UPDATE greengate_schema SET version = %s", (SCHEMA_VERSION,))

    def _lock_windows(
        self, db: psycopg.Connection[Any], repository: str | None, branch: str | None
    ) -> None:
        # One transaction-scoped lock per (repository, branch): two jobs charging the
        # same windows queue here, so neither squeezes under the other's last kg.
        db.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
            (f"{key(repository)}\n{key(branch)}",),
        )

    def export_rows(self, where: RecordFilter | None = None) -> Iterator[tuple[Any, ...]]:
        """Rows straight from the cursor, formatted by PostgreSQL."""
        sql, params = export_sql(where or RecordFilter(), "%s", utc, ISO_TIME)
        try:
            with self._db.transaction():
                yield from self._db.execute(sql, params)
        except psycopg.Error as e:
            raise self._error("read", e) from e

    def _read(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        try:
            with self._db.transaction():
                return list(self._db.execute(sql, params).fetchall())
        except psycopg.Error as e:
            raise self._error("read", e) from e

    def _to_db_time(self, moment: datetime) -> datetime:
        return utc(moment)

    def _from_db_time(self, value: Any) -> datetime:
        return utc(value)

    def _to_db_day(self, moment: datetime) -> date:
        return utc(moment).date()

    def _insert_run(
        self, db: psycopg.Connection[Any], sql: str, row: tuple[Any, ...]
    ) -> int | None:
        found = db.execute(sql + " RETURNING id", row).fetchone()
        return None if found is None else int(found[0])


def connect(location: str) -> PostgresLedger:
    """The registry's entry point."""
    return PostgresLedger(location)
