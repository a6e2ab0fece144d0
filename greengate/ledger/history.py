"""A verdict's history step: record the run, charge its windows, compare with the base branch.

Called by the gate once the single-run verdict is made. The ledger failing never loses the
verdict: the problem becomes a reason, and ``ledger_failure`` says whether it fails the gate.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from greengate.ledger.disclosure_fields import disclosure_fields
from greengate.ledger.interface import DEFAULT_LOCATION, DISABLED, Ledger, LedgerError, open_ledger
from greengate.ledger.records import (
    BaselineQuery,
    History,
    LedgerRecord,
    RegressionResult,
    WindowResult,
    WindowSpend,
)
from greengate.ledger.regression import baseline_query, compare
from greengate.ledger.windows import matching, queries, results
from greengate.policy.model import LedgerFailure, Mode, Policy
from greengate.units import format_emissions, format_energy
from greengate.verdict import Status, Verdict

_ORDER = ("pass", "warn", "fail", "error")
TREND_DAYS = 30  # the step summary's trend: this job on this branch per day, a month back


def ledger_location(
    env: Mapping[str, str], policy: Policy | None, cwd: str | None = None
) -> str | None:
    """GREENGATE_LEDGER, else the policy's ``ledger:``, else the default file; None if off.

    The environment wins so that CI can point every job at a shared server (a secret URL)
    without the URL, or its password, being written in the policy.
    """
    chosen = env.get("GREENGATE_LEDGER", "").strip() or (policy.ledger if policy else None)
    location = chosen or DEFAULT_LOCATION
    if location.lower() in DISABLED:
        return None
    if "://" not in location and cwd is not None:
        location = os.path.join(cwd, location)  # a relative path is the checkout's
    return location


def _worst(*statuses: str) -> str:
    return max(statuses, key=_ORDER.index)


def _moded(status: str, mode: Mode) -> str:
    if mode is Mode.OFF:
        return "pass"
    return "warn" if mode is Mode.WARN and status == "fail" else status


def _amount(quantity: str, value: float) -> str:
    return format_emissions(value) if quantity == "emissions" else format_energy(value)


def _window_reason(w: WindowResult) -> str:
    verb = {"fail": "over", "warn": "near", "pass": "within"}[w.status]
    return (
        f"window {w.label!r} on {w.branch}: {_amount(w.quantity, w.spent)} spent + "
        f"{_amount(w.quantity, w.this_run)} this run is {verb} {_amount(w.quantity, w.limit)}"
        f" ({_amount(w.quantity, max(w.remaining, 0.0))} left since {w.since:%Y-%m-%d})"
    )


def _record(verdict: Verdict, now: datetime, status: str) -> LedgerRecord:
    m, c = verdict.measurement, verdict.context
    assert m is not None
    return LedgerRecord(
        recorded_at=now,
        repository=c.repository,
        workflow=c.workflow,
        job=c.job_identity,
        branch=c.branch,
        base_branch=c.base_branch,
        commit=c.commit,
        run_id=c.run_id,
        run_attempt=c.run_attempt,
        energy_kwh=m.energy_kwh,
        emissions_kg=m.emissions_kg,
        intensity_g_per_kwh=m.intensity.g_per_kwh,
        status=status,
        source=m.source,
        **disclosure_fields(m),
    )


def record_run(
    verdict: Verdict,
    policy: Policy | None,
    location: str | None,
    now: datetime | None = None,
    open_ledger: Callable[[str], Ledger] = open_ledger,
) -> Verdict:
    """The verdict with its run recorded and its windows and regression judged."""
    if location is None or verdict.measurement is None:
        return verdict  # no ledger, or nothing measured to charge
    now = now or datetime.now(timezone.utc)
    try:
        return _record_run(verdict, policy, location, now, open_ledger)
    except LedgerError as e:
        return _without_ledger(verdict, policy, location, e)


def _record_run(
    verdict: Verdict,
    policy: Policy | None,
    location: str,
    now: datetime,
    open_ledger: Callable[[str], Ledger],
) -> Verdict:
    m, context = verdict.measurement, verdict.context
    assert m is not None
    defaults_warn_at = policy.defaults.warn_at if policy else 0.8
    default_mode = policy.defaults.mode if policy else Mode.ENFORCE
    windows = matching(policy.windows, context.branch) if policy else ()
    checked: list[WindowResult] = []  # filled by settle, under the ledger's lock
    with open_ledger(location) as ledger:
        regression: RegressionResult | None = None
        query = baseline_query(policy.regression, context) if policy and policy.regression else None
        if query is not None and policy is not None and policy.regression is not None:
            baseline = ledger.baseline(query)
            regression = compare(policy.regression, query, baseline, m.energy_kwh)
        asked = queries(windows, context.repository, context.branch or "", now)

        def settle(spends: tuple[WindowSpend, ...], rerun: bool) -> LedgerRecord:
            # Runs under the ledger's lock: the statuses below are final for this spend.
            status = verdict.status.value
            checked.clear()
            for window, spend, q in zip(windows, spends, asked, strict=True):
                warn_at = window.warn_at if window.warn_at is not None else defaults_warn_at
                limits = results(
                    window, spend, q.branch or "", q.since, m.emissions_kg, m.energy_kwh, warn_at
                )
                checked.extend(limits)
                for limit in limits:
                    status = _worst(status, _moded(limit.status, window.mode or default_mode))
            if regression is not None and policy is not None and policy.regression is not None:
                mode = policy.regression.mode or default_mode
                status = _worst(status, _moded(regression.status, mode))
            return _record(verdict, now, status)

        appended = ledger.append(_record(verdict, now, verdict.status.value), asked, settle)
        location_shown = ledger.location
        trend = ledger.trend(
            BaselineQuery(context.repository, context.job, context.branch or "", 0),
            now - timedelta(days=TREND_DAYS),
        )
    reasons = [_window_reason(w) for w in checked]
    if regression is not None:
        reasons.append(f"energy {regression.describe()}")
    if appended.record.rerun:
        reasons.append("a rerun of this job at this commit: its emissions count as rerun waste")
    history = History(
        ledger=location_shown,
        record_id=appended.record.id,
        rerun=appended.record.rerun,
        windows=tuple(checked),
        regression=regression,
        trend=trend,
    )
    status = Status(appended.record.status)
    # Reasons are most important first: history's go first when they changed the status.
    ordered = (
        (*reasons, *verdict.reasons)
        if status is not verdict.status
        else (
            *verdict.reasons,
            *reasons,
        )
    )
    return replace(verdict, status=status, reasons=ordered, history=history)


def _without_ledger(
    verdict: Verdict, policy: Policy | None, location: str, error: LedgerError
) -> Verdict:
    fail = policy is not None and policy.ledger_failure is LedgerFailure.FAIL
    problem = f"the ledger could not be used, so no history was checked: {error.message}"
    status = Status.ERROR if fail else _worse(verdict.status, Status.WARN)
    shown = location.split("@")[-1] if "://" in location else location
    return replace(
        verdict,
        status=status,
        reasons=(*verdict.reasons, problem),
        history=History(ledger=shown, problem=error.message),
    )


def _worse(a: Status, b: Status) -> Status:
    return Status(_worst(a.value, b.value))
