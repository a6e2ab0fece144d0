"""Time spent at each utilisation: what the sampler keeps, whatever the power curve.

The sampler cannot know the power model (the TDP tier needs codecarbon's detection, which
``stop`` does), so it records how long the machine spent at each utilisation. Any curve then
integrates exactly as sample-by-sample would, within one bin, and the record stays the same
size over hours. Energy is linear in the record, so laps (differences of two cumulative
records) add up to the whole job exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from greengate.energy.profiles import PowerCurve

BINS = 100  # 1 % of utilisation each


def _zeros() -> tuple[float, ...]:
    return (0.0,) * BINS


@dataclass(frozen=True)
class UtilisationHistogram:
    """Seconds spent in each 1 % utilisation bin, and those seconds weighted by utilisation."""

    seconds: tuple[float, ...] = _zeros()
    busy: tuple[float, ...] = _zeros()  # utilisation x seconds, per bin (where in the bin)

    def added(self, seconds: float, utilisation: float) -> UtilisationHistogram:
        """This record plus ``seconds`` spent at ``utilisation`` (0..1)."""
        if seconds <= 0:
            return self
        u = min(max(utilisation, 0.0), 1.0)
        i = min(int(u * BINS), BINS - 1)
        s, b = list(self.seconds), list(self.busy)
        s[i] += seconds
        b[i] += u * seconds
        return UtilisationHistogram(tuple(s), tuple(b))

    def minus(self, other: UtilisationHistogram) -> UtilisationHistogram:
        """The stretch between two cumulative records (a lap)."""
        return UtilisationHistogram(
            tuple(a - b for a, b in zip(self.seconds, other.seconds, strict=True)),
            tuple(a - b for a, b in zip(self.busy, other.busy, strict=True)),
        )

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds)

    @property
    def utilisation(self) -> float:
        """Mean utilisation over the record (0.0 when empty)."""
        total = self.total_seconds
        return min(max(sum(self.busy) / total, 0.0), 1.0) if total > 0 else 0.0

    def joules(self, curve: PowerCurve) -> float:
        """The curve integrated over the record: linear within each bin, as the curve is."""
        energy = 0.0
        for i, (s, b) in enumerate(zip(self.seconds, self.busy, strict=True)):
            if s == 0 and b == 0:
                continue
            lo, hi = i / BINS, (i + 1) / BINS
            w_lo = curve.watts(lo)
            slope = (curve.watts(hi) - w_lo) / (hi - lo)
            energy += s * w_lo + slope * (b - lo * s)
        return energy

    def to_json(self) -> dict[str, list[float]]:
        """Rounded to the microsecond: the file is rewritten every second."""
        return {
            "seconds": [round(x, 6) for x in self.seconds],
            "busy": [round(x, 6) for x in self.busy],
        }

    @classmethod
    def from_json(cls, data: object) -> UtilisationHistogram:
        """Read back ``to_json``; ValueError when the data is not one."""
        if not isinstance(data, dict):
            raise ValueError("a utilisation histogram is a mapping")
        seconds, busy = _floats(data.get("seconds")), _floats(data.get("busy"))
        return cls(seconds, busy)


def _floats(value: object) -> tuple[float, ...]:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != BINS:
        raise ValueError(f"a histogram has {BINS} bins")
    out = tuple(float(x) for x in value)
    return out
