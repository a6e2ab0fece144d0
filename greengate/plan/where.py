"""``greengate where``: the same energy's emissions on other grids and cloud regions, ranked.

Pure: grid options in, a ranking out (lowest intensity first, then by label).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class GridOption:
    """One grid a job could run on: ``CAN/quebec``, ``aws:us-east-1``, ``FRA``."""

    label: str
    g_per_kwh: float
    source: str
    kind: str  # country | region | cloud


@dataclass(frozen=True)
class Placement:
    """A grid option with the job's emissions on it."""

    option: GridOption
    emissions_kg: float


def rank(energy_kwh: float, options: Iterable[GridOption]) -> list[Placement]:
    """Every option with a figure above 0 and ``energy_kwh``'s emissions there, cleanest first.

    A bundled 0 g/kWh is a gap in the data (CAF lists only its hydro), not the cleanest grid:
    ranked first it led every list and the report's what-if (issue 19). ``unranked`` has them.
    """
    placed = [Placement(o, energy_kwh * o.g_per_kwh / 1000.0) for o in options if o.g_per_kwh > 0]
    return sorted(placed, key=lambda p: (p.option.g_per_kwh, p.option.label))


def unranked(options: Iterable[GridOption]) -> list[GridOption]:
    """The options ``rank`` leaves out: a figure of 0 g/kWh, which says nothing comparable."""
    return sorted((o for o in options if not o.g_per_kwh > 0), key=lambda o: o.label)
