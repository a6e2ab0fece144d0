"""A grid's generation mix, fossil / nuclear / renewable, from the data codecarbon ships.

ESRS E1-5 splits energy consumption by source; for grid electricity that is the grid's
mix. codecarbon's ``global_energy_mix.json`` gives it per country (Our World in Data / Ember,
TWh per source and year); greengate has no mix for a sub-national zone (``USA/california``)
or a fixed intensity, and says so rather than borrowing the country's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from greengate.intensity.offline import country_mix

SOURCE = "codecarbon bundled data (global_energy_mix.json: Our World in Data / Ember)"


@dataclass(frozen=True)
class Mix:
    """Shares of a grid's generation; they add up to 1."""

    fossil: float
    nuclear: float
    renewable: float
    year: int | None
    source: str


@functools.cache
def grid_mix(zone: str | None) -> Mix | None:
    """The mix of a country zone (ISO 3166-1 alpha-3), or None where it is not known."""
    if zone is None or not re.fullmatch(r"[A-Z]{3}", zone):
        return None
    entry = country_mix(zone)
    if entry is None:
        return None
    try:
        parts = [float(entry[k]) for k in ("fossil_TWh", "nuclear_TWh", "renewables_TWh")]
    except (KeyError, TypeError, ValueError):
        return None
    total = sum(parts)
    if total <= 0 or min(parts) < 0:
        return None
    year = entry.get("year")
    fossil, nuclear, renewable = (p / total for p in parts)
    return Mix(fossil, nuclear, renewable, year if isinstance(year, int) else None, SOURCE)
