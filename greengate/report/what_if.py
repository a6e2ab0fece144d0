"""The grid what-if: this selection's energy on other grids, as ``greengate where`` ranks them.

Calls the planner (greengate.plan.where.rank over greengate.intensity.grid_table's grids:
codecarbon's countries and regions, GCP, and AWS and Azure from Cloud Carbon Footprint),
which reads files, never the network.
"""

from __future__ import annotations

from greengate.intensity.grid_table import grid_options
from greengate.plan.where import rank
from greengate.report.model import Totals, WhatIf

CLEANEST = 8
DIRTIEST = 2  # for contrast: the same energy on the most carbon-intensive grids


def what_if(totals: Totals) -> WhatIf | None:
    """The cleanest and the dirtiest grids for the selection's energy; None without energy."""
    if not totals.energy_kwh > 0:
        return None
    ranked = rank(totals.energy_kwh, grid_options())
    chosen = (
        ranked if len(ranked) <= CLEANEST + DIRTIEST else ranked[:CLEANEST] + ranked[-DIRTIEST:]
    )
    return WhatIf(totals.energy_kwh, totals.emissions_kg, tuple(chosen), len(ranked))
