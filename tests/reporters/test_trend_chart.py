"""The step summary's small trend: Mermaid xychart-beta from the ledger's days of this job."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from factories import make_context, passing_verdict, recorded

from greengate.reporters.markdown import verdict_markdown
from greengate.reporters.trend_chart import trend_lines
from greengate.verdict import TrendDay

DAY = datetime(2026, 7, 14, 9, 0, tzinfo=timezone.utc)


def test_two_days_make_a_chart() -> None:
    days = [
        TrendDay(date(2026, 7, 13), 2, 0.0123, 0.05),
        TrendDay(date(2026, 7, 14), 1, 0.02, 0.07),
    ]
    assert trend_lines(days, "unit-tests", "main") == [
        "Emissions per day of unit-tests on main, the last 2 days with runs "
        "(latest 2026-07-14: 20 g CO2e in 1 run):",
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Emissions per day: unit-tests on main"',
        '    x-axis ["07-13", "07-14"]',
        '    y-axis "g CO2e" 0 --> 22',
        "    bar [12.3, 20]",
        "```",
        "",
    ]


def test_one_day_is_not_a_trend() -> None:
    assert trend_lines([TrendDay(date(2026, 7, 14), 3, 1.0, 2.0)], "j", "main") == []


def test_hostile_names_cannot_leave_the_chart() -> None:
    days = [TrendDay(date(2026, 7, d), 1, 1.0, 2.0) for d in (1, 2)]
    text = "\n".join(trend_lines(days, 'x"]\n```\n<img src=x>', "main`"))
    assert text.count("```") == 2 and text.count('"') == 2 + 4 + 2  # title, labels, unit
    assert "<img" not in text and "main`" not in text


def test_the_summary_shows_the_ledgers_days(tmp_path: Path) -> None:
    ledger = str(tmp_path / "ledger.db")
    verdict = replace(passing_verdict(), context=make_context(branch="main"))
    first = recorded(verdict, ledger, DAY)
    assert first.history is not None and len(first.history.trend) == 1
    assert "```mermaid" not in verdict_markdown(first)  # no history yet: no trend
    recorded(verdict, ledger, DAY + timedelta(days=1))
    third = recorded(verdict, ledger, DAY + timedelta(days=1, hours=2))
    assert third.history is not None
    assert [(d.day, d.runs) for d in third.history.trend] == [
        (date(2026, 7, 14), 1),
        (date(2026, 7, 15), 2),
    ]
    markdown = verdict_markdown(third)
    assert "```mermaid\nxychart-beta\n" in markdown
    assert 'x-axis ["07-14", "07-15"]' in markdown
    # Another branch's runs are not this trend.
    other = recorded(replace(verdict, context=make_context(branch="dev")), ledger, DAY)
    assert other.history is not None and len(other.history.trend) == 1
