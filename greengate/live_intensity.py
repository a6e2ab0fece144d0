"""A live grid provider's data as a measurement carries it: the slots a run covered.

Apart from greengate.measurement so that an offline run (the default) never builds these
types (start-up: each frozen dataclass costs about half a millisecond to create).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Slot:
    """One live provider value: the grid's intensity from ``start`` to ``end`` (UTC-aware)."""

    start: datetime
    end: datetime
    g_per_kwh: float
    forecast: bool = False  # a forecast, not (yet) a measured or estimated actual
    estimated: bool = False  # the provider says the value is estimated, not measured

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()


@dataclass(frozen=True)
class LiveIntensity:
    """What a live provider gave for a run (docs/grid.md), or why it gave nothing."""

    provider: str  # electricitymaps, watttime, uk-carbon-intensity, carbon-aware-sdk, ...
    zone: str
    signal: str  # average | marginal
    slots: tuple[Slot, ...] = ()  # the data of the hours the run covered
    fallback_reason: str | None = None  # set: the provider failed, the figure is the bundled one

    @property
    def forecast(self) -> bool:
        return any(s.forecast for s in self.slots)

    @property
    def estimated(self) -> bool:
        return any(s.estimated for s in self.slots)
