"""``greengate when``: the start in a window that minimises the mean intensity of a job.

Pure: a forecast (slots) in, a plan out. Each candidate start is now or a slot's start in
the window; a window is the job's duration from that start, fully inside the forecast.
Means come from a running integral, so a 48 h forecast of 5-minute slots is instant.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from greengate.errors import GreengateError
from greengate.intensity.slots import merge
from greengate.live_intensity import Slot


@dataclass(frozen=True)
class StartPlan:
    """The best start and what it saves against starting now."""

    now: datetime
    start: datetime
    duration_s: float
    intensity_now: float  # g/kWh, mean over the job's duration from now
    intensity_best: float  # g/kWh, mean over the job's duration from ``start``
    forecast_end: datetime  # the last time the forecast covers

    @property
    def delay_s(self) -> float:
        return (self.start - self.now).total_seconds()

    @property
    def saving_pct(self) -> float:
        """``100 x (now - best) / now``."""
        if self.intensity_now <= 0:
            return 0.0
        return 100.0 * (self.intensity_now - self.intensity_best) / self.intensity_now


class _Integral:
    """g/kWh-seconds and covered seconds from the first slot's start, for any time."""

    def __init__(self, slots: Sequence[Slot]) -> None:
        self.slots = merge(slots)
        self.starts = [s.start for s in self.slots]
        self.area, self.covered = [0.0], [0.0]
        for s in self.slots:
            self.area.append(self.area[-1] + s.g_per_kwh * s.seconds)
            self.covered.append(self.covered[-1] + s.seconds)

    def at(self, t: datetime) -> tuple[float, float]:
        i = bisect.bisect_right(self.starts, t) - 1
        if i < 0:
            return 0.0, 0.0
        s = self.slots[i]
        inside = min(max((t - s.start).total_seconds(), 0.0), s.seconds)
        return self.area[i] + s.g_per_kwh * inside, self.covered[i] + inside

    def mean(self, a: datetime, b: datetime) -> float | None:
        """Mean over [a, b], or None where the forecast does not cover all of it."""
        area_a, cov_a = self.at(a)
        area_b, cov_b = self.at(b)
        seconds = (b - a).total_seconds()
        if seconds <= 0 or cov_b - cov_a < seconds - 1e-6:
            return None
        return (area_b - area_a) / seconds


def best_start(
    forecast: Sequence[Slot], now: datetime, duration_s: float, within_s: float
) -> StartPlan:
    """The start in [now, now + within] with the lowest mean intensity (ties: earliest)."""
    if not forecast:
        raise GreengateError("the provider gave no forecast", hint="try again later")
    integral = _Integral(forecast)
    duration = timedelta(seconds=duration_s)
    now_mean = integral.mean(now, now + duration)
    forecast_end = integral.slots[-1].end
    if now_mean is None:
        raise GreengateError(
            f"the forecast ({integral.slots[0].start:%H:%M}-{forecast_end:%H:%M} UTC) does not "
            f"cover a {duration_s / 60:g}-minute job starting now",
            hint="use a shorter --duration, or a provider with a longer forecast",
        )
    latest = now + timedelta(seconds=within_s)
    best, best_mean = now, now_mean
    for start in integral.starts:
        if start <= now or start > latest:
            continue
        mean = integral.mean(start, start + duration)
        if mean is not None and mean < best_mean - 1e-9:
            best, best_mean = start, mean
    return StartPlan(now, best, duration_s, now_mean, best_mean, forecast_end)
