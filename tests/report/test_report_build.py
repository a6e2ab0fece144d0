"""The report's aggregates on both backends, against figures worked out from the known ledger."""

from __future__ import annotations

import statistics
from datetime import date, datetime, timedelta, timezone

import pytest
from known_ledger import (  # noqa: F401
    NOW,
    fill,
    known_records,
    ledger_url,
    make_record,
    policy,
    train_energy,
)

from greengate.context import RunContext
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import BaselineQuery, RecordFilter
from greengate.ledger.regression import baseline_query
from greengate.ledger.sql import SqlLedger
from greengate.report.build import MAX_SERIES, build_report, choose_step, period_end
from greengate.report.model import Report
from greengate.report.queries import bucket_of, bucket_start


def _report(location: str, where: RecordFilter | None = None) -> Report:
    with open_ledger(location) as ledger:
        assert isinstance(ledger, SqlLedger)
        return build_report(ledger, where or RecordFilter(), policy(), NOW)


def test_the_chart_shows_the_runs_the_judge_compared(ledger_url: str) -> None:  # noqa: F811
    # issue 19: only runs whose stored base branch was main were drawn, so a branch judged
    # against main outside a pull request (no base stored) showed no points.
    fill(ledger_url)
    extra = [
        make_record(
            recorded_at=NOW - timedelta(hours=h),
            branch=branch,
            base_branch=stored_base,
            energy_kwh=kwh,
            commit=f"x{h}",
        )
        for h, branch, stored_base, kwh in (
            (5, "feature/y", None, 2.9),  # a push outside a PR: compared with the policy's main
            (4, "feature/z", "release", 2.2),  # a PR into release: compared with release
            (3, "feature/w", "main", 2.1),  # a PR into main
        )
    ]
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many(extra)
    rule = policy().regression
    assert rule is not None
    judged = set()
    for r in [*known_records(), *extra]:
        context = RunContext(job=r.job, branch=r.branch, base_branch=r.base_branch)
        query = baseline_query(rule, context)
        if query is not None and query.branch == "main" and r.job == "train":
            judged.add((r.branch, r.energy_kwh))
    train = _report(ledger_url).baselines[0]
    drawn = {(p.branch, p.energy_kwh) for p in train.points if not p.baseline}
    assert drawn == judged
    assert ("feature/y", 2.9) in drawn and ("feature/z", 2.2) not in drawn


def test_totals_timeline_and_jobs(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    records = known_records()
    report = _report(ledger_url)
    t = report.totals
    assert t.runs == len(records) == 28
    assert t.energy_kwh == pytest.approx(sum(r.energy_kwh for r in records))
    assert (t.reruns, t.rerun_emissions_kg) == (1, pytest.approx(1.0))
    line = report.timeline
    assert line.step == "day"
    assert line.buckets == tuple(date(2026, 7, d) for d in range(1, 21))
    branches = {s.name: s for s in line.by_branch}
    assert set(branches) == {"main", "feature/x"}
    assert sum(branches["main"].runs) == 26
    assert branches["feature/x"].runs[17:19] == (1, 1)
    assert branches["feature/x"].energy_kwh[18] == pytest.approx(5.0)
    jobs = {s.name: s for s in line.by_job}
    assert sum(jobs["lint"].runs) == 5 and jobs["lint"].runs[:15] == (0,) * 15
    assert [(j.job, j.runs, j.reruns) for j in report.top_jobs] == [
        ("train", 23, 1),
        ("lint", 5, 0),
    ]


def test_spread_is_nearest_rank_quartiles(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    train = sorted(r.energy_kwh for r in known_records() if r.job == "train")
    n = len(train)
    spread = _report(ledger_url).spreads[0]
    assert spread.job == "train" and spread.runs == n
    assert (spread.low, spread.high) == (train[0], train[-1])
    assert spread.q1 == train[-(-n // 4) - 1]
    assert spread.median == train[(n + 1) // 2 - 1]
    assert spread.q3 == train[-(-3 * n // 4) - 1]


def test_windows_burn_down(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    main, feature = _report(ledger_url).burndowns
    assert (main.window, main.branch, main.quantity) == ("main per month", "main", "emissions")
    assert len(main.days) == 31 and len(main.spent) == 20  # July, up to the 20th
    main_kg = sum(r.emissions_kg for r in known_records() if r.branch == "main")
    assert main.total == pytest.approx(main_kg) and main.status == "pass"  # 21.5 of 30 kg
    assert main.spent[4] == pytest.approx(6.0)  # five days and the rerun on the 5th
    assert (feature.branch, feature.quantity, len(feature.days)) == ("feature/x", "energy", 7)
    assert feature.total == pytest.approx(7.05)


def test_window_status_follows_the_spend(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many([make_record(recorded_at=NOW - timedelta(hours=1), emissions_kg=5.0)])
    assert _report(ledger_url).burndowns[0].status == "warn"  # 26.5 of 30 kg, warn at 80 %
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many([make_record(recorded_at=NOW - timedelta(hours=1), emissions_kg=4.0)])
    assert _report(ledger_url).burndowns[0].status == "fail"


def test_baseline_band_and_runs_against_it(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    train = _report(ledger_url).baselines[0]
    expected = [2.0 + 0.1 * (d % 3) for d in range(10, 20)]
    assert (train.job, train.base_branch, train.runs) == ("train", "main", 10)
    assert train.median_kwh == pytest.approx(statistics.median(expected))
    compared = [(p.branch, p.energy_kwh, p.status) for p in train.points if not p.baseline]
    assert compared == [("feature/x", 2.05, "pass"), ("feature/x", 5.0, "fail")]
    assert len(train.points) == 12


def test_filters_reach_every_query(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    report = _report(ledger_url, RecordFilter(job="lint"))
    assert report.totals.runs == 5
    assert [s.name for s in report.timeline.by_branch] == ["main"]
    assert [j.job for j in report.top_jobs] == ["lint"]


def test_many_series_fold_into_others(ledger_url: str) -> None:  # noqa: F811
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many(
            [make_record(job=f"job{i}", emissions_kg=float(i + 1)) for i in range(MAX_SERIES + 3)]
        )
    names = [s.name for s in _report(ledger_url).timeline.by_job]
    assert names[:2] == [f"job{MAX_SERIES + 2}", f"job{MAX_SERIES + 1}"]
    assert names[-1] == "3 others" and len(names) == MAX_SERIES + 1


def test_empty_ledger_gives_an_empty_report(ledger_url: str) -> None:  # noqa: F811
    report = _report(ledger_url)
    assert report.totals.runs == 0 and report.timeline.buckets == ()
    assert report.top_jobs == () and report.burndowns == ()
    assert any("no run has been charged" in n for n in report.notes)


def test_long_spans_are_weekly() -> None:
    first = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert choose_step(first, first + timedelta(days=91)) == "day"
    assert choose_step(first, first + timedelta(days=92)) == "week"
    # Weeks start on Monday: 2026-07-15 is a Wednesday.
    assert bucket_start(bucket_of(date(2026, 7, 15), "week"), "week") == date(2026, 7, 13)


def test_period_end() -> None:
    from greengate.policy.model import Period, Window

    month = Window(("main",), Period.MONTH, 1.0, None)
    quarter = Window(("main",), Period.QUARTER, 1.0, None)
    today = date(2026, 11, 20)
    assert period_end(month, date(2026, 12, 1), today) == date(2027, 1, 1)
    assert period_end(quarter, date(2026, 10, 1), today) == date(2027, 1, 1)


def test_a_jobs_trend_per_day(ledger_url: str) -> None:  # noqa: F811
    fill(ledger_url)
    with open_ledger(ledger_url) as ledger:
        days = ledger.trend(
            BaselineQuery("acme/model", "train", "main", 0), NOW - timedelta(days=5)
        )
    # since 15 July 12:00: the runs at 10:00 from the 16th on
    assert [(d.day, d.runs) for d in days] == [(date(2026, 7, 16 + i), 1) for i in range(5)]
    assert days[0].energy_kwh == pytest.approx(train_energy(15))
