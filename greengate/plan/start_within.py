"""``greengate run --start-within``: wait for a cleaner window only when it is worth it.

Pure: the plan, the policy's ``carbon_aware.min_saving``, the machine's idle power and the
job's typical energy in; whether to wait and why out. A machine held idle while it waits
(a self-hosted runner) burns its idle power for the whole wait: those grams are counted
against what the later start saves. A hosted CI runner is refused by default: it bills and
burns while it waits, and a scheduled workflow does the same for free (docs/grid.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from greengate.errors import UsageError
from greengate.plan.when import StartPlan
from greengate.units import format_duration, format_emissions, significant


@dataclass(frozen=True)
class WaitDecision:
    """How long to wait before starting, and the reason in words."""

    wait_s: float  # 0: start now
    reason: str
    idle_g: float | None = None  # the wait's idle emissions; None: idle power unknown
    saved_g: float | None = None  # what the later start saves; None: job energy unknown


def decide_wait(
    plan: StartPlan,
    min_saving: float,
    *,
    idle_watts: float | None,
    job_kwh: float | None,
    wait_g_per_kwh: float | None,
    hosted_runner: str | None,
    allow_hosted: bool = False,
) -> WaitDecision:
    """Wait until ``plan.start`` only when it saves ``min_saving`` and more than idling costs."""
    if hosted_runner and not allow_hosted and plan.delay_s > 0:
        raise UsageError(
            f"--start-within on a {hosted_runner} would hold a billed runner idle for "
            f"{format_duration(plan.delay_s)}",
            hint="schedule the job instead (greengate when in a cron workflow, docs/grid.md), "
            "or pass --wait-on-hosted",
        )
    if plan.delay_s <= 0:
        return WaitDecision(0.0, "now is already the cleanest start in the window")
    saving = plan.saving_pct
    if saving < min_saving * 100:
        return WaitDecision(
            0.0,
            f"the best start saves {significant(saving)} %, below carbon_aware.min_saving "
            f"({significant(min_saving * 100)} %): starting now",
        )
    idle_g = None
    if idle_watts is not None and wait_g_per_kwh is not None:
        idle_g = idle_watts * plan.delay_s / 3600 / 1000 * wait_g_per_kwh
    saved_g = None
    if job_kwh is not None:
        saved_g = job_kwh * (plan.intensity_now - plan.intensity_best)
    if idle_g is not None and saved_g is not None and saved_g <= idle_g:
        return WaitDecision(
            0.0,
            f"waiting {format_duration(plan.delay_s)} would save "
            f"{format_emissions(saved_g / 1000)} but idling costs "
            f"{format_emissions(idle_g / 1000)}: starting now",
            idle_g,
            saved_g,
        )
    net = ""
    if idle_g is not None and saved_g is not None:
        net = (
            f"; saves {format_emissions(saved_g / 1000)}, "
            f"idling costs {format_emissions(idle_g / 1000)}"
        )
    elif idle_g is not None:
        net = (
            f"; idling costs {format_emissions(idle_g / 1000)} "
            "(no past runs of this job to weigh it against)"
        )
    return WaitDecision(
        plan.delay_s,
        f"waiting {format_duration(plan.delay_s)} for a {significant(saving)} % "
        f"cleaner window{net}",
        idle_g,
        saved_g,
    )
