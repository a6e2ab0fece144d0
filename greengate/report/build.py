"""Assemble a Report from the ledger's aggregates and the policy's windows and regression rule."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from fnmatch import fnmatchcase

from greengate.gate.history import compare
from greengate.ledger.records import BaselineQuery, RecordFilter
from greengate.ledger.sql import SqlLedger
from greengate.ledger.windows import period_start
from greengate.policy.model import Period, Policy, Regression, Window
from greengate.report import queries
from greengate.report.model import (
    Baseline,
    BurnDown,
    ComparedRun,
    JobFigures,
    Report,
    Series,
    Timeline,
    Totals,
)
from greengate.report.what_if import what_if

MAX_SERIES = 6  # lines per timeline chart; the rest are summed as "other" (palette of 7)
DAILY_UP_TO_DAYS = 92  # a longer span is drawn per week
BURNDOWN_BRANCHES = 3  # per window: the branches that spent most
BASELINE_JOBS = 4
COMPARED_RUNS = 40  # per baseline chart: the newest runs set against the band
SPREAD_RUNS = 200  # per job: the spread of its newest runs (noise now, not a year ago)


def choose_step(first: datetime, last: datetime) -> str:
    """Days for a span up to about a quarter, else weeks."""
    return "day" if (last.date() - first.date()).days < DAILY_UP_TO_DAYS else "week"


def build_timeline(
    rows: list[queries.GroupSum], step: str, first_day: date, last_day: date
) -> Timeline:
    """Sums per branch and per job over days or weeks, from the first run to the last."""
    first = queries.bucket_of(first_day, step)
    count = queries.bucket_of(last_day, step) - first + 1
    buckets = tuple(queries.bucket_start(first + i, step) for i in range(count))
    several = len({r.repository for r in rows}) > 1
    by_branch = _series([(_named(r, r.branch, several), r) for r in rows], first, count)
    by_job = _series([(_named(r, r.job, several), r) for r in rows], first, count)
    return Timeline(step, buckets, by_branch, by_job)


def _named(row: queries.GroupSum, name: str, several: bool) -> str:
    return f"{row.repository}: {name}" if several else name


def top_jobs(rows: list[queries.GroupSum], top: int) -> list[JobFigures]:
    """The ``top`` jobs by emissions, with their rerun waste."""
    jobs: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0.0])
    for r in rows:
        s = jobs[(r.repository, r.job)]
        s[0] += r.runs
        s[1] += r.energy_kwh
        s[2] += r.emissions_kg
        s[3] += r.reruns
        s[4] += r.rerun_emissions_kg
    ranked = sorted(jobs.items(), key=lambda kv: (-kv[1][2], kv[0]))[:top]
    return [
        JobFigures(repo, job, int(s[0]), s[1], s[2], int(s[3]), s[4]) for (repo, job), s in ranked
    ]


def _totals(rows: list[queries.GroupSum], span: tuple[datetime, datetime] | None) -> Totals:
    return Totals(
        sum(r.runs for r in rows),
        sum(r.energy_kwh for r in rows),
        sum(r.emissions_kg for r in rows),
        sum(r.reruns for r in rows),
        sum(r.rerun_emissions_kg for r in rows),
        span[0] if span else None,
        span[1] if span else None,
    )


def _series(rows: list[tuple[str, queries.GroupSum]], first: int, count: int) -> tuple[Series, ...]:
    """The MAX_SERIES largest groups by emissions, then one summing all the others."""
    groups: dict[str, list[list[float]]] = defaultdict(lambda: [[0.0] * count for _ in range(3)])
    for name, r in rows:
        sums = groups[name]
        i = r.bucket - first
        sums[0][i] += r.runs
        sums[1][i] += r.energy_kwh
        sums[2][i] += r.emissions_kg
    ranked = sorted(groups.items(), key=lambda kv: (-sum(kv[1][2]), kv[0]))
    kept, rest = ranked[:MAX_SERIES], ranked[MAX_SERIES:]
    if len(rest) == 1:
        kept, rest = ranked, []
    if rest:
        other = [[sum(s[k][i] for _, s in rest) for i in range(count)] for k in range(3)]
        kept.append((f"{len(rest)} others", other))
    return tuple(
        Series(name, tuple(int(n) for n in s[0]), tuple(s[1]), tuple(s[2])) for name, s in kept
    )


def period_end(window: Window, since: date, today: date) -> date:
    """The day after the window's last day (a rolling window ends today)."""
    if window.period is Period.DAY or window.period is Period.ROLLING:
        return today + timedelta(days=1)
    if window.period is Period.WEEK:
        return since + timedelta(days=7)
    months = 1 if window.period is Period.MONTH else 3
    month = since.month - 1 + months
    return date(since.year + month // 12, month % 12 + 1, 1)


def build_burndowns(
    ledger: SqlLedger, policy: Policy, where: RecordFilter, now: datetime
) -> tuple[list[BurnDown], list[str]]:
    """Each window's spend so far against each of its limits, for its biggest spenders."""
    found: list[BurnDown] = []
    notes: list[str] = []
    today = now.date()
    for window in policy.windows:
        since = period_start(window, now)
        days = []
        day = since.date()
        end = period_end(window, day, today)
        while day < end:
            days.append(day)
            day += timedelta(days=1)
        spends: dict[tuple[str, str], dict[date, tuple[float, float, int]]] = defaultdict(dict)
        for repository, branch, on, kg, kwh, count in queries.day_spends(
            ledger, since, where.repository
        ):
            if any(fnmatchcase(branch, g) for g in window.branches) and (
                where.branch is None or branch == where.branch
            ):
                spends[(repository, branch)][on] = (kg, kwh, count)
        if not spends:
            notes.append(f"window {window.label!r}: no run has been charged to it yet")
            continue
        warn_at = window.warn_at if window.warn_at is not None else policy.defaults.warn_at
        ranked = sorted(spends.items(), key=lambda kv: -sum(v[0] for v in kv[1].values()))
        if len(ranked) > BURNDOWN_BRANCHES:
            notes.append(
                f"window {window.label!r}: {len(ranked) - BURNDOWN_BRANCHES} more branches "
                f"are charged to it; the {BURNDOWN_BRANCHES} that spent most are shown"
            )
        past = [d for d in days if d <= today]
        for (repository, branch), by_day in ranked[:BURNDOWN_BRANCHES]:
            limits = (
                ("emissions", window.max_emissions_kg, 0),
                ("energy", window.max_energy_kwh, 1),
            )
            for quantity, limit, index in limits:
                if limit is None:
                    continue
                total, spent = 0.0, []
                for d in past:
                    total += by_day.get(d, (0.0, 0.0, 0))[index]
                    spent.append(total)
                runs = tuple(by_day.get(d, (0.0, 0.0, 0))[2] for d in past)
                found.append(
                    BurnDown(
                        window.label,
                        repository,
                        branch,
                        quantity,
                        limit,
                        warn_at,
                        tuple(days),
                        today,
                        tuple(spent),
                        runs,
                    )
                )
    return found, notes


def _against(
    rule: Regression, job: str | None, base: str, baseline: tuple[float, ...], kwh: float
) -> str:
    """A run against today's band: pass, or fail above it."""
    return compare(rule, job, base, baseline, kwh).status.value


def build_baselines(
    ledger: SqlLedger, rule: Regression, where: RecordFilter, rows: list[queries.GroupSum]
) -> tuple[list[Baseline], list[str]]:
    """Today's baseline band for the base branch's busiest jobs, and the runs against it."""
    base = rule.base_branch
    if base is None:
        return [], [
            "regression: the policy names no base_branch, so the report cannot tell which "
            "branch the baseline comes from (in CI it is the pull request's target)"
        ]
    candidates = top_jobs([r for r in rows if r.branch == base], len(rows))
    jobs = [j for j in candidates if not rule.jobs or any(fnmatchcase(j.job, g) for g in rule.jobs)]
    found = []
    for job in jobs[:BASELINE_JOBS]:
        own = queries.baseline_runs(ledger, job.repository, job.job, base, rule.runs)
        query = BaselineQuery(job.repository, job.job, base, rule.runs)
        energies = tuple(r.energy_kwh for r in reversed(own))
        band = compare(rule, query.job, query.branch, energies, 0.0)
        against = [
            ComparedRun(
                at, branch, kwh, False, compare(rule, job.job, base, energies, kwh).status.value
            )
            for at, branch, kwh in queries.compared_runs(
                ledger, where, job.repository, job.job, base, COMPARED_RUNS
            )
        ]
        points = tuple(sorted((*own, *against), key=lambda p: p.recorded_at))
        found.append(
            Baseline(
                job.repository,
                job.job,
                base,
                band.runs,
                band.needed,
                band.median_kwh,
                band.allowed_kwh,
                points,
            )
        )
    if not jobs:
        return [], [f"regression: no runs on the base branch {base!r} in this selection"]
    return found, []


def scope_text(where: RecordFilter, period: str | None) -> str:
    """The selection in words."""
    parts = [f"period {period}" if period else "all time"]
    parts += [
        f"{name} {value}" for name, value in (("branch", where.branch), ("job", where.job)) if value
    ]
    return ", ".join(parts)


def build_report(
    ledger: SqlLedger,
    where: RecordFilter,
    policy: Policy | None,
    now: datetime,
    *,
    period: str | None = None,
    top: int = 10,
    policy_note: str | None = None,
) -> Report:
    """Every aggregate the HTML report draws, from a handful of queries."""
    span = queries.span(ledger, where)
    step = choose_step(*span) if span else "day"
    rows = queries.sums(ledger, where, step) if span else []
    totals = _totals(rows, span)
    notes: list[str] = [policy_note] if policy_note else []
    jobs = top_jobs(rows, top)
    spreads = [
        queries.spread(j.repository, j.job, energies)
        for j in jobs
        if (energies := queries.recent_energies(ledger, where, j.repository, j.job, SPREAD_RUNS))
    ]
    burndowns: Sequence[BurnDown] = ()
    baselines: Sequence[Baseline] = ()
    if policy is not None:
        burndowns, more = build_burndowns(ledger, policy, where, now)
        notes += more
        if policy.regression is not None:
            baselines, more = build_baselines(ledger, policy.regression, where, rows)
            notes += more
    return Report(
        title="greengate report",
        generated_at=now,
        scope=scope_text(where, period),
        ledger=ledger.location,
        totals=totals,
        timeline=(
            build_timeline(rows, step, span[0].date(), span[1].date())
            if span
            else Timeline("day", (), (), ())
        ),
        top_jobs=tuple(jobs),
        spreads=tuple(spreads),
        burndowns=tuple(burndowns),
        baselines=tuple(baselines),
        notes=tuple(notes),
        what_if=what_if(totals),
    )
