"""A provider's answer as time slots, and the figure of the hours a run covered.

Pure functions: no network, no clock. A run inside one slot gets that slot's value; a
longer run gets each slot's energy (from the power timeline) times that slot's intensity.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from greengate.live_intensity import Slot
from greengate.measurement import PowerTimeline

__all__ = ["CoverageError", "Slot", "covering", "merge", "run_figure"]


class CoverageError(ValueError):
    """The slots leave part of the run without a figure."""


def merge(*series: Sequence[Slot]) -> tuple[Slot, ...]:
    """Slots sorted by start; an earlier series wins where two start at the same time."""
    chosen: dict[datetime, Slot] = {}
    for slots in series:
        for slot in slots:
            chosen.setdefault(slot.start, slot)
    ordered = sorted(chosen.values(), key=lambda s: s.start)
    # Overlaps (an hourly forecast after 5-minute actuals) are cut where the next begins.
    return tuple(
        Slot(s.start, min(s.end, nxt.start), s.g_per_kwh, s.forecast, s.estimated)
        if nxt is not None and nxt.start < s.end
        else s
        for s, nxt in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True)
    )


def covering(slots: Sequence[Slot], start: datetime, end: datetime) -> tuple[Slot, ...]:
    """The slots overlapping [start, end], or CoverageError naming the first gap.

    A run's last seconds often fall in a slot the provider has not published yet; a gap at
    either end shorter than the neighbouring slot is given that slot's value, not refused.
    """
    used = [s for s in sorted(slots, key=lambda s: s.start) if s.end > start and s.start < end]
    if not used:
        raise CoverageError(f"no data for {_hm(start)}-{_hm(end)} UTC")
    first, last = used[0], used[-1]
    if first.start > start and first.start - start > timedelta(seconds=first.seconds):
        raise CoverageError(f"no data for {_hm(start)}-{_hm(first.start)} UTC")
    if last.end < end and end - last.end > timedelta(seconds=last.seconds):
        raise CoverageError(f"no data for {_hm(last.end)}-{_hm(end)} UTC")
    for a, b in itertools.pairwise(used):
        if b.start > a.end:
            raise CoverageError(f"no data for {_hm(a.end)}-{_hm(b.start)} UTC")
    return tuple(used)


def _hm(t: datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M")


def _energy_between(
    timeline: PowerTimeline | None, run_start: datetime, a: datetime, b: datetime
) -> float:
    """Joules the timeline puts between a and b (its buckets start at ``run_start``)."""
    lo, hi = (a - run_start).total_seconds(), (b - run_start).total_seconds()
    if timeline is None or not timeline.watts or timeline.interval_s <= 0:
        return max(hi - lo, 0.0)  # no timeline: weight by time, as a constant power would
    joules = 0.0
    for index, watts in enumerate(timeline.watts):
        b0, b1 = index * timeline.interval_s, (index + 1) * timeline.interval_s
        overlap = min(b1, hi) - max(b0, lo)
        if overlap > 0:
            joules += watts * overlap
    return joules


def run_figure(
    slots: Sequence[Slot],
    start: datetime,
    end: datetime,
    timeline: PowerTimeline | None = None,
) -> float:
    """g/kWh of the run [start, end]: slot intensities weighted by the run's energy in each."""
    used = covering(slots, start, end)
    if len(used) == 1:
        return used[0].g_per_kwh
    weights = []
    for index, slot in enumerate(used):
        # The first and last slots stretch to the run's edges (gaps covering() allowed).
        a = start if index == 0 else max(slot.start, start)
        b = end if index == len(used) - 1 else min(slot.end, end)
        weights.append(_energy_between(timeline, start, a, b))
    total = sum(weights)
    if total <= 0:  # an idle timeline: fall back to time weights
        weights = [
            (
                (end if i == len(used) - 1 else min(s.end, end)) - (start if i == 0 else s.start)
            ).total_seconds()
            for i, s in enumerate(used)
        ]
        total = sum(weights)
    return sum(w * s.g_per_kwh for w, s in zip(weights, used, strict=True)) / total
