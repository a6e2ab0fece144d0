"""The report's questions to the ledger: aggregate queries, rows per group rather than per run.

A ledger of 100,000 runs answers each in one scan (BENCHMARKS.md, report). Times before
1970 are not expected in a CI ledger; the bucket arithmetic assumes day numbers >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from greengate.ledger.records import RecordFilter
from greengate.ledger.rows import where_sql
from greengate.ledger.sql import SqlLedger
from greengate.report.model import ComparedRun, Spread, Totals

EPOCH_DAY = date(1970, 1, 1)
# 1970-01-01 was a Thursday: (day number + 3) // 7 counts Monday-to-Sunday weeks.
WEEK_OFFSET = 3


@dataclass(frozen=True)
class GroupSum:
    """One (repository, branch, job)'s sums in one bucket of a timeline."""

    repository: str
    branch: str
    job: str
    bucket: int  # day number, or week number when grouped by week
    runs: int
    energy_kwh: float
    emissions_kg: float
    reruns: int
    rerun_emissions_kg: float


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


def span(ledger: SqlLedger, where: RecordFilter) -> tuple[datetime, datetime] | None:
    """The first and last run of the selection (an index look-up without filters)."""
    condition, params = _where(ledger, where)
    ((first, last),) = ledger.aggregate(
        f"SELECT MIN(recorded_at), MAX(recorded_at) FROM runs{condition}", params
    )
    if first is None:
        return None
    return ledger.from_db_time(first), ledger.from_db_time(last)


def sums(ledger: SqlLedger, where: RecordFilter, step: str) -> list[GroupSum]:
    """Sums per repository, branch, job and day or week: one scan feeds the timeline and jobs."""
    day = ledger.DAY_NUMBER
    bucket = f"(({day} + {WEEK_OFFSET}) / 7)" if step == "week" else day
    condition, params = _where(ledger, where)
    rows = ledger.aggregate(
        f"SELECT repository, branch, job, {bucket} AS bucket, COUNT(*), SUM(energy_kwh), "
        "SUM(emissions_kg), SUM(CASE WHEN rerun THEN 1 ELSE 0 END), "
        "SUM(CASE WHEN rerun THEN emissions_kg ELSE 0 END) "
        f"FROM runs{condition} GROUP BY bucket, repository, branch, job",
        params,
    )
    return [
        GroupSum(
            r[0] or "?", r[1] or "?", r[2] or "?", int(r[3]), int(r[4]), float(r[5]),
            float(r[6]), int(r[7]), float(r[8]),
        )
        for r in rows
    ]  # fmt: skip


def recent_energies(
    ledger: SqlLedger, where: RecordFilter, repository: str, job: str, runs: int
) -> list[float]:
    """Energy of a job's newest ``runs`` runs in the selection (index runs_baseline)."""
    m = ledger.MARK
    condition, params = _where(ledger, where, f"repository = {m}", f"job = {m}")
    rows = ledger.aggregate(
        f"SELECT energy_kwh FROM runs{condition} ORDER BY recorded_at DESC LIMIT {int(runs)}",
        (*params, raw(repository), raw(job)),
    )
    return [float(r[0]) for r in rows]


def spread(repository: str, job: str, energies: Sequence[float]) -> Spread:
    """Nearest-rank quartiles (the ceil(p x n)-th smallest) of a job's energies."""
    ranked = sorted(energies)
    n = len(ranked)

    def rank(p: float) -> float:
        return ranked[max(math.ceil(p * n), 1) - 1]

    return Spread(repository, job, n, ranked[0], rank(0.25), rank(0.5), rank(0.75), ranked[-1])


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
    """The newest ``limit`` runs of a job the judge compared with ``base``, oldest first.

    As ``ledger.regression.base_branch`` chooses: a pull request's run is compared with its
    target, any other run off ``base`` with the policy's base branch (stored base_branch
    empty). Only the first were drawn, so a branch that warned "+34 % vs main" outside a
    pull request showed no points (issue 19).
    """
    m = ledger.MARK
    condition, params = _where(
        ledger,
        RecordFilter(since=where.since, until=where.until, branch=where.branch),
        f"repository = {m}",
        f"job = {m}",
        f"(base_branch = {m} OR base_branch IS NULL)",
        f"branch <> {m}",
    )
    rows = ledger.aggregate(
        f"SELECT recorded_at, branch, energy_kwh FROM runs{condition} "
        f"ORDER BY recorded_at DESC LIMIT {int(limit)}",
        (*params, raw(repository), raw(job), base, base),
    )
    return [(ledger.from_db_time(r[0]), r[1], float(r[2])) for r in reversed(rows)]
