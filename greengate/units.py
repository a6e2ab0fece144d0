"""Quantities as people write them in a policy: ``250 g``, ``1.5 kWh``, ``350 g/kWh``.

Parsing is strict on purpose: a budget that silently reads ``5 kgs`` or ``1,5 kg`` as
something else would gate CI on a number nobody wrote. Unit spellings (docs/policy.md):

- mass: ``g``, ``kg``, ``t`` in any letter case, optionally followed by ``CO2e`` or
  ``CO2eq`` with or without a space (``kgCO2e``, ``kg CO2e``);
- energy: ``Wh`` and ``kWh`` in any letter case; ``MWh`` (or ``MWH``) and ``mWh`` only
  so, because the case of that M is all that tells megawatt- from milliwatt-hours;
- intensity: a mass unit over an energy unit (``g/kWh``, ``kg/kWh``, ``kg/MWh``).
"""

from __future__ import annotations

import math
import re

# A number then an optional unit. Thousands separators and decimal commas are not numbers.
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>\S.*?)?",
)

_MASS_TO_KG = {"g": 1e-3, "kg": 1.0, "t": 1e3}
_ENERGY_TO_KWH = {"wh": 1e-3, "kwh": 1.0}

EMISSIONS_EXPECTED = "a positive amount with a unit: g, kg or t (bare number = kg)"
ENERGY_EXPECTED = "a positive amount with a unit: mWh, Wh, kWh or MWh (bare number = kWh)"
INTENSITY_EXPECTED = (
    "a positive grid intensity such as '350 g/kWh' or '0.35 kg/kWh' (bare number = g/kWh)"
)


class UnitError(ValueError):
    """A quantity could not be read; the message says what was expected instead."""


def _shown(value: object) -> str:
    # Show values the way the user wrote them in YAML, not as Python reprs.
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return repr(value)


def _mass_factor(unit: str) -> float | None:
    """kg per ``unit`` (``kg``, ``g CO2e``...), or None when it is not a mass unit."""
    match = re.fullmatch(r"(?P<base>[a-zA-Z]+?)(?:\s*co2eq?)?", unit, re.IGNORECASE)
    if match is None:
        return None
    return _MASS_TO_KG.get(match["base"].lower())


def _energy_factor(unit: str) -> float | None:
    """kWh per ``unit``, or None when it is not an energy unit (``mwh`` is refused)."""
    if unit in ("MWh", "MWH"):
        return 1e3
    if unit == "mWh":
        return 1e-6
    return _ENERGY_TO_KWH.get(unit.lower())


def _split(value: object, expected: str) -> tuple[float, str | None]:
    """The number and the unit text (None when bare) of a quantity, or UnitError."""
    got = f"expected {expected}, got {_shown(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(got)
    if isinstance(value, str):
        text = value.strip()
        if re.match(r"[+-]?\d+,\d", text):
            raise UnitError(f"{got} (write decimals with a dot, e.g. 1.5)")
        match = _QUANTITY.fullmatch(text)
        if match is None:
            raise UnitError(got)
        number, unit = float(match["number"]), match["unit"]
    else:
        number, unit = float(value), None
    if not math.isfinite(number):
        raise UnitError(f"{got} (not a finite number)")
    if number < 0:
        raise UnitError(got)
    return number, unit


def _positive(amount: float, value: object, expected: str, *, limit: bool) -> float:
    if amount > 0 and math.isfinite(amount):
        return amount
    message = f"expected {expected}, got {_shown(value)}"
    if amount == 0 and limit:
        message += " (a zero limit fails every run; use mode: off to measure without gating)"
    raise UnitError(message)


def parse_emissions(value: object) -> float:
    """Read an emissions limit (``250 g``, ``1.5 kg``, ``0.3 t``, bare number = kg) as kg CO2e."""
    number, unit = _split(value, EMISSIONS_EXPECTED)
    factor = 1.0 if unit is None else _mass_factor(unit)
    if factor is None:
        message = f"expected {EMISSIONS_EXPECTED}, got {_shown(value)}"
        if unit is not None and _energy_factor(unit) is not None:
            message += f" ({unit} measures energy, not emissions)"
        raise UnitError(message)
    return _positive(number * factor, value, EMISSIONS_EXPECTED, limit=True)


def parse_energy(value: object) -> float:
    """Read an energy limit (``900 Wh``, ``3 kWh``, ``5 mWh``, bare number = kWh) as kWh."""
    number, unit = _split(value, ENERGY_EXPECTED)
    factor = 1.0 if unit is None else _energy_factor(unit)
    if factor is None:
        message = f"expected {ENERGY_EXPECTED}, got {_shown(value)}"
        if unit is not None and unit.lower() == "mwh":
            message += " (write MWh for megawatt-hours or mWh for milliwatt-hours)"
        elif unit is not None and _mass_factor(unit) is not None:
            message += f" ({unit} measures emissions, not energy)"
        raise UnitError(message)
    return _positive(number * factor, value, ENERGY_EXPECTED, limit=True)


def parse_intensity(value: object) -> float:
    """Read a grid intensity (``350 g/kWh``, ``0.35 kg/kWh``, bare number = g/kWh) as g/kWh."""
    number, unit = _split(value, INTENSITY_EXPECTED)
    factor: float | None = 1.0
    if unit is not None:
        mass, slash, energy = unit.partition("/")
        mass_kg = _mass_factor(mass.strip()) if slash else None
        energy_kwh = _energy_factor(energy.strip()) if slash else None
        factor = None if mass_kg is None or energy_kwh is None else mass_kg * 1e3 / energy_kwh
    if factor is None:
        raise UnitError(f"expected {INTENSITY_EXPECTED}, got {_shown(value)}")
    return _positive(number * factor, value, INTENSITY_EXPECTED, limit=False)


def _scaled(value: float, units: tuple[tuple[str, float], ...]) -> str:
    """``value`` in the largest unit it reaches at least 1 of (the first unit otherwise)."""
    name, size = units[0]
    for candidate, candidate_size in units:
        if abs(value) >= candidate_size:
            name, size = candidate, candidate_size
    return f"{value / size:.6g} {name}"


def format_emissions(kg: float) -> str:
    """Show an amount in kg CO2e in a readable unit, e.g. ``250 g CO2e``."""
    return _scaled(kg, (("g", 1e-3), ("kg", 1.0), ("t", 1e3))) + " CO2e"


def format_energy(kwh: float) -> str:
    """Show an amount in kWh in a readable unit, e.g. ``900 Wh``."""
    return _scaled(kwh, (("mWh", 1e-6), ("Wh", 1e-3), ("kWh", 1.0), ("MWh", 1e3)))


def format_intensity(g_per_kwh: float) -> str:
    """Show a grid intensity, e.g. ``350 g/kWh``."""
    return f"{g_per_kwh:.6g} g/kWh"
