"""The SVG building blocks: round ticks, one unit per axis, ticks where their values lie."""

from __future__ import annotations

import itertools
import re

import pytest

from greengate.report.charts import Line, line_chart
from greengate.report.svg import Frame, axis_unit, nice_ticks, y_axis
from greengate.units import format_energy, significant


@pytest.mark.parametrize(
    ("high", "ticks"),
    [
        (4.6, [0, 1, 2, 3, 4, 5]),
        (220, [0, 50, 100, 150, 200, 250]),
        (0.012, [0, 0.0025, 0.005, 0.0075, 0.01, 0.0125]),
        (0, [0, 1]),
    ],
)
def test_nice_ticks(high: float, ticks: list[float]) -> None:
    assert nice_ticks(high) == pytest.approx(ticks)


def test_axis_unit_by_size() -> None:
    assert axis_unit("emissions", 0.22) == ("g CO2e", 1e-3)
    assert axis_unit("emissions", 1500.0) == ("t CO2e", 1e3)
    assert axis_unit("energy", 0.5) == ("Wh", 1e-3)
    # Small figures scale as the cards do (issue 19: ticks read 0.00015 Wh beside 0.15 mWh).
    assert axis_unit("energy", 1.5e-7) == ("µWh", 1e-9)
    assert axis_unit("energy", 1.5e-6) == ("mWh", 1e-6)
    assert axis_unit("emissions", 5e-7) == ("µg CO2e", 1e-9)
    assert axis_unit("emissions", 5e-6) == ("mg CO2e", 1e-6)
    for value in (3e-11, 2e-8, 4.5e-6, 0.2, 7.0, 3e4):
        name, size = axis_unit("energy", value)
        assert format_energy(value).endswith(f" {name}")
        assert format_energy(value) == f"{significant(value / size)} {name}"


def test_ticks_sit_at_their_values_in_a_small_unit() -> None:
    frame = Frame(250e-3)  # the plot's top is 250 Wh
    parts = "".join(y_axis(frame, [0, 125, 250], 1e-3, "Wh"))
    rows = [float(y) for y in re.findall(r'y1="([\d.]+)"', parts)]
    assert rows == [frame.bottom, (frame.top + frame.bottom) / 2, frame.top]
    assert [t for t in re.findall(r">([\d.]+)</text>", parts)] == ["0", "125", "250"]


def test_a_mark_sits_on_its_tick() -> None:
    # 200 Wh drawn on an axis read in Wh: the mark's row is the 200 tick's row.
    svg = line_chart("c", "c", "energy", ["a", "b"], [Line("x", (0.2, 0.1), (1, 1))])
    tick_rows = dict(
        (label, float(y))
        for y, label in re.findall(
            r'<text x="[\d.]+" y="([\d.]+)" text-anchor="end">([\d.]+)<', svg
        )
    )
    (mark_row,) = re.findall(
        r'<circle cx="[\d.]+" cy="([\d.]+)"[^>]*class="mark"><title>x, a:', svg
    )
    assert float(mark_row) == pytest.approx(tick_rows["200"] - 4, abs=0.2)  # label is 4 px lower


@pytest.mark.parametrize("high", [1e-16, 1e-17, 3e-300, 5e-324, 0.3, 7.3, 123456.0, 1.7e308])
def test_nice_ticks_end_for_any_size_and_climb_to_the_top(high: float) -> None:
    ticks = nice_ticks(high)  # a step rounded to 0 looped for ever (1e-16 kWh imported)
    assert ticks[0] == 0 and ticks[-1] >= high and len(ticks) <= 7
    assert all(a < b for a, b in itertools.pairwise(ticks))
