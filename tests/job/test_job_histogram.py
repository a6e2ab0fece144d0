"""The sampler's record: any curve integrates as sample by sample would; laps add up."""

from __future__ import annotations

import itertools
import math

import pytest

from greengate.energy.profiles import PowerCurve
from greengate.job.histogram import BINS, UtilisationHistogram

LINEAR = PowerCurve(((0.0, 2.0), (1.0, 10.0)))
BENT = PowerCurve(((0.0, 1.76), (0.1, 3.0), (0.5, 6.0), (1.0, 8.18)))  # Eco CI's shape


def samples() -> list[tuple[float, float]]:
    return [(0.5 + (i % 7) * 0.25, (i * 37 % 101) / 100) for i in range(500)]


@pytest.mark.parametrize("curve", [LINEAR, BENT])
def test_the_record_integrates_a_curve_as_the_samples_do(curve: PowerCurve) -> None:
    h = UtilisationHistogram()
    direct = 0.0
    for dt, u in samples():
        h = h.added(dt, u)
        direct += curve.watts(u) * dt
    # Exact wherever the curve is straight within a 1 % bin: every bin here.
    assert h.joules(curve) == pytest.approx(direct, rel=1e-9)


def test_laps_cut_from_the_record_add_up_to_the_whole() -> None:
    h, marks = UtilisationHistogram(), [UtilisationHistogram()]
    for i, (dt, u) in enumerate(samples()):
        h = h.added(dt, u)
        if i % 90 == 89:
            marks.append(h)
    marks.append(h)
    laps = [b.minus(a) for a, b in itertools.pairwise(marks)]
    assert sum(lap.joules(BENT) for lap in laps) == pytest.approx(h.joules(BENT), rel=1e-12)
    assert sum(lap.total_seconds for lap in laps) == pytest.approx(h.total_seconds)


def test_the_record_round_trips_and_refuses_a_wrong_shape() -> None:
    h = UtilisationHistogram().added(1.5, 0.42).added(0.5, 1.0)
    back = UtilisationHistogram.from_json(h.to_json())
    assert back.joules(BENT) == pytest.approx(h.joules(BENT))
    assert back.utilisation == pytest.approx((1.5 * 0.42 + 0.5) / 2.0)
    with pytest.raises(ValueError, match=f"{BINS} bins"):
        UtilisationHistogram.from_json({"seconds": [1.0], "busy": [1.0]})


def test_out_of_range_utilisation_and_empty_intervals() -> None:
    h = UtilisationHistogram().added(1.0, 1.7).added(1.0, -0.2).added(0.0, 0.5)
    assert h.total_seconds == 2.0
    assert h.joules(LINEAR) == pytest.approx(10.0 + 2.0)
    assert math.isclose(UtilisationHistogram().utilisation, 0.0)
