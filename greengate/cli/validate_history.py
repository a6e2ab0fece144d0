"""What ``greengate validate`` says about history: where runs are recorded, each window and how
much of it is spent, and the regression rule with its baseline (issue 19: validate said none
of it, so a window's state was first seen when a run failed on it).

The ledger is read, never created or written: a policy is checked before any run exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timezone

from greengate.context import RunContext, detect_context
from greengate.errors import GreengateError
from greengate.gate.history import compare, questions
from greengate.ledger.conninfo import is_postgres
from greengate.ledger.history import ledger_location, shown_location
from greengate.ledger.records import WindowSpend
from greengate.ledger.regression import base_branch
from greengate.ledger.windows import matching, period_start
from greengate.policy.model import Policy, Window
from greengate.units import format_count, format_emissions, format_energy, significant


def _limits(w: Window) -> list[tuple[str, float]]:
    """A window's (quantity, limit) pairs."""
    found = []
    if w.max_emissions_kg is not None:
        found.append(("emissions", w.max_emissions_kg))
    if w.max_energy_kwh is not None:
        found.append(("energy", w.max_energy_kwh))
    return found


def _amount(quantity: str, value: float) -> str:
    return format_emissions(value) if quantity == "emissions" else format_energy(value)


def _spent(w: Window, spend: WindowSpend) -> str:
    parts = []
    for quantity, limit in _limits(w):
        used = spend.emissions_kg if quantity == "emissions" else spend.energy_kwh
        parts.append(
            f"{_amount(quantity, used)} of {_amount(quantity, limit)} ({used / limit:.0%})"
        )
    return ", ".join(parts) + f" in {format_count(spend.runs, 'run')}"


def _exists(location: str) -> bool:
    return "://" in location or is_postgres(location) or os.path.exists(location)


def history_lines(
    policy: Policy, env: Mapping[str, str], job: str | None, branch: str | None, now: datetime
) -> list[str]:
    """Lines on the ledger, the windows and the regression rule for a run of job on branch."""
    location = ledger_location(env, policy, os.getcwd())
    context = detect_context(env, job=job, branch=branch, cwd=os.getcwd())
    if location is None:
        lines = ["runs recorded: no (the ledger is off): windows and regression are not checked"]
    else:
        lines = [f"runs recorded in: {shown_location(location)}"]
    facts = _read(policy, context, location, now, lines) if location else None
    lines += _windows(policy, context, now, facts)
    lines += _regression(policy, context, facts)
    return lines


def _read(
    policy: Policy, context: RunContext, location: str, now: datetime, lines: list[str]
) -> tuple[tuple[WindowSpend, ...], tuple[float, ...]] | None:
    """The spends and the baseline this run would be judged with; None if none can be read."""
    if not _exists(location):
        lines.append("  no runs recorded there yet")
        return (), ()
    asked = questions(policy, context, now).key
    if not asked.windows and asked.baseline is None:
        return (), ()
    from greengate.ledger.interface import open_ledger  # only where history is read

    try:
        with open_ledger(location) as ledger, ledger.charging(asked) as charge:
            return charge.spends, charge.baseline  # nothing appended: nothing written
    except GreengateError as e:
        lines.append(f"  could not be read: {e.message}")
        return None


def _windows(
    policy: Policy,
    context: RunContext,
    now: datetime,
    facts: tuple[tuple[WindowSpend, ...], tuple[float, ...]] | None,
) -> list[str]:
    if not policy.windows:
        return ["windows: none (no cumulative budget)"]
    charged = matching(policy.windows, context.branch)
    spends = iter(facts[0]) if facts and facts[0] else None
    lines = ["windows (a branch's total over a period):"]
    for w in policy.windows:
        limits = ", ".join(_amount(q, limit) for q, limit in _limits(w))
        since = f"{period_start(w, now):%Y-%m-%d}"
        text = f"  {w.label}: max {limits} per branch, this period since {since}"
        if context.branch is None:
            text += "; no branch known here (--branch B says what B has spent)"
        elif w not in charged:
            text += f"; not charged by branch {context.branch!r}"
        elif spends is not None:
            text += f"; {context.branch!r} has spent {_spent(w, next(spends))}"
        lines.append(text)
    return lines


def _regression(
    policy: Policy,
    context: RunContext,
    facts: tuple[tuple[WindowSpend, ...], tuple[float, ...]] | None,
) -> list[str]:
    rule = policy.regression
    if rule is None:
        return ["regression: none (no comparison with a base branch)"]
    base = base_branch(rule, context)
    jobs = "every job" if not rule.jobs else "jobs " + "|".join(rule.jobs)
    mode = (rule.mode or policy.defaults.mode).value
    lines = [
        f"regression: {jobs}, energy against the median of the last {rule.runs} passing runs "
        f"on {base or 'the pull request target (the policy names no base_branch)'}; judged "
        f"from {format_count(rule.min_runs, 'run')}; allowed increase the larger of "
        f"{significant(rule.tolerance * 100)} % of the median and {significant(rule.noise)}x "
        f"the runs' spread; mode {mode}"
    ]
    if base is None or context.job is None:
        return lines
    if context.branch == base:
        lines.append(f"  job {context.job!r} on {base}: its runs are the baseline, not compared")
    elif facts is not None and context.branch is not None:
        result = compare(rule, context.job_identity, base, facts[1], 0.0)
        if result.median_kwh is None:
            lines.append(f"  baseline of job {context.job!r} on {base}: no runs yet")
        else:
            few = result.runs < rule.min_runs
            judged = f" (too few to judge: {rule.min_runs} needed)" if few else ""
            top = result.median_kwh + (result.allowed_kwh or 0.0)
            lines.append(
                f"  baseline of job {context.job!r} on {base}: median "
                f"{format_energy(result.median_kwh)} of {format_count(result.runs, 'run')}"
                f"{judged}; a run passes up to {format_energy(top)}"
            )
    return lines


def now_utc() -> datetime:
    """The clock validate reads windows against."""
    return datetime.now(timezone.utc)
