"""A job's laps in the reports: the summary's step table and chart, the console, the file."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from factories import assert_valid_verdict, make_context, passing_verdict

from greengate.laps import JobLap, LapVerdict
from greengate.reporters.console import ConsoleReporter
from greengate.reporters.interface import ReportTarget
from greengate.reporters.markdown import verdict_markdown
from greengate.verdict import LimitCheck, Quantity, Status, Verdict
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def lap(name: str, seconds: float, kwh: float, **kw: object) -> LapVerdict:
    fields: dict[str, object] = {
        "name": name,
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=seconds),
        "energy_kwh": kwh,
        "energy_low_kwh": kwh / 2,
        "energy_high_kwh": kwh * 2,
        "emissions_kg": kwh * 0.4,
        "emissions_low_kg": kwh * 0.2,
        "emissions_high_kg": kwh * 0.8,
        "status": Status.PASS,
        "rule": None,
    }
    fields.update(kw)
    return LapVerdict(**fields)  # type: ignore[arg-type]


def job_verdict() -> Verdict:
    over = LimitCheck(Quantity.ENERGY, 0.003, 0.002, 0.8, Status.FAIL)
    laps = (
        lap("build", 60, 0.001),
        lap('test | `x` "]\n', 120, 0.003, status=Status.FAIL, rule="tests", checks=(over,)),
    )
    v = passing_verdict()
    return replace(v, laps=laps, context=make_context(job="ci", job_key="os=ubuntu"))


def test_the_summary_has_a_step_table_and_a_chart_that_hostile_names_cannot_break() -> None:
    md = verdict_markdown(job_verdict())
    assert "Job `ci [os=ubuntu]`" in md
    assert "| build | 1 min 00 s | 1 Wh |" in md
    assert "`██░░░░░░░░` 25%" in md and "`████████░░` 75%" in md
    assert "❌ fail (tests)" in md
    # The name is escaped in the table, and reduced to safe characters in the chart.
    assert 'test \\| \\`x\\` "\\]' in md
    assert 'x-axis ["build", "test _ _x_ ___"]' in md
    assert "bar [1, 3]" in md


def test_the_console_lists_each_step() -> None:
    err = io.StringIO()
    ConsoleReporter(ReportTarget(io.StringIO(), err, {"NO_COLOR": "1"}), width=100).report(
        job_verdict()
    )
    out = err.getvalue()
    assert "steps     build" in out and "not budgeted" in out
    assert "fail (tests)" in out
    assert "leg       os=ubuntu" in out
    assert "CPU-s of the whole machine" in out and "processes" not in out


def test_laps_job_lap_and_job_key_round_trip_through_the_verdict_file() -> None:
    v = replace(job_verdict(), job_lap=JobLap(2, "build", "/tmp/state"))
    data = json.loads(json.dumps(verdict_to_dict(v)))
    assert_valid_verdict(data)
    assert data["context"]["job_key"] == "os=ubuntu"
    assert data["laps"][1]["limits"][0]["status"] == "fail"
    back = verdict_from_dict(data)
    assert back.laps == v.laps and back.job_lap == v.job_lap
    assert back.context.job_key == "os=ubuntu"
    md = verdict_markdown(v)
    assert "in lap 2 of the job (after 'build')" in md


def test_a_verdict_without_laps_has_no_step_keys() -> None:
    data = verdict_to_dict(passing_verdict())
    assert "laps" not in data and "job_lap" not in data and "job_key" not in data["context"]
