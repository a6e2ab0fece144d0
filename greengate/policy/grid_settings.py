"""The policy's ``grid:`` and ``carbon_aware:`` sections into the model (docs/grid.md).

The schema checks each key's shape; here: the timeout as a duration, a signal the provider
has, a Carbon Aware SDK (self-hosted) that names its url. Data given to ``live_grid`` and
``carbon_aware`` has passed every check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from greengate.durations import DurationError, parse_duration
from greengate.policy.model import CarbonAware, GridFallback, GridProvider, LiveGrid, Signal
from greengate.policy.problems import Problem

MAX_TIMEOUT_S = 60.0  # the lookup bounds what a run may add after the command ends
# Which signals each provider serves. The SDK passes on its own data source's (WattTime:
# marginal, Electricity Maps: average), so either is accepted and recorded as configured.
PROVIDER_SIGNALS = {
    GridProvider.ELECTRICITYMAPS: frozenset({Signal.AVERAGE}),
    GridProvider.WATTTIME: frozenset({Signal.AVERAGE, Signal.MARGINAL}),
    GridProvider.UK_CARBON_INTENSITY: frozenset({Signal.AVERAGE}),
    GridProvider.CARBON_AWARE_SDK: frozenset({Signal.AVERAGE, Signal.MARGINAL}),
    GridProvider.ENERGY_CHARTS: frozenset({Signal.AVERAGE}),
}


def grid_timeout(value: object) -> float:
    """Seconds of a ``grid.timeout``; raises DurationError with what was expected."""
    seconds = parse_duration(value, bare="s")
    if seconds > MAX_TIMEOUT_S:
        raise DurationError(
            f"expected a timeout up to {MAX_TIMEOUT_S:g} s (the lookup is bounded so a run "
            f"never waits long for it), got {value!r}"
        )
    return seconds


def signal_problem(provider: GridProvider, signal: Signal) -> str | None:
    """Why ``provider`` cannot give ``signal``, or None when it can."""
    if signal in PROVIDER_SIGNALS[provider]:
        return None
    return (
        f"{provider.value} has no {signal.value} signal; marginal (MOER) comes from watttime "
        "(or a Carbon Aware SDK backed by it): use signal: average or provider: watttime"
    )


def grid_problems(data: dict[str, Any]) -> Iterator[Problem]:
    """What is wrong with ``grid:`` and ``carbon_aware:`` beyond their shape (tolerant)."""
    aware = data.get("carbon_aware")
    saving = aware.get("min_saving") if isinstance(aware, dict) else None
    if isinstance(saving, str) and saving.strip().endswith("%"):
        try:
            over = float(saving.strip().rstrip("%")) > 100
        except ValueError:
            over = False  # the schema's pattern already says what is wrong
        if over:
            yield Problem(
                ("carbon_aware", "min_saving"),
                f"expected a saving such as '10 %' (at most 100 %), got {saving!r}",
            )
    grid = data.get("grid")
    if not isinstance(grid, dict):
        return
    if "timeout" in grid and isinstance(grid["timeout"], (str, int, float)):
        try:
            grid_timeout(grid["timeout"])
        except DurationError as e:
            yield Problem(("grid", "timeout"), str(e))
    provider, signal = _enum(GridProvider, grid.get("provider")), _enum(Signal, grid.get("signal"))
    if provider is not None and signal is not None:
        problem = signal_problem(provider, signal)
        if problem:
            yield Problem(("grid", "signal"), problem)
    if provider is GridProvider.CARBON_AWARE_SDK and not grid.get("url"):
        yield Problem(
            ("grid", "provider"),
            "the Carbon Aware SDK is self-hosted: add url, e.g. url: http://localhost:8080",
        )


def _enum(kind: Any, value: object) -> Any:
    try:
        return kind(value)
    except ValueError:
        return None


def live_grid(data: dict[str, Any]) -> LiveGrid | None:
    """The ``grid:`` section as a LiveGrid; None when the policy has none."""
    raw = data.get("grid")
    if not raw:
        return None
    return LiveGrid(
        provider=GridProvider(raw["provider"]),
        zone=str(raw["zone"]).strip(),
        signal=Signal(raw.get("signal", Signal.AVERAGE.value)),
        url=raw["url"].rstrip("/") if raw.get("url") else None,
        timeout_s=grid_timeout(raw["timeout"]) if "timeout" in raw else LiveGrid.timeout_s,
        fallback=GridFallback(raw.get("fallback", GridFallback.BUNDLED.value)),
    )


def carbon_aware(data: dict[str, Any]) -> CarbonAware:
    """The ``carbon_aware:`` section; defaults for an absent or empty one."""
    raw = data.get("carbon_aware") or {}
    value = raw.get("min_saving")
    if value is None:
        return CarbonAware()
    saving = float(value.strip().rstrip("%")) / 100 if isinstance(value, str) else float(value)
    return CarbonAware(min_saving=saving)
