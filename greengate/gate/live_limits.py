"""The stop check of one run, built just before its command starts (``--stop-at-limit`` or a
rule's ``stop_at_limit``): which limits it is held to, and its live figure.

A window's limit for this run is what the ledger says is left of it now; runs on the same
branch that finish meanwhile are not seen until the verdict, which charges the window in
the ledger's transaction as always.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from greengate.context import RunContext
from greengate.energy.interface import RunEnergy
from greengate.gate.limit_watch import (
    LimitWatch,
    LiveFigures,
    WatchedLimit,
    enforced_windows,
    rule_limits,
    window_limit,
)
from greengate.gate.parts import GateParts
from greengate.measurement import GridIntensity, Measurement
from greengate.policy.model import GridSetting, Policy
from greengate.process.supervisor import TreeSample

if TYPE_CHECKING:
    from greengate.gate.flow import Prepared


def window_limits(
    policy: Policy,
    context: RunContext,
    ledger: str | None,
    parts: GateParts,
    warn: Callable[[str], None],
) -> list[WatchedLimit]:
    """What is left of each enforced window the run charges, from the ledger."""
    from greengate.gate.history import questions
    from greengate.ledger.interface import LedgerError

    asked = questions(policy, context, parts.clock())
    enforced = enforced_windows(policy, asked.windows)
    if not enforced:
        return []
    if ledger is None:
        warn("no ledger, so no window's remaining budget can stop the run")
        return []
    try:
        # Read in a write transaction that stores nothing: the same answers the judge gets.
        with parts.ledger(ledger) as opened, opened.charging(asked.key) as charge:
            spends = charge.spends
    except LedgerError as e:
        warn(f"the ledger could not be read, so no window can stop the run: {e.message}")
        return []
    limits: list[WatchedLimit] = []
    for i in enforced:
        spend = spends[i]
        limits += window_limit(
            policy, asked.windows[i], context.branch or "", spend.energy_kwh, spend.emissions_kg
        )
    return limits


def live_figures(
    energy: RunEnergy,
    parts: GateParts,
    grid: GridSetting,
    started_at: datetime,
    include_embodied: bool,
) -> Callable[[TreeSample], LiveFigures]:
    """The figure the verdict would report had the run ended at the sample: energy as the
    run's energy makes it, emissions at the grid's figure for the run so far (an offline
    grid's is looked up once; a live one's slots as they are fetched, never waited for)."""
    fixed: list[GridIntensity] = []
    if grid.live is None:
        offline = parts.intensity.so_far(grid, started_at, started_at)
        fixed = [offline] if offline is not None else []

    def figures(sample: TreeSample) -> LiveFigures:
        result = energy.live(sample)
        if result is None:
            return None, None
        if fixed:
            intensity: GridIntensity | None = fixed[0]
        else:
            now = parts.clock()
            intensity = parts.intensity.so_far(grid, started_at, max(now, started_at))
        if intensity is None:
            return sum(c.kwh for c in result.components) * result.pue, None
        m = Measurement(
            result.components,
            result.pue,
            intensity,
            embodied=result.embodied,
            include_embodied=include_embodied,
        )
        return m.energy_kwh, m.emissions_kg

    return figures


def build_watch(
    signum: int, prepared: Prepared, energy: RunEnergy, warn: Callable[[str], None]
) -> LimitWatch | None:
    """The run's stop check; None where no enforced limit is left to watch."""
    policy, parts = prepared.policy, prepared.parts
    limits = rule_limits(policy, prepared.rule)
    limits += window_limits(policy, prepared.context, prepared.ledger, parts, warn)
    if not limits:
        return None
    figures = live_figures(
        energy, parts, prepared.grid, parts.clock(), policy.energy.include_embodied
    )
    return LimitWatch(limits, figures, signum, warn)
