"""The policy's ``grid:`` and ``carbon_aware:`` sections into the model (docs/grid.md).

The schema checks each key's shape; here: the timeout as a duration, a signal the provider
has, a Carbon Aware SDK (self-hosted) that names its url. Data given to ``live_grid`` and
``carbon_aware`` has passed every check.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from greengate.durations import DurationError, parse_duration
from greengate.errors import UsageError
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


@dataclass(frozen=True)
class GridOverride:
    """``--grid-*`` options and ``GREENGATE_GRID_*`` variables, over the policy's ``grid:``."""

    provider: str | None = None  # a provider name, or "offline" to switch live data off
    zone: str | None = None
    signal: str | None = None
    url: str | None = None
    timeout: str | None = None
    fallback: str | None = None


def choose_live(
    policy_grid: LiveGrid | None, override: GridOverride | None, country_given: bool
) -> LiveGrid | None:
    """The live grid of a run: the override over the policy's; None for offline.

    ``--country`` alone asks for that country's bundled figure, so it switches the policy's
    live grid off unless a zone is given too.
    """
    o = override or GridOverride()
    if o.provider == "offline":
        return None
    if policy_grid is None and o.provider is None:
        if o.zone:
            raise UsageError("--grid-zone needs a provider", hint="add --grid-provider NAME")
        return None
    if country_given and o.zone is None and o.provider is None:
        return None
    try:
        base = policy_grid
        if o.provider is not None:
            provider = GridProvider(o.provider)
            zone = o.zone or (base.zone if base and base.provider is provider else None)
            if zone is None:
                raise UsageError(
                    f"--grid-provider {o.provider} needs a zone", hint="add --grid-zone"
                )
            base = (
                LiveGrid(provider, zone)
                if base is None
                else replace(base, provider=provider, zone=zone)
            )
        assert base is not None
        grid = replace(
            base,
            zone=o.zone or base.zone,
            signal=Signal(o.signal) if o.signal else base.signal,
            url=o.url.rstrip("/") if o.url else base.url,
            timeout_s=grid_timeout(o.timeout) if o.timeout else base.timeout_s,
            fallback=GridFallback(o.fallback) if o.fallback else base.fallback,
        )
    except (ValueError, DurationError) as error:
        raise UsageError(f"grid override: {error}", hint="see greengate run --help") from None
    problem = signal_problem(grid.provider, grid.signal)
    if problem:
        raise UsageError(problem)
    if grid.provider is GridProvider.CARBON_AWARE_SDK and not grid.url:
        raise UsageError("the Carbon Aware SDK is self-hosted: give --grid-url")
    return grid
