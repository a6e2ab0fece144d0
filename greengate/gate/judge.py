"""The gate's decision, made once: a measurement, the policy and the ledger's answers in,
the Verdict out (status, each limit and whether it is enforced, the reasons).

Nothing after :func:`judge` changes what it decided: the ledger stores the verdict, the
reporters render it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from greengate import __version__, exit_codes
from greengate.context import RunContext
from greengate.gate.history import (
    HistoryFacts,
    LedgerUnavailable,
    compare,
    gated,
    window_reason,
    window_results,
)
from greengate.gate.limit_sentence import limit_sentence
from greengate.measurement import Measurement
from greengate.policy.model import Budget, LedgerFailure, Mode, Policy
from greengate.verdict import (
    CommandOutcome,
    History,
    LimitCheck,
    Quantity,
    RegressionResult,
    Status,
    Verdict,
    WindowResult,
)

if TYPE_CHECKING:
    from greengate.laps import JobLap, LapVerdict
    from greengate.policy.change import PolicyChange

_ORDER = [Status.PASS, Status.WARN, Status.FAIL, Status.ERROR]


def worst(statuses: list[Status]) -> Status:
    """The most severe of the statuses (PASS when there are none)."""
    return max(statuses, key=_ORDER.index, default=Status.PASS)


def _check(
    quantity: Quantity,
    measured: float,
    limit: float,
    warn_at: float,
    band: tuple[float, float],
    enforced: bool,
) -> LimitCheck:
    if measured > limit:
        status = Status.FAIL
    elif measured >= warn_at * limit:
        status = Status.WARN
    else:
        status = Status.PASS
    return LimitCheck(quantity, measured, limit, warn_at, status, band[0], band[1], enforced)


def _rule_checks(policy: Policy, rule: Budget, m: Measurement, mode: Mode) -> list[LimitCheck]:
    warn_at = policy.warn_at_of(rule.warn_at)
    enforced = mode is Mode.ENFORCE
    checks = []
    if rule.max_emissions_kg is not None:
        band, limit = (m.emissions_low_kg, m.emissions_high_kg), rule.max_emissions_kg
        checks.append(_check(Quantity.EMISSIONS, m.emissions_kg, limit, warn_at, band, enforced))
    if rule.max_energy_kwh is not None:
        band = (m.energy_low_kwh, m.energy_high_kwh)
        checks.append(
            _check(Quantity.ENERGY, m.energy_kwh, rule.max_energy_kwh, warn_at, band, enforced)
        )
    return checks


def _single_run(
    policy: Policy, rule: Budget | None, context: RunContext, m: Measurement, mode: Mode
) -> tuple[Status, tuple[LimitCheck, ...], list[str]]:
    """The matched rule's limits against this run alone."""
    if rule is None:
        where = f"job {context.job or '?'!r} on branch {context.branch or '?'!r}"
        return Status.PASS, (), [f"no budget rule matches {where}; nothing to gate"]
    checks = _rule_checks(policy, rule, m, mode)
    raw = worst([c.status for c in checks])
    ordered = sorted(checks, key=lambda c: _ORDER.index(c.status), reverse=True)
    reasons = [limit_sentence(c, rule.label) for c in ordered]
    if mode is Mode.OFF:
        reasons.append("mode is off: measured, not judged")
    elif mode is Mode.WARN and raw is Status.FAIL:
        reasons.append("mode is warn: overrun not enforced")
    return gated(raw, mode), tuple(checks), reasons


def _history(
    policy: Policy, m: Measurement, facts: HistoryFacts
) -> tuple[Status, list[str], History]:
    """The windows charged with this run, the regression and the rerun, from the answers."""
    statuses: list[Status] = []
    windows: list[WindowResult] = []
    for index, window in enumerate(facts.asked.windows):
        limits = window_results(policy, window, facts, index, m)
        windows.extend(limits)
        statuses += [gated(w.status, policy.mode_of(window.mode)) for w in limits]
    reasons = [window_reason(w) for w in windows]
    regression: RegressionResult | None = None
    query = facts.asked.key.baseline
    if query is not None and policy.regression is not None:
        mode = policy.mode_of(policy.regression.mode)
        regression = compare(
            policy.regression,
            query.job,
            query.branch,
            facts.baseline,
            m.energy_kwh,
            mode is Mode.ENFORCE,
        )
        statuses.append(gated(regression.status, mode))
        reasons.append(f"energy {regression.describe()}")
    if facts.rerun:
        reasons.append("a rerun of this job at this commit: its emissions count as rerun waste")
    history = History(
        ledger=facts.ledger, rerun=facts.rerun, windows=tuple(windows), regression=regression
    )
    return worst(statuses), reasons, history


def _without_ledger(policy: Policy, status: Status, unavailable: LedgerUnavailable) -> Status:
    """An unusable ledger: a warning, or under ``ledger_failure: fail`` an error, but never
    less than a measured overrun's FAIL."""
    if policy.ledger_failure is LedgerFailure.FAIL:
        return _unjudged(status)
    return worst([status, Status.WARN])


def _unjudged(status: Status) -> Status:
    """What could not be judged is an ERROR, never a pass; a measured overrun stays a FAIL."""
    return status if status is Status.FAIL else Status.ERROR


def _with_laps(
    status: Status, reasons: list[str], laps: tuple[LapVerdict, ...]
) -> tuple[Status, list[str]]:
    """A job's laps (start/lap/stop), each judged by its step rule: a lap over its step
    budget makes the job's status, and its reasons lead."""
    flagged = sorted(
        (lap for lap in laps if lap.status is not Status.PASS),
        key=lambda lap: _ORDER.index(lap.status),
        reverse=True,
    )
    lap_reasons = [f"lap {lap.name!r}: {reason}" for lap in flagged for reason in lap.reasons]
    return worst([status, *(lap.status for lap in laps)]), [*lap_reasons, *reasons]


def judge(
    *,
    policy: Policy,
    rule: Budget | None,
    context: RunContext,
    measurement: Measurement,
    command: CommandOutcome | None,
    failure: str | None = None,
    laps: tuple[LapVerdict, ...] = (),
    history: HistoryFacts | LedgerUnavailable | None = None,
    policy_change: PolicyChange | None = None,
    job_lap: JobLap | None = None,
) -> Verdict:
    """Decide the verdict: the rule's limits, a job's laps, then the history's, under their
    modes.

    ``failure`` says why the measurement is incomplete (a job's sampler died): what was
    measured is kept and judged, and the verdict is an ERROR unless that already is a FAIL.
    ``history`` is what the ledger answered (None: no ledger is used). Reasons come most
    important first: those that decided the status lead.
    """
    mode = policy.mode_of(rule.mode if rule else None)
    status, checks, reasons = _single_run(policy, rule, context, measurement, mode)
    if command is not None and command.stop is not None:
        # Stopped at an enforced limit: an overrun, whatever the final figures add up to.
        from greengate.gate.limit_watch import stop_sentence

        status = worst([status, Status.FAIL])
        reasons = [stop_sentence(command.stop), *reasons]
    if laps:
        status, reasons = _with_laps(status, reasons, laps)
    if failure is not None:
        final = _unjudged(status)
        reasons = [failure, *reasons] if final is not status else [*reasons, failure]
        status = final
    found: History | None = None
    if isinstance(history, HistoryFacts):
        past, past_reasons, found = _history(policy, measurement, history)
        final = worst([status, past])
        reasons = past_reasons + reasons if final is not status else reasons + past_reasons
        status = final
    elif isinstance(history, LedgerUnavailable):
        problem = f"the ledger could not be used, so no history was checked: {history.problem}"
        final = _without_ledger(policy, status, history)
        reasons = [problem, *reasons] if final is not status else [*reasons, problem]
        status = final
        found = History(ledger=history.ledger, problem=history.problem)
    return Verdict(
        status=status,
        mode=mode,
        context=context,
        policy_path=policy.path,
        policy_file=policy.repo_path,
        rule=rule,
        checks=checks,
        reasons=tuple(reasons),
        measurement=measurement,
        command=command,
        tool_version=__version__,
        history=found,
        policy_change=policy_change,
        laps=laps,
        job_lap=job_lap,
    )


def exit_code(verdict: Verdict, violation_exit_code: int = exit_codes.OVER_BUDGET) -> int:
    """The exit code for a verdict, once the command itself has succeeded (README: exit codes)."""
    if verdict.status is Status.ERROR:
        return exit_codes.NOT_MEASURED
    if verdict.status is Status.FAIL:
        return violation_exit_code
    return exit_codes.OK
