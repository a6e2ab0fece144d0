"""The gate's decision: a measurement against the matched budget rule."""

from __future__ import annotations

from greengate import __version__
from greengate.context import RunContext
from greengate.gate.limit_sentence import limit_sentence
from greengate.measurement import Measurement
from greengate.policy.model import Budget, Mode, Policy
from greengate.verdict import CommandOutcome, LimitCheck, Quantity, Status, Verdict

_ORDER = [Status.PASS, Status.WARN, Status.FAIL, Status.ERROR]


def worst(statuses: list[Status]) -> Status:
    """The most severe of the statuses (PASS when there are none)."""
    return max(statuses, key=_ORDER.index, default=Status.PASS)


def _check(
    quantity: Quantity,
    measured: float,
    limit: float,
    warn_at: float,
    band: tuple[float, float] | None = None,
) -> LimitCheck:
    if measured > limit:
        status = Status.FAIL
    elif measured >= warn_at * limit:
        status = Status.WARN
    else:
        status = Status.PASS
    low, high = band if band is not None else (None, None)
    return LimitCheck(quantity, measured, limit, warn_at, status, low, high)


def judge(
    *,
    policy: Policy | None,
    rule: Budget | None,
    context: RunContext,
    measurement: Measurement | None,
    command: CommandOutcome | None,
    failure: str | None = None,
) -> Verdict:
    """Decide pass/warn/fail/error. ``failure`` explains a measurement that could not be made."""
    mode = (rule.mode if rule and rule.mode else None) or (
        policy.defaults.mode if policy else Mode.ENFORCE
    )
    path = policy.path if policy else None

    def verdict(status: Status, checks: tuple[LimitCheck, ...], reasons: list[str]) -> Verdict:
        return Verdict(
            status=status,
            mode=mode,
            context=context,
            policy_path=path,
            rule=rule,
            checks=checks,
            reasons=tuple(reasons),
            measurement=measurement,
            command=command,
            tool_version=__version__,
        )

    if measurement is None:
        return verdict(Status.ERROR, (), [failure or "no measurement was made"])
    if failure is not None:
        # Measured in part (a job's sampler died): the figures are kept, never judged a pass.
        return verdict(Status.ERROR, (), [failure])
    if rule is None:
        where = f"job {context.job or '?'!r} on branch {context.branch or '?'!r}"
        return verdict(Status.PASS, (), [f"no budget rule matches {where}; nothing to gate"])

    warn_at = (
        rule.warn_at if rule.warn_at is not None else policy.defaults.warn_at if policy else 0.8
    )
    checks: list[LimitCheck] = []
    if rule.max_emissions_kg is not None:
        checks.append(
            _check(
                Quantity.EMISSIONS,
                measurement.emissions_kg,
                rule.max_emissions_kg,
                warn_at,
                (measurement.emissions_low_kg, measurement.emissions_high_kg),
            )
        )
    if rule.max_energy_kwh is not None:
        checks.append(
            _check(
                Quantity.ENERGY,
                measurement.energy_kwh,
                rule.max_energy_kwh,
                warn_at,
                (measurement.energy_low_kwh, measurement.energy_high_kwh),
            )
        )

    raw = worst([c.status for c in checks])
    ordered = sorted(checks, key=lambda c: _ORDER.index(c.status), reverse=True)
    reasons = [limit_sentence(c, rule.label) for c in ordered]
    if mode is Mode.OFF:
        return verdict(Status.PASS, tuple(checks), [*reasons, "mode is off: measured, not judged"])
    if mode is Mode.WARN and raw is Status.FAIL:
        return verdict(Status.WARN, tuple(checks), [*reasons, "mode is warn: overrun not enforced"])
    return verdict(raw, tuple(checks), reasons)


def exit_code(verdict: Verdict, violation_exit_code: int = 1) -> int:
    """The exit code for a verdict, once the command itself has succeeded (README: exit codes)."""
    if verdict.status is Status.ERROR:
        return 3
    if verdict.status is Status.FAIL:
        return violation_exit_code
    return 0
