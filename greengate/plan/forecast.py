"""The forecast a plan is made from: the policy's (or the options') live grid, cached."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from greengate.errors import UsageError
from greengate.files.cache import cache_dir
from greengate.plan.when import StartPlan, best_start
from greengate.policy.grid_settings import GridOverride, choose_live
from greengate.policy.model import LiveGrid, Policy


def plan_start(
    policy: Policy,
    override: GridOverride | None,
    env: Mapping[str, str],
    now: datetime,
    duration_s: float,
    within_s: float,
) -> tuple[StartPlan, LiveGrid]:
    """The best start in [now, now + within] for a job of ``duration_s``, and its grid."""
    from greengate.intensity.live import LiveLookup

    grid = choose_live(policy.grid, override, country_given=False)
    if grid is None:
        raise UsageError(
            "planning a start needs a live grid provider's forecast",
            hint="add a grid: section to the policy or pass --grid-provider and --grid-zone",
        )
    lookup = LiveLookup(grid, env, cache_dir(env))
    forecast = lookup.forecast(now, now + timedelta(seconds=within_s + duration_s))
    return best_start(forecast, now, duration_s, within_s), grid
