"""A job's laps before the judge: each lap against the first step rule that matches it."""

from __future__ import annotations

from collections.abc import Sequence

from greengate.context import RunContext
from greengate.gate.judge import judge
from greengate.job.session import LapSpan, wall_time
from greengate.laps import LapVerdict
from greengate.measurement import Measurement
from greengate.policy.matching import select_step_budget
from greengate.policy.model import Policy
from greengate.verdict import LimitCheck, Status


def judge_laps(
    policy: Policy,
    context: RunContext,
    laps: Sequence[tuple[LapSpan, Measurement]],
) -> tuple[LapVerdict, ...]:
    """Each lap judged alone by its step rule (docs/policy.md, "Which rule applies")."""
    judged = []
    for span, m in laps:
        rule = select_step_budget(policy, context.job, context.branch, span.name)
        status: Status = Status.PASS
        checks: tuple[LimitCheck, ...] = ()
        reasons: tuple[str, ...] = ()
        if rule is not None:
            v = judge(policy=policy, rule=rule, context=context, measurement=m, command=None)
            status, checks, reasons = v.status, v.checks, v.reasons
        judged.append(
            LapVerdict(
                name=span.name,
                started_at=wall_time(span.begin),
                ended_at=wall_time(span.end),
                energy_kwh=m.energy_kwh,
                energy_low_kwh=m.energy_low_kwh,
                energy_high_kwh=m.energy_high_kwh,
                emissions_kg=m.emissions_kg,
                emissions_low_kg=m.emissions_low_kg,
                emissions_high_kg=m.emissions_high_kg,
                status=status,
                rule=rule.label if rule is not None else None,
                checks=checks,
                reasons=reasons,
                note=span.note,
            )
        )
    return tuple(judged)
