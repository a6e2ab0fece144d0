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
    """Every option with ``energy_kwh``'s emissions there, cleanest first."""
    placed = [Placement(o, energy_kwh * o.g_per_kwh / 1000.0) for o in options]
    return sorted(placed, key=lambda p: (p.option.g_per_kwh, p.option.label))
