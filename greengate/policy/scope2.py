"""The policy's ``scope2:`` section: contractual instruments and residual mixes, each sourced.

Market-based Scope 2 (GHG Protocol Scope 2 Guidance, 2015) counts the energy an
instrument covers at the instrument's factor, and the rest at the grid's residual mix, or
at the location-based figure where no residual mix is known. The schema bounds each key;
here: a supplier needs its factor, the coverages of one grid add up to at most 1, and a grid
has one residual mix. Data given to ``scope2_settings`` has passed every check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from greengate.policy.document import Path
from greengate.policy.problems import Problem
from greengate.units import UnitError, parse_intensity

_ZERO = re.compile(r"^\s*\+?0*(\.0*)?\s*")


class InstrumentKind(str, Enum):
    """The contractual instruments the GHG Protocol's market-based method recognises."""

    SUPPLIER = "supplier"  # a supplier-specific emission factor
    PPA = "ppa"  # a power purchase agreement
    CERTIFICATE = "certificate"  # energy attribute certificates (GOs, RECs, I-RECs)


@dataclass(frozen=True)
class Instrument:
    """One instrument: the share of a grid's energy it covers, at its own factor."""

    kind: InstrumentKind
    g_per_kwh: float
    coverage: float  # (0, 1]
    source: str
    zone: str | None = None  # None: every grid

    def covers(self, zone: str | None) -> bool:
        """Whether the instrument applies to runs on ``zone``."""
        return self.zone is None or self.zone == zone


@dataclass(frozen=True)
class ResidualMix:
    """A grid's residual-mix factor and the publication it comes from."""

    zone: str
    g_per_kwh: float
    source: str


@dataclass(frozen=True)
class Scope2:
    """What the market-based method may use; empty: market-based equals location-based."""

    instruments: tuple[Instrument, ...] = ()
    residual_mixes: tuple[ResidualMix, ...] = ()

    def residual(self, zone: str | None) -> ResidualMix | None:
        """The residual mix declared for ``zone``, if any."""
        return next((r for r in self.residual_mixes if r.zone == zone), None)


def parse_factor(value: object) -> float:
    """An emission factor like an intensity, where 0 g/kWh (a renewable instrument) is allowed."""
    try:
        return parse_intensity(value)
    except UnitError:
        zero = isinstance(value, (int, float)) and not isinstance(value, bool) and value == 0
        if isinstance(value, str) and _ZERO.match(value):
            rest = _ZERO.sub("", value, count=1)
            try:
                zero = not rest or parse_intensity(f"1 {rest}") > 0
            except UnitError:
                zero = False
        if zero:
            return 0.0
        raise


def _items(data: dict[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    section = data.get("scope2")
    items = section.get(key) if isinstance(section, dict) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            yield index, item


def scope2_quantities(
    data: dict[str, Any],
) -> Iterator[tuple[Path, object, Callable[[object], float]]]:
    """The instruments' and residual mixes' factors with their parser."""
    for key in ("instruments", "residual_mix"):
        for index, item in _items(data, key):
            if "intensity" in item:
                yield ("scope2", key, index, "intensity"), item["intensity"], parse_factor


def scope2_problems(data: dict[str, Any]) -> Iterator[Problem]:
    """What the schema cannot say about ``scope2``; tolerant of shapes it refuses."""
    covered: dict[str | None, list[tuple[int, float]]] = {}
    for index, item in _items(data, "instruments"):
        if item.get("kind") == "supplier" and "intensity" not in item:
            yield Problem(
                ("scope2", "instruments", index),
                "a supplier instrument needs its emission factor: intensity",
            )
        coverage, zone = item.get("coverage", 1), item.get("zone")
        if isinstance(coverage, (int, float)) and not isinstance(coverage, bool):
            key = zone if isinstance(zone, str) else None
            covered.setdefault(key, []).append((index, float(coverage)))
    shared = covered.get(None, [])
    for zone, own in covered.items():
        shares = own + (shared if zone is not None else [])
        total = sum(c for _, c in shares)
        if total > 1 + 1e-9:
            where = f"grid {zone}" if zone else "every grid"
            yield Problem(
                ("scope2", "instruments", max(i for i, _ in shares), "coverage"),
                f"the instruments covering {where} add up to {total:g} of its energy; "
                "together they may cover at most all of it (1)",
            )
    seen: set[str] = set()
    for index, item in _items(data, "residual_mix"):
        zone = item.get("zone")
        if isinstance(zone, str) and zone in seen:
            yield Problem(
                ("scope2", "residual_mix", index, "zone"),
                f"grid {zone} already has a residual mix; keep one",
            )
        if isinstance(zone, str):
            seen.add(zone)


def scope2_settings(data: dict[str, Any], quantities: dict[Path, float]) -> Scope2:
    """Scope2 from validated data; empty for an absent section."""
    instruments = tuple(
        Instrument(
            kind=InstrumentKind(item["kind"]),
            g_per_kwh=quantities.get(("scope2", "instruments", index, "intensity"), 0.0),
            coverage=float(item.get("coverage", 1)),
            source=str(item["source"]),
            zone=item.get("zone"),
        )
        for index, item in _items(data, "instruments")
    )
    residuals = tuple(
        ResidualMix(
            zone=str(item["zone"]),
            g_per_kwh=quantities[("scope2", "residual_mix", index, "intensity")],
            source=str(item["source"]),
        )
        for index, item in _items(data, "residual_mix")
    )
    return Scope2(instruments, residuals)
