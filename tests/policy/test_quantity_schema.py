"""The policy schema's quantity patterns (what an editor underlines) read as the loader does."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from greengate.policy.schema import policy_schema
from greengate.units import (
    UnitError,
    format_emissions,
    format_energy,
    format_intensity,
    parse_emissions,
    parse_energy,
    parse_grid_intensity,
)

PRINTED = [
    *(format_emissions(10.0**e) for e in range(-14, 5)),
    *(format_energy(10.0**e) for e in range(-14, 8)),
    *(format_intensity(g) for g in (0.0, 56.0, 1306.0)),
]
WRITTEN = [
    "10 mg",
    "10 Mg",
    "5 ug",
    "5 kgs",
    "3 kW",
    "1 mwh",
    "1 MWH",
    "2 GWh",
    "2 gwh",
    "350 g/kWh",
    "0.35 kg/kWh",
    "350 mg/Wh",
    "5 lbs",
    "63.8 nWh",
    "1 NWh",
]
PARSERS: dict[str, Callable[[object], float]] = {
    "emissions": parse_emissions,
    "energy": parse_energy,
    "intensity": parse_grid_intensity,
}


def reads(parse: Callable[[object], float], text: str) -> bool:
    try:
        parse(text)
    except UnitError:
        return False
    return True


@pytest.mark.parametrize("kind", sorted(PARSERS))
@pytest.mark.parametrize("text", [*PRINTED, *WRITTEN])
def test_the_schema_pattern_takes_what_the_loader_reads(kind: str, text: str) -> None:
    pattern = policy_schema()["$defs"][kind]["pattern"]
    assert bool(re.search(pattern, text)) == reads(PARSERS[kind], text)
