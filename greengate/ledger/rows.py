"""The ledger's table layout, shared by the backends: record <-> row, the same on both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from greengate.ledger.records import LedgerRecord, RecordFilter

# Order of the ``runs`` table's columns as the backends read and write them.
COLUMNS = (
    "recorded_at",
    "repository",
    "workflow",
    "job",
    "branch",
    "base_branch",
    "commit_sha",
    "run_id",
    "run_attempt",
    "energy_kwh",
    "emissions_kg",
    "intensity_g_per_kwh",
    "status",
    "source",
    "rerun",
)
SELECT_COLUMNS = ", ".join(("id", *COLUMNS))

# Lookup keys are stored as '' for "unknown": an index then finds them with plain equality
# on both backends (NULL = NULL is never true).
KEYS = ("repository", "job", "branch")


def key(value: str | None) -> str:
    """A lookup key as stored."""
    return value or ""


def utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def to_row(record: LedgerRecord, recorded_at: Any) -> tuple[Any, ...]:
    """The row for a record; the backend gives the time in its own representation."""
    return (
        recorded_at,
        key(record.repository),
        record.workflow,
        key(record.job),
        key(record.branch),
        record.base_branch,
        record.commit,
        record.run_id,
        record.run_attempt,
        record.energy_kwh,
        record.emissions_kg,
        record.intensity_g_per_kwh,
        record.status,
        record.source,
        bool(record.rerun),
    )


def from_row(row: Sequence[Any], recorded_at: datetime) -> LedgerRecord:
    """A record from a row in SELECT_COLUMNS order; the backend converts the time."""
    # Positional, in LedgerRecord's field order: an export builds 100,000 of these.
    return LedgerRecord(
        recorded_at,
        row[2] or None,
        row[3],
        row[4] or None,
        row[5] or None,
        row[6],
        row[7],
        row[8],
        row[9],
        row[10],
        row[11],
        row[12],
        row[13],
        row[14],
        bool(row[15]),
        row[0],
    )


def day_of(moment: datetime) -> str:
    """The UTC calendar day of a moment, as the day-totals table keys it."""
    return utc(moment).date().isoformat()


def select_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT for a filter, oldest first; ``mark`` is the backend's placeholder."""
    clauses: list[str] = []
    params: list[Any] = []
    for column in ("repository", "branch", "job"):
        value = getattr(where, column)
        if value is not None:
            clauses.append(f"{column} = {mark}")
            params.append(value)
    if where.since is not None:
        clauses.append(f"recorded_at >= {mark}")
        params.append(time(where.since))
    if where.until is not None:
        clauses.append(f"recorded_at < {mark}")
        params.append(time(where.until))
    sql = f"SELECT {SELECT_COLUMNS} FROM runs"
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    if where.limit is not None:
        newest = f"{sql} ORDER BY recorded_at DESC, id DESC LIMIT {int(where.limit)}"
        sql = f"SELECT * FROM ({newest}) AS newest"
    return sql + " ORDER BY recorded_at, id", tuple(params)
