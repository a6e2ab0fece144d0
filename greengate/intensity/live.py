"""A run's live intensity: fetched while the command runs, bounded after it ends.

``LiveLookup.begin`` starts a background fetch of the slot the run starts in (unless the
cache has it), so the command never waits for the network; ``finish`` waits at most the
grid timeout for what is still missing and returns the run's figure, or raises
ProviderError with a short reason (HTTP 401, timeout, malformed, ...).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

from greengate.intensity.carbon_aware_sdk import CarbonAwareSdk
from greengate.intensity.electricitymaps import ElectricityMaps
from greengate.intensity.energy_charts import EnergyCharts
from greengate.intensity.grid_api import MAPPING_ERRORS, GridApi, checked, unexpected
from greengate.intensity.http import Http, ProviderError
from greengate.intensity.slot_cache import SlotCache, utc_now
from greengate.intensity.slots import CoverageError, covering, merge, run_figure
from greengate.intensity.uk_carbon_intensity import UkCarbonIntensity
from greengate.intensity.watttime import WattTime
from greengate.live_intensity import LiveIntensity, Slot
from greengate.measurement import GridIntensity, PowerTimeline
from greengate.policy.model import GridProvider, LiveGrid

PROVIDERS: dict[GridProvider, type[GridApi]] = {
    GridProvider.ELECTRICITYMAPS: ElectricityMaps,
    GridProvider.WATTTIME: WattTime,
    GridProvider.UK_CARBON_INTENSITY: UkCarbonIntensity,
    GridProvider.CARBON_AWARE_SDK: CarbonAwareSdk,
    GridProvider.ENERGY_CHARTS: EnergyCharts,
}


def build_api(grid: LiveGrid, env: Mapping[str, str]) -> GridApi:
    """The provider a ``grid:`` section names."""
    return PROVIDERS[grid.provider](grid, env)


def guarded(
    api: GridApi,
    what: str,
    call: Callable[[Http, datetime, datetime], list[Slot]],
    http: Http,
    start: datetime,
    end: datetime,
) -> list[Slot]:
    """A provider's slots, each checked; whatever the answer was, a ProviderError at worst.

    The one door between a provider's mapping and the run: an answer no mapping foresaw
    (an empty list, a 1e308 s period, a value as a string) is a fallback saying what the
    server sent, never an exception that takes the command's result with it.
    """
    try:
        return [checked(slot) for slot in call(http, start, end)]
    except ProviderError:
        raise
    except MAPPING_ERRORS as error:
        raise ProviderError("malformed", unexpected(api.name, what, error)) from None
    except Exception as error:  # a provider bug must not take the run down with it
        raise ProviderError("malformed", unexpected(api.name, what, error)) from None


class _Fetch(threading.Thread):
    """One provider call in the background; a hung provider never holds up the exit."""

    def __init__(self, call: Callable[[], list[Slot]]) -> None:
        super().__init__(daemon=True, name="greengate-grid")
        self._call = call
        self.slots: list[Slot] = []
        self.error: ProviderError | None = None

    def run(self) -> None:
        try:
            self.slots = self._call()
        except ProviderError as error:
            self.error = error


class LiveLookup:
    """The live figure of one run, from ``grid:``, the environment and the cache."""

    def __init__(
        self,
        grid: LiveGrid,
        env: Mapping[str, str],
        cache_root: Path | None,
        *,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self.grid = grid
        self.api = build_api(grid, env)
        self.http = Http(grid.timeout_s, self.api.secrets())
        self.cache = SlotCache(cache_root, grid) if cache_root is not None else None
        self._now = now
        self._start: datetime | None = None
        self._first: _Fetch | None = None
        self._known: tuple[Slot, ...] | None = None  # the slots so_far judges with

    def _fetch(self, start: datetime, end: datetime) -> _Fetch:
        fetch = _Fetch(lambda: guarded(self.api, "actual", self.api.actual, self.http, start, end))
        try:
            fetch.start()
        except RuntimeError:  # no thread left (ulimit -u): fetch here, bounded by the exchange
            fetch.run()
        return fetch

    def _cached(self, start: datetime, end: datetime) -> tuple[Slot, ...] | None:
        return self.cache.cover(start, end, self._now()) if self.cache else None

    def begin(self, start: datetime) -> None:
        """Start fetching the slot ``start`` falls in; returns at once."""
        self._start = start
        if self._cached(start, start) is None:
            self._first = self._fetch(start, start)

    def finish(self, end: datetime, timeline: PowerTimeline | None = None) -> GridIntensity:
        """The run's slots and figure; waits at most the grid timeout from now."""
        start = self._start if self._start is not None else end
        deadline = time.monotonic() + self.grid.timeout_s
        slots: list[Slot] = list(self.cache.fresh(self._now())) if self.cache else []
        if self._first is not None:
            slots = list(merge(self._join(self._first, deadline), slots))
        try:
            used = covering(slots, start, end)
        except CoverageError:
            more = self._join(self._fetch(start, end), deadline)
            slots = list(merge(more, slots))
            try:
                used = covering(slots, start, end)
            except CoverageError as gap:
                raise ProviderError("no data", f"{self.api.name}: {gap}") from None
        live = LiveIntensity(self.api.name, self.grid.zone, self.grid.signal.value, used)
        return GridIntensity(
            run_figure(used, start, end, timeline),
            f"{self.api.name} live data ({self.grid.signal.value})",
            self.grid.zone,
            None,
            live,
        )

    def so_far(self, now: datetime) -> float | None:
        """g/kWh of the run up to ``now`` from the slots at hand, never waiting (the stop
        check's figure): None while the first fetch runs; raises ProviderError where it
        failed. A run past the slots it has is charged what they cover, until ``finish``."""
        start = self._start if self._start is not None else now
        first = self._first
        if first is not None and first.is_alive():
            return None
        if first is not None and first.error is not None:
            raise first.error
        if self._known is None:  # the cache file is read once, not at every sample
            cached = self.cache.fresh(self._now()) if self.cache else []
            self._known = merge(first.slots if first is not None else [], cached)
        slots = self._known
        if not slots:
            return None
        try:
            return run_figure(slots, start, max(now, start))
        except CoverageError:
            end = max(s.end for s in slots)
            try:
                return run_figure(slots, start, end) if end > start else None
            except CoverageError:
                return None

    def _join(self, fetch: _Fetch, deadline: float) -> list[Slot]:
        if fetch.ident is not None:  # started (not run in place for want of a thread)
            fetch.join(max(deadline - time.monotonic(), 0.0))
        if fetch.is_alive():
            raise ProviderError(
                "timeout", f"{self.api.name}: no answer within {self.grid.timeout_s:g} s"
            )
        if fetch.error is not None:
            raise fetch.error
        if self.cache is not None and fetch.slots:
            self.cache.store(fetch.slots, self._now())
        return fetch.slots

    def forecast(self, start: datetime, end: datetime) -> list[Slot]:
        """The forecast for [start, end] (``greengate when``), from the cache when fresh."""
        cached = self._cached(start, end)
        if cached is not None:
            return list(cached)
        slots = guarded(self.api, "forecast", self.api.forecast, self.http, start, end)
        if self.cache is not None:
            self.cache.store(slots, self._now())
        return slots
