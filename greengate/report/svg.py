"""SVG building blocks for the report's charts: scales, axes, markers, a colour-blind-safe palette.

Inline SVG written here rather than a chart library: the file must open offline from a CI
artifact with no script at all, print, and stay small; a dozen chart shapes do not need one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from greengate.files.markup import markup_text
from greengate.units import (
    emissions_unit,
    energy_unit,
    format_emissions,
    format_energy,
    significant,
)

# Okabe & Ito's palette (distinguishable with the common colour-vision deficiencies), with
# yellow left out (too pale on white) and a grey for "others". Every series also gets its
# own marker shape and dash pattern, so colour is never the only cue.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#666666")
DASHES = ("", "7 3", "2 2", "9 3 2 3", "4 4", "1 3", "12 4")
SHAPES = ("circle", "square", "triangle", "diamond", "cross", "down", "plus")
ALERT = "#D55E00"  # over a limit or a band
INK = "#222222"
GRID = "#d9d9d9"

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 46


def esc(text: str) -> str:
    """Text as safe SVG/HTML content or attribute value (ledger strings are hostile)."""
    return markup_text(text)


def amount(kind: str, value: float) -> str:
    """An exact figure in the project's units: emissions in kg, energy in kWh."""
    return format_emissions(value) if kind == "emissions" else format_energy(value)


def axis_unit(kind: str, high: float) -> tuple[str, float]:
    """The unit an axis reads in (one for all its ticks) and its size in kg or kWh.

    The unit the formatter gives the axis's top figure, so ticks read in the units of the
    cards and tables beside them (issue 19: ticks in 0.00015 Wh beside cards in mWh).
    """
    return emissions_unit(high) if kind == "emissions" else energy_unit(high)


def nice_ticks(high: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``high``."""
    if not high > 0 or not math.isfinite(high):
        return [0.0, 1.0]
    raw = high / count
    if not raw > 0:  # below the smallest float: one tick at the top is all there is
        return [0.0, high]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    # Each tick from its index, rounded to 12 significant digits (not 12 decimals, which
    # turn a step of 1e-17 into 0 and the loop that added it into one without end).
    last = max(1, math.ceil(high / step * (1 - 1e-9)))
    ticks = [float(f"{i * step:.12g}") for i in range(last + 1)]
    if not math.isfinite(ticks[-1]):  # a step past the largest float: end at ``high``
        ticks[-1] = high
    return ticks


def tick_text(value: float) -> str:
    """A tick label: the project's number formatter, never an exponent."""
    return significant(value, 4)


@dataclass(frozen=True)
class Frame:
    """The plotting area of a chart and its y scale."""

    top_value: float  # the y value at the top of the plot
    left: float = LEFT
    right: float = WIDTH - RIGHT
    top: float = TOP
    bottom: float = HEIGHT - BOTTOM

    def y(self, value: float) -> float:
        """Pixel row of a y value."""
        share = value / self.top_value if self.top_value > 0 else 0.0
        return self.bottom - share * (self.bottom - self.top)

    def x(self, index: float, count: int) -> float:
        """Pixel column of the ``index``-th of ``count`` evenly spaced slots."""
        width = self.right - self.left
        return self.left + width * (index + 0.5) / max(count, 1)


def y_axis(frame: Frame, ticks: Sequence[float], size: float, unit: str) -> list[str]:
    """Grid lines, tick labels and the unit for the y axis; ``ticks`` are in ``unit``."""
    parts = []
    for t in ticks:
        y = frame.y(t * size)
        parts.append(
            f'<line x1="{frame.left}" x2="{frame.right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1" class="tick"/>'
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{tick_text(t)}</text>"
        )
    parts.append(
        f'<text x="14" y="{(frame.top + frame.bottom) / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {(frame.top + frame.bottom) / 2:.1f})">{esc(unit)}</text>'
    )
    return parts


def x_labels(frame: Frame, labels: Sequence[str], most: int = 8) -> list[str]:
    """At most ``most`` evenly spread labels under the plot."""
    count = len(labels)
    if not count:
        return []
    every = max(1, math.ceil(count / most))
    return [
        f'<text x="{frame.x(i, count):.1f}" y="{frame.bottom + 16}" text-anchor="middle">'
        f"{esc(labels[i])}</text>"
        for i in range(0, count, every)
    ]


def marker(
    shape: str, x: float, y: float, colour: str, title: str, *, hollow: bool = False, r: float = 4
) -> str:
    """One data mark (class ``mark``) with its exact figures as a hover title."""
    return _shape(shape, x, y, colour, hollow, f' class="mark"><title>{esc(title)}</title>', r)


def _shape(
    shape: str, x: float, y: float, colour: str, hollow: bool, inside: str, r: float = 4
) -> str:
    paint = f'fill="{"#ffffff" if hollow else colour}" stroke="{colour}" stroke-width="1.5"'
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" {paint}{inside}</circle>'
    if shape == "square":
        return (
            f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r}" height="{2 * r}" '
            f"{paint}{inside}</rect>"
        )
    points = {
        "triangle": ((0, -r - 1), (r + 1, r), (-r - 1, r)),
        "down": ((0, r + 1), (r + 1, -r), (-r - 1, -r)),
        "diamond": ((0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)),
        "cross": ((-r, -r), (r, r), (0, 0), (r, -r), (-r, r), (0, 0)),
        "plus": ((0, -r - 1), (0, r + 1), (0, 0), (-r - 1, 0), (r + 1, 0), (0, 0)),
    }[shape]
    path = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in points)
    if shape in ("cross", "plus"):
        paint = f'fill="none" stroke="{colour}" stroke-width="2.5"'
    return f'<polygon points="{path}" {paint}{inside}</polygon>'


def svg_open(chart_id: str, title: str, description: str, height: int = HEIGHT) -> str:
    """The start of a chart's SVG, labelled for screen readers by its title and description."""
    return (
        f'<svg viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{esc(title)}</title><desc id="{chart_id}-d">'
        f"{esc(description)}</desc>"
    )


def legend(entries: Sequence[tuple[str, int]]) -> str:
    """An HTML legend: each series' name beside its colour, marker and dash."""
    return key_list([(name, PALETTE[i], SHAPES[i], DASHES[i], False) for name, i in entries])


def key_list(entries: Sequence[tuple[str, str, str, str | None, bool]]) -> str:
    """A legend of (name, colour, marker shape, dash or None for no line, hollow)."""
    items = []
    for name, colour, shape, dash, hollow in entries:
        line = (
            f'<line x1="1" x2="33" y1="6" y2="6" stroke="{colour}" stroke-width="2" '
            f'stroke-dasharray="{dash}"/>'
            if dash is not None
            else ""
        )
        swatch = (
            '<svg viewBox="0 0 34 12" width="34" height="12" aria-hidden="true">'
            f"{line}{_shape(shape, 17, 6, colour, hollow, '>')}</svg>"
        )
        items.append(f"<li>{swatch} {esc(name)}</li>")
    return f'<ul class="legend">{"".join(items)}</ul>'
