"""The gate's history step against real ledgers: windows, regression, reruns, and an unusable
ledger, judged in the transaction that records the run (``gate.recording``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_ledger_backends import ledger_url  # noqa: F401  (fixture)

from greengate.context import RunContext
from greengate.gate.history import HistoryFacts, LedgerUnavailable, questions
from greengate.gate.judge import judge
from greengate.gate.recording import judge_and_record
from greengate.ledger.history import ledger_location
from greengate.ledger.interface import LedgerError, open_ledger
from greengate.ledger.windows import period_start
from greengate.measurement import Component, ComponentEnergy, GridIntensity, Measurement
from greengate.policy.loader import load_policy_text
from greengate.policy.model import LedgerFailure, Period, Policy, Window
from greengate.verdict import Status, Verdict

NOW = datetime(2026, 8, 19, 15, 0, tzinfo=timezone.utc)  # a Wednesday in Q3

POLICY = """
version: 1
defaults: {intensity: 500 g/kWh}
budgets:
  - max_emissions: 1 t
windows:
  - branch: main
    max_emissions: 50 kg
    per: month
regression:
  base_branch: main
  runs: 10
  min_runs: 5
  tolerance: 10 %
"""


def policy(text: str = POLICY) -> Policy:
    return load_policy_text(text, "greengate.yml")


@dataclass(frozen=True)
class Run:
    """A measured run waiting for its verdict."""

    measurement: Measurement
    context: RunContext


def verdict(kwh: float, branch: str = "main", commit: str | None = None, **ctx: str) -> Run:
    measurement = Measurement(
        components=(ComponentEnergy(Component.CPU, kwh, "test", "test"),),
        pue=1.0,
        intensity=GridIntensity(500.0, "test"),
    )
    context = RunContext(job="train", branch=branch, commit=commit, repository="acme/m", **ctx)
    return Run(measurement, context)


def record_run(run: Run, p: Policy, location: str | None, now: datetime | None = None) -> Verdict:
    """What the gate does at the end of a run: ask the ledger, judge, store."""
    now = now or datetime.now(timezone.utc)

    def decide(history: HistoryFacts | LedgerUnavailable | None) -> Verdict:
        return judge(
            policy=p,
            rule=p.budgets[0],
            context=run.context,
            measurement=run.measurement,
            command=None,
            history=history,
        )

    return judge_and_record(decide, questions(p, run.context, now), location, open_ledger, now)


def test_the_policy_reads_windows_and_regression() -> None:
    p = policy(POLICY + "ledger: off\nledger_failure: fail\n")
    assert p.windows == (Window(("main",), Period.MONTH, 50.0, None),)
    assert p.regression is not None and p.regression.tolerance == pytest.approx(0.10)
    assert (p.ledger, p.ledger_failure) == ("off", LedgerFailure.FAIL)
    rolling = policy(POLICY.replace("per: month", "per: 30 days"))
    assert (rolling.windows[0].period, rolling.windows[0].days) == (Period.ROLLING, 30)


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("day", datetime(2026, 8, 19)),
        ("week", datetime(2026, 8, 17)),
        ("month", datetime(2026, 8, 1)),
        ("quarter", datetime(2026, 7, 1)),
        ("30 days", datetime(2026, 7, 21)),
    ],
)
def test_period_start(period: str, start: datetime) -> None:
    window = policy(POLICY.replace("per: month", f"per: {period}")).windows[0]
    assert period_start(window, NOW) == start.replace(tzinfo=timezone.utc)


def test_ledger_location_precedence(tmp_path: Path) -> None:
    p = replace(policy(), ledger="team.db")
    assert ledger_location({}, None) == ".greengate/ledger.db"
    assert ledger_location({}, p, str(tmp_path)) == str(tmp_path / "team.db")
    assert ledger_location({"GREENGATE_LEDGER": "postgresql://h/db"}, p) == "postgresql://h/db"
    assert ledger_location({"GREENGATE_LEDGER": "off"}, p) is None
    # The GitHub Action's default (RUNNER_TEMP): below the policy's choice, above the file.
    moved = {"GREENGATE_LEDGER_DEFAULT": "/runner/tmp/ledger.db"}
    assert ledger_location(moved, None, str(tmp_path)) == "/runner/tmp/ledger.db"
    assert ledger_location(moved, p, str(tmp_path)) == str(tmp_path / "team.db")
    assert ledger_location({**moved, "GREENGATE_LEDGER": "off"}, None) is None


def test_a_monthly_window_is_charged_run_by_run(ledger_url: str) -> None:  # noqa: F811
    # 40 kWh at 500 g/kWh is 20 kg: 20, 40 (warn at 80 %), 60 (over 50 kg)
    statuses = [record_run(verdict(40.0), policy(), ledger_url, NOW) for _ in range(3)]
    assert [v.status for v in statuses] == [Status.PASS, Status.WARN, Status.FAIL]
    last = statuses[-1]
    assert last.history is not None
    (window,) = last.history.windows
    assert (window.spent, window.this_run, window.limit) == (40.0, 20.0, 50.0)
    assert "window 'main per month' on main: 40 kg CO2e spent + 20 kg CO2e" in last.reasons[0]
    # next month starts afresh; another branch has its own total
    assert record_run(verdict(40.0), policy(), ledger_url, NOW + timedelta(days=13)).status is (
        Status.PASS
    )
    assert record_run(verdict(40.0, branch="dev"), policy(), ledger_url, NOW).history.windows == ()  # type: ignore[union-attr]


def test_warn_mode_window_never_fails(ledger_url: str) -> None:  # noqa: F811
    p = policy(POLICY.replace("per: month", "per: month\n    mode: warn"))
    results = [record_run(verdict(60.0), p, ledger_url, NOW).status for _ in range(2)]
    assert results == [Status.PASS, Status.WARN]


def _baseline(url: str, energies: list[float]) -> None:
    for i, kwh in enumerate(energies):
        record_run(verdict(kwh), policy(), url, NOW - timedelta(days=20, hours=i))


def test_regression_fails_beyond_tolerance_and_says_so(ledger_url: str) -> None:  # noqa: F811
    _baseline(ledger_url, [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.0, 1.01, 0.99])
    pr = verdict(1.12, branch="feature/x", base_branch="main")
    judged = record_run(pr, policy(), ledger_url, NOW)
    assert judged.status is Status.FAIL
    assert "energy +12 % vs main (median of 10 runs)" in judged.reasons
    fine = record_run(verdict(1.05, branch="feature/x", base_branch="main"), policy(), ledger_url)
    assert fine.status is Status.PASS


def test_regression_tolerates_the_baselines_own_noise(ledger_url: str) -> None:  # noqa: F811
    _baseline(ledger_url, [1.0, 1.3, 0.7, 1.2, 0.8, 1.0, 1.25, 0.75, 1.1, 0.9])
    noisy = record_run(verdict(1.3, branch="feature/x"), policy(), ledger_url, NOW)
    assert noisy.status is Status.PASS  # +30 % is within 3 x the spread
    assert noisy.history is not None and noisy.history.regression is not None
    assert noisy.history.regression.base_branch == "main"  # the configured base


def test_too_few_baseline_runs_are_reported_not_failed(ledger_url: str) -> None:  # noqa: F811
    _baseline(ledger_url, [1.0, 1.0])
    judged = record_run(verdict(5.0, branch="feature/x"), policy(), ledger_url, NOW)
    assert judged.status is Status.PASS
    assert any("too few baseline runs" in r for r in judged.reasons)


def test_a_rerun_is_marked_as_waste(ledger_url: str) -> None:  # noqa: F811
    first = record_run(verdict(1.0, commit="abc"), policy(), ledger_url, NOW)
    again = record_run(verdict(1.0, commit="abc"), policy(), ledger_url, NOW)
    assert first.history is not None and not first.history.rerun
    assert again.history is not None and again.history.rerun
    assert any("rerun waste" in r for r in again.reasons)


def test_an_unusable_ledger_keeps_the_verdict_and_reports_it(tmp_path: Path) -> None:
    corrupt = tmp_path / "ledger.db"
    corrupt.write_bytes(b"garbage" * 1000)
    kept = record_run(verdict(1.0), policy(), str(corrupt), NOW)
    assert kept.status is Status.WARN and kept.measurement is not None
    assert kept.history is not None and kept.history.problem
    assert "the ledger could not be used" in kept.reasons[0]  # it made the PASS a WARN
    strict = replace(policy(), ledger_failure=LedgerFailure.FAIL)
    assert record_run(verdict(1.0), strict, str(corrupt), NOW).status is Status.ERROR


def test_an_overrun_with_an_unusable_ledger_is_a_fail_not_an_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "ledger.db"
    corrupt.write_bytes(b"garbage" * 1000)
    strict = replace(policy(POLICY.replace("max_emissions: 1 t", "max_emissions: 1 kg")))
    strict = replace(strict, ledger_failure=LedgerFailure.FAIL)
    judged = record_run(verdict(4.0), strict, str(corrupt), NOW)  # 2 kg: over 1 kg
    assert judged.status is Status.FAIL
    assert judged.reasons[0].startswith("emissions 2 kg CO2e is over the limit of 1 kg CO2e")
    assert "the ledger could not be used" in judged.reasons[-1]
    (check,) = judged.checks
    assert check.enforced


def test_without_a_ledger_the_run_alone_is_judged(tmp_path: Path) -> None:
    judged = record_run(verdict(1.0), policy(), None, NOW)
    assert (judged.status, judged.history) == (Status.PASS, None)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_append_leaves_the_verdict_judged_without_history(tmp_path: Path) -> None:
    """The append is the last step of the transaction: when it fails, nothing is stored and
    the verdict says the ledger could not be used, not what the rolled-back answers said."""
    location = str(tmp_path / "l.db")
    open_ledger(location).close()

    class Failing:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __getattr__(self, name: str) -> Any:
            return getattr(self.inner, name)

        def __enter__(self) -> Failing:
            return self

        def __exit__(self, *exc: object) -> None:
            self.inner.close()

        @contextmanager
        def charging(self, key: Any) -> Iterator[Any]:
            def disk_full(record: Any) -> Any:
                raise LedgerError("disk full")

            with self.inner.charging(key) as charge:
                charge.append = disk_full
                yield charge

    p = policy()
    run = verdict(1.0)

    def decide(history: HistoryFacts | LedgerUnavailable | None) -> Verdict:
        return judge(
            policy=p,
            rule=p.budgets[0],
            context=run.context,
            measurement=run.measurement,
            command=None,
            history=history,
        )

    asked = questions(p, run.context, NOW)
    judged = judge_and_record(decide, asked, location, lambda at: Failing(open_ledger(at)), NOW)
    assert judged.status is Status.WARN
    assert judged.history is not None and judged.history.problem == "disk full"
    with open_ledger(location) as ledger:
        assert ledger.records() == []


def test_every_run_lands_in_the_ledger(ledger_url: str) -> None:  # noqa: F811
    for _ in range(3):
        record_run(verdict(1.0), policy(), ledger_url, NOW)
    with open_ledger(ledger_url) as ledger:
        assert [r.status for r in ledger.records()] == ["pass"] * 3


def test_the_verdict_file_carries_the_history(ledger_url: str) -> None:  # noqa: F811
    from factories import assert_valid_verdict

    from greengate.verdict_file.verdict_json import verdict_to_dict

    record_run(verdict(1.0), policy(), ledger_url, NOW)
    judged = record_run(verdict(1.0, branch="feature/x"), policy(), ledger_url, NOW)
    data = verdict_to_dict(judged)
    assert_valid_verdict(data)
    assert data["history"]["regression"]["summary"].startswith("+0 % vs main (median of 1 run)")
    assert "history" not in verdict_to_dict(record_run(verdict(1.0), policy(), None, NOW))
