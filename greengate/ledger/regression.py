"""Regression gating: this run's energy against a robust baseline of the base branch."""

from __future__ import annotations

from fnmatch import fnmatchcase

from greengate.context import RunContext
from greengate.ledger.records import BaselineQuery, RegressionResult
from greengate.policy.model import Regression

# Scales the median absolute deviation to a standard deviation for normal noise; the MAD
# ignores the odd outlier run that a standard deviation would let widen the tolerance.
MAD_TO_SIGMA = 1.4826


def base_branch(rule: Regression, context: RunContext) -> str | None:
    """The branch to compare with: the PR/MR target, else the configured one."""
    return context.base_branch or rule.base_branch


def baseline_query(rule: Regression, context: RunContext) -> BaselineQuery | None:
    """What to ask the ledger, or None when this run is not compared (no base, on the base)."""
    base = base_branch(rule, context)
    if base is None or context.branch == base:
        return None
    if rule.jobs and not any(fnmatchcase(context.job or "", g) for g in rule.jobs):
        return None
    return BaselineQuery(context.repository, context.job_identity, base, rule.runs)


def spread(values: tuple[float, ...]) -> float:
    """Run-to-run spread: the scaled median absolute deviation."""
    if len(values) < 2:
        return 0.0
    from statistics import median  # here: statistics imports decimal and fractions (start-up)

    middle = median(values)
    return MAD_TO_SIGMA * median(abs(v - middle) for v in values)


def compare(
    rule: Regression, query: BaselineQuery, baseline: tuple[float, ...], measured_kwh: float
) -> RegressionResult:
    """Fail when the increase exceeds max(tolerance x median, noise x spread)."""
    if not baseline:
        return RegressionResult(
            query.job, query.branch, 0, rule.min_runs, measured_kwh, None, None, "pass"
        )
    from statistics import median

    middle = median(baseline)
    allowed = max(rule.tolerance * middle, rule.noise * spread(baseline))
    judged = len(baseline) >= rule.min_runs and middle > 0
    status = "fail" if judged and measured_kwh - middle > allowed else "pass"
    return RegressionResult(
        query.job, query.branch, len(baseline), rule.min_runs, measured_kwh, middle, allowed, status
    )
