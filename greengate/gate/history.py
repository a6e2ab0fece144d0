"""The history part of the decision: what to ask the ledger, and what its answers mean.

The ledger only answers (a window's spend so far, whether the run is a rerun, the base
branch's recent energy); the judge (``gate.judge``) turns the answers into window and
regression results, their statuses under their modes, and the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from greengate.context import RunContext
from greengate.ledger.records import ChargeKey, WindowSpend
from greengate.ledger.regression import baseline_query
from greengate.ledger.windows import matching, queries
from greengate.measurement import Measurement
from greengate.policy.model import Mode, Policy, Regression, Window
from greengate.units import format_emissions, format_energy
from greengate.verdict import RegressionResult, Status, WindowResult

# Scales the median absolute deviation to a standard deviation for normal noise; the MAD
# ignores the odd outlier run that a standard deviation would let widen the tolerance.
MAD_TO_SIGMA = 1.4826


@dataclass(frozen=True)
class HistoryQuestions:
    """What a run asks the ledger: the windows it charges and the baseline it is compared with."""

    windows: tuple[Window, ...]  # the policy's windows matching the run's branch
    key: ChargeKey  # the same questions, as the ledger takes them


@dataclass(frozen=True)
class HistoryFacts:
    """The ledger's answers, read in the transaction that will store the run."""

    ledger: str  # where, without credentials
    asked: HistoryQuestions
    spends: tuple[WindowSpend, ...]  # one per window, before this run
    rerun: bool  # an earlier run of this job at this commit exists
    baseline: tuple[float, ...]  # energy of the base branch's recent passing runs


@dataclass(frozen=True)
class LedgerUnavailable:
    """The ledger could not be used (unreachable, locked, corrupt): no history was checked."""

    ledger: str  # where, without credentials
    problem: str


def questions(policy: Policy, context: RunContext, now: datetime) -> HistoryQuestions:
    """The windows this run charges and the baseline it is compared with, as of ``now``."""
    windows = matching(policy.windows, context.branch)
    baseline = baseline_query(policy.regression, context) if policy.regression else None
    key = ChargeKey(
        repository=context.repository,
        branch=context.branch,
        job=context.job_identity,
        commit=context.commit,
        windows=queries(windows, context.repository, context.branch or "", now),
        baseline=baseline,
        run_id=context.run_id,
        run_attempt=context.run_attempt,
    )
    return HistoryQuestions(windows, key)


def gated(status: Status, mode: Mode) -> Status:
    """What a limit's own status means for the gate under its mode."""
    if mode is Mode.OFF:
        return Status.PASS
    return Status.WARN if mode is Mode.WARN and status is Status.FAIL else status


def _status(total: float, limit: float, warn_at: float) -> Status:
    if total > limit:
        return Status.FAIL
    return Status.WARN if total >= warn_at * limit else Status.PASS


def window_results(
    policy: Policy, window: Window, facts: HistoryFacts, index: int, m: Measurement
) -> tuple[WindowResult, ...]:
    """The window's limits with this run charged: spent before, this run, limit, status."""
    query, spend = facts.asked.key.windows[index], facts.spends[index]
    warn_at = policy.warn_at_of(window.warn_at)
    enforced = policy.mode_of(window.mode) is Mode.ENFORCE
    limits = (
        ("emissions", window.max_emissions_kg, spend.emissions_kg, m.emissions_kg),
        ("energy", window.max_energy_kwh, spend.energy_kwh, m.energy_kwh),
    )
    return tuple(
        WindowResult(
            window.label,
            query.branch or "",
            query.since,
            quantity,
            spent,
            this_run,
            limit,
            _status(spent + this_run, limit, warn_at),
            enforced,
        )
        for quantity, limit, spent, this_run in limits
        if limit is not None
    )


def spread(values: tuple[float, ...]) -> float:
    """Run-to-run spread: the scaled median absolute deviation."""
    if len(values) < 2:
        return 0.0
    from statistics import median  # here: statistics imports decimal and fractions (start-up)

    middle = median(values)
    return MAD_TO_SIGMA * median(abs(v - middle) for v in values)


def compare(
    rule: Regression,
    job: str | None,
    base: str,
    baseline: tuple[float, ...],
    measured_kwh: float,
    enforced: bool = True,
) -> RegressionResult:
    """Fail when the increase exceeds max(tolerance x median, noise x spread)."""
    if not baseline:
        return RegressionResult(
            job, base, 0, rule.min_runs, measured_kwh, None, None, Status.PASS, enforced
        )
    from statistics import median

    middle = median(baseline)
    allowed = max(rule.tolerance * middle, rule.noise * spread(baseline))
    judged = len(baseline) >= rule.min_runs and middle > 0
    status = Status.FAIL if judged and measured_kwh - middle > allowed else Status.PASS
    return RegressionResult(
        job, base, len(baseline), rule.min_runs, measured_kwh, middle, allowed, status, enforced
    )


def _amount(quantity: str, value: float) -> str:
    return format_emissions(value) if quantity == "emissions" else format_energy(value)


def window_reason(w: WindowResult) -> str:
    """One window limit in words, e.g. ``window 'main per month' on main: 3 kg spent + ...``."""
    verb = {Status.FAIL: "over", Status.WARN: "near", Status.PASS: "within"}[w.status]
    return (
        f"window {w.label!r} on {w.branch}: {_amount(w.quantity, w.spent)} spent + "
        f"{_amount(w.quantity, w.this_run)} this run is {verb} {_amount(w.quantity, w.limit)}"
        f" ({_amount(w.quantity, max(w.remaining, 0.0))} left since {w.since:%Y-%m-%d})"
    )
