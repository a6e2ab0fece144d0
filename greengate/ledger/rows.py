"""The ledger's table layout, shared by the backends: record <-> row, the same on both."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any

from greengate.ledger.records import LedgerRecord, RecordFilter, Total
from greengate.verdict import Status

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
    # schema 2: what disclosures trace (greengate.ledger.disclosure)
    "grid_zone",
    "energy_low_kwh",
    "energy_high_kwh",
    "tiers",
    "scope",
    "embodied_kg",
    "unit_name",
    "unit_count",
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
        record.status.value,
        record.source,
        bool(record.rerun),
        record.grid_zone,
        record.energy_low_kwh,
        record.energy_high_kwh,
        record.tiers,
        record.scope,
        record.embodied_kg,
        record.unit_name,
        record.unit_count,
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
        Status(row[13]),
        row[14],
        bool(row[15]),
        row[0],
        *row[16:24],
    )


def day_of(moment: datetime) -> str:
    """The UTC calendar day of a moment, as the day-totals table keys it."""
    return utc(moment).date().isoformat()


def conditions(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """The WHERE clause of a filter and its parameters (empty when it filters nothing)."""
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
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def where_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """The `` WHERE ...`` clause of a filter ('' for none) and its parameters."""
    return conditions(where, mark, time)


def select_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT for a filter, oldest first; ``mark`` is the backend's placeholder."""
    condition, params = conditions(where, mark, time)
    sql = f"SELECT {SELECT_COLUMNS} FROM runs{condition}"
    if where.limit is not None:
        newest = f"{sql} ORDER BY recorded_at DESC, id DESC LIMIT {int(where.limit)}"
        sql = f"SELECT * FROM ({newest}) AS newest"
    return sql + " ORDER BY recorded_at, id", params


def export_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any], iso_time: str
) -> tuple[str, tuple[Any, ...]]:
    """The SELECT of export rows (``run`` then greengate.ledger.export.CSV_FIELDS), oldest first.

    The database formats every value as the CSV shows it (``iso_time``: the backend's
    expression for ``recorded_at`` as ``datetime.isoformat``), so an export of 100,000
    rows builds no Python object per row (docs/history.md, Performance).
    """
    condition, params = conditions(where, mark, time)
    columns = (
        f"'run', id, {iso_time}, repository, workflow, job, branch, commit_sha, run_id, "
        "run_attempt, energy_kwh, emissions_kg, intensity_g_per_kwh, status, "
        "CASE WHEN rerun THEN 'True' ELSE 'False' END, source"
    )
    return f"SELECT {columns} FROM runs{condition} ORDER BY recorded_at, id", params


def totals_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """Sums per (repository, branch, job): one GROUP BY, the levels above are rolled up."""
    condition, params = conditions(where, mark, time)
    sql = (
        "SELECT repository, branch, job, COUNT(*), SUM(CASE WHEN rerun THEN 1 ELSE 0 END), "
        "SUM(energy_kwh), SUM(emissions_kg), SUM(CASE WHEN rerun THEN emissions_kg ELSE 0.0 END) "
        f"FROM runs{condition} GROUP BY repository, branch, job ORDER BY repository, branch, job"
    )
    return sql, params


def totals_from_rows(rows: Sequence[Sequence[Any]]) -> list[Total]:
    """Totals per job from totals_sql's rows, plus their branch and repository totals.

    In the export's order (by repository, branch, job). A value the records did not know
    ('' as stored) shows as ``?``, so its group stays apart from the level above it, which
    has None there.
    """
    sums: dict[tuple[str | None, str | None, str | None], list[float]] = {}
    for repository, branch, job, *figures in rows:
        repository, branch, job = repository or "?", branch or "?", job or "?"
        for group in (
            (repository, None, None),
            (repository, branch, None),
            (repository, branch, job),
        ):
            s = sums.setdefault(group, [0, 0, 0.0, 0.0, 0.0])
            for i, figure in enumerate(figures):
                s[i] += figure
    return [
        Total(*group, int(s[0]), int(s[1]), float(s[2]), float(s[3]), float(s[4]))
        for group, s in sorted(sums.items(), key=lambda kv: tuple(map(str, kv[0])))
    ]
