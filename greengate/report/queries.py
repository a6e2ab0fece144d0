"""The report's questions to the ledger, each one aggregate query: rows per group, not per run.

A ledger of 100,000 runs answers each in one scan (BENCHMARKS.md, report). Times before
1970 are not expected in a CI ledger; the bucket arithmetic assumes day numbers >= 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from greengate.ledger.records import RecordFilter
from greengate.ledger.rows import where_sql
from greengate.ledger.sql import SqlLedger
from greengate.report.model import ComparedRun, JobFigures, Spread, Totals

EPOCH_DAY = date(1970, 1, 1)
# 1970-01-01 was a Thursday: (day number + 3) // 7 counts Monday-to-Sunday weeks.
WEEK_OFFSET = 3


@dataclass(frozen=True)
class GroupSum:
    """One group's sums in one bucket of a timeline."""

    repository: str
    name: str
    bucket: int  # day number, or week number when grouped by week
    runs: int
    energy_kwh: float
    emissions_kg: float


def raw(shown: str) -> str:
    """A key as stored, from its shown form ('?' is unknown, stored as '')."""
    return "" if shown == "?" else shown


def _where(ledger: SqlLedger, where: RecordFilter, *extra: str) -> tuple[str, tuple[Any, ...]]:
    condition, params = where_sql(where, ledger.MARK, ledger.db_time)
    clauses = [c for c in (condition.removeprefix(" WHERE "), *extra) if c]
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def totals(ledger: SqlLedger, where: RecordFilter) -> Totals:
    """Sums over the whole selection, and its first and last run."""
    condition, params = _where(ledger, where)
    ((runs, energy, emissions, reruns, waste, first, last),) = ledger.aggregate(
        "SELECT COUNT(*), COALESCE(SUM(energy_kwh), 0), COALESCE(SUM(emissions_kg), 0), "
        "COALESCE(SUM(CASE WHEN rerun THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN rerun THEN emissions_kg ELSE 0 END), 0), "
        f"MIN(recorded_at), MAX(recorded_at) FROM runs{condition}",
        params,
    )
    return Totals(
        int(runs),
        float(energy),
        float(emissions),
        int(reruns),
        float(waste),
        None if first is None else ledger.from_db_time(first),
        None if last is None else ledger.from_db_time(last),
    )


def bucket_start(bucket: int, step: str) -> date:
    """The first day of a bucket number."""
    if step == "week":
        return EPOCH_DAY + timedelta(days=bucket * 7 - WEEK_OFFSET)
    return EPOCH_DAY + timedelta(days=bucket)


def bucket_of(day: date, step: str) -> int:
    """The bucket number of a day."""
    number = (day - EPOCH_DAY).days
    return (number + WEEK_OFFSET) // 7 if step == "week" else number


def sums_by(ledger: SqlLedger, where: RecordFilter, column: str, step: str) -> list[GroupSum]:
    """Sums per repository, ``column`` (branch or job) and day or week, in SQL."""
    if column not in ("branch", "job"):
        raise ValueError(column)
    day = ledger.DAY_NUMBER
    bucket = f"(({day} + {WEEK_OFFSET}) / 7)" if step == "week" else day
    condition, params = _where(ledger, where)
    rows = ledger.aggregate(
        f"SELECT repository, {column}, {bucket} AS bucket, COUNT(*), SUM(energy_kwh), "
        f"SUM(emissions_kg) FROM runs{condition} GROUP BY repository, {column}, bucket",
        params,
    )
    return [
        GroupSum(r[0] or "?", r[1] or "?", int(r[2]), int(r[3]), float(r[4]), float(r[5]))
        for r in rows
    ]


def job_figures(ledger: SqlLedger, where: RecordFilter, top: int) -> list[JobFigures]:
    """The ``top`` jobs by emissions, with their rerun waste."""
    condition, params = _where(ledger, where)
    rows = ledger.aggregate(
        "SELECT repository, job, COUNT(*), SUM(energy_kwh), SUM(emissions_kg), "
        "SUM(CASE WHEN rerun THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN rerun THEN emissions_kg ELSE 0 END) "
        f"FROM runs{condition} GROUP BY repository, job "
        f"ORDER BY SUM(emissions_kg) DESC, repository, job LIMIT {int(top)}",
        params,
    )
    return [
        JobFigures(
            r[0] or "?", r[1] or "?", int(r[2]), float(r[3]), float(r[4]), int(r[5]), float(r[6])
        )
        for r in rows
    ]


def spreads(
    ledger: SqlLedger, where: RecordFilter, jobs: Sequence[tuple[str, str]]
) -> list[Spread]:
    """Nearest-rank quartiles of energy per run for the given (repository, job) pairs."""
    if not jobs:
        return []
    m = ledger.MARK
    names = sorted({job for _, job in jobs})
    condition, params = _where(ledger, where, f"job IN ({', '.join(m for _ in names)})")
    rows = ledger.aggregate(
        "SELECT repository, job, n, rn, energy_kwh FROM (SELECT repository, job, energy_kwh, "
        "ROW_NUMBER() OVER (PARTITION BY repository, job ORDER BY energy_kwh) AS rn, "
        "COUNT(*) OVER (PARTITION BY repository, job) AS n "
        f"FROM runs{condition}) AS ranked "
        "WHERE rn = 1 OR rn = n OR rn = (n + 3) / 4 OR rn = (n + 1) / 2 OR rn = (3 * n + 3) / 4",
        (*params, *(raw(n) for n in names)),
    )
    found: dict[tuple[str, str], tuple[int, dict[int, float]]] = {}
    for repository, job, n, rn, energy in rows:
        group = (repository or "?", job or "?")
        found.setdefault(group, (int(n), {}))[1][int(rn)] = float(energy)
    result = []
    for group in jobs:
        if group not in found:
            continue
        n, ranks = found[group]
        result.append(
            Spread(
                *group,
                n,
                ranks[1],
                ranks[(n + 3) // 4],
                ranks[(n + 1) // 2],
                ranks[(3 * n + 3) // 4],
                ranks[n],
            )
        )
    return result


def day_spends(
    ledger: SqlLedger, since: datetime, repository: str | None
) -> list[tuple[str, str, date, float, float, int]]:
    """Per repository, branch and day since ``since``: emissions, energy and runs (day_totals)."""
    m = ledger.MARK
    sql = (
        "SELECT repository, branch, day, emissions_kg, energy_kwh, runs FROM day_totals "
        f"WHERE day >= {m}"
    )
    params: tuple[Any, ...] = (ledger.db_day(since),)
    if repository is not None:
        sql += f" AND repository = {m}"
        params += (repository,)
    return [
        (
            r[0] or "?",
            r[1] or "?",
            date.fromisoformat(str(r[2])[:10]),
            float(r[3]),
            float(r[4]),
            int(r[5]),
        )
        for r in ledger.aggregate(sql, params)
    ]


def baseline_runs(
    ledger: SqlLedger, repository: str, job: str, base: str, runs: int
) -> list[ComparedRun]:
    """The baseline's own runs, as ``Ledger.baseline`` picks them, oldest first."""
    m = ledger.MARK
    rows = ledger.aggregate(
        f"SELECT recorded_at, branch, energy_kwh FROM runs WHERE repository = {m} "
        f"AND job = {m} AND branch = {m} AND status IN ('pass', 'warn') AND NOT rerun "
        f"ORDER BY recorded_at DESC LIMIT {m}",
        (raw(repository), raw(job), base, runs),
    )
    return [
        ComparedRun(ledger.from_db_time(r[0]), r[1], float(r[2]), True, "pass")
        for r in reversed(rows)
    ]


def compared_runs(
    ledger: SqlLedger, where: RecordFilter, repository: str, job: str, base: str, limit: int
) -> list[tuple[datetime, str, float]]:
    """The newest ``limit`` runs of a job on branches that target ``base``, oldest first."""
    m = ledger.MARK
    condition, params = _where(
        ledger,
        RecordFilter(since=where.since, until=where.until, branch=where.branch),
        f"repository = {m}",
        f"job = {m}",
        f"base_branch = {m}",
        f"branch <> {m}",
    )
    rows = ledger.aggregate(
        f"SELECT recorded_at, branch, energy_kwh FROM runs{condition} "
        f"ORDER BY recorded_at DESC LIMIT {int(limit)}",
        (*params, raw(repository), raw(job), base, base),
    )
    return [(ledger.from_db_time(r[0]), r[1], float(r[2])) for r in reversed(rows)]
