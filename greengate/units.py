"""Quantities as people write them in a policy: ``250 g``, ``1.5 kWh``, ``350 g/kWh``.

Parsing is strict on purpose: a budget that silently reads ``5 kgs`` or ``1,5 kg`` as
something else would gate CI on a number nobody wrote. Every unit the formatter below prints
is read back (issue 19: ``10 mg`` was refused while greengate printed it). Unit spellings
(docs/policy.md):

- mass: ``g``, ``kg``, ``t`` in any letter case, ``ng``, ``µg`` (or ``ug``) and ``mg`` only
  so (an upper-case M is mega); each optionally followed by ``CO2e`` or ``CO2eq`` with or
  without a space (``kgCO2e``, ``mg CO2e``);
- energy: ``Wh`` and ``kWh`` in any letter case; ``nWh``, ``µWh`` (or ``uWh``), ``mWh``,
  ``MWh`` (or ``MWH``) and ``GWh`` only so, because the case of that M is all that tells
  megawatt- from milliwatt-hours;
- intensity: a mass unit over an energy unit (``g/kWh``, ``kg/kWh``, ``kg/MWh``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

# A number then an optional unit. Thousands separators and decimal commas are not numbers.
# ASCII digits only (re.ASCII): Unicode's \d reads Arabic-Indic or full-width 5 kg as 5 kg.
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*(?P<unit>\S.*?)?",
    re.ASCII,
)

# Any letter case (looked up lower-cased), then the prefixed units only as written. Both
# the micro sign (U+00B5) and the Greek mu (U+03BC) are accepted, and "u" for keyboards.
_MASS_TO_KG = {"g": 1e-3, "kg": 1.0, "t": 1e3}
_MASS_EXACT = {"ng": 1e-12, "\u00b5g": 1e-9, "\u03bcg": 1e-9, "ug": 1e-9, "mg": 1e-6}
_ENERGY_TO_KWH = {"wh": 1e-3, "kwh": 1.0}
_ENERGY_EXACT = {
    "nWh": 1e-12,
    "\u00b5Wh": 1e-9,
    "\u03bcWh": 1e-9,
    "uWh": 1e-9,
    "mWh": 1e-6,
    "MWh": 1e3,
    "MWH": 1e3,
    "GWh": 1e6,
}

EMISSIONS_EXPECTED = "a positive amount with a unit: ng, µg, mg, g, kg or t (bare number = kg)"
ENERGY_EXPECTED = (
    "a positive amount with a unit: nWh, µWh, mWh, Wh, kWh, MWh or GWh (bare number = kWh)"
)
INTENSITY_EXPECTED = (
    "a positive grid intensity such as '350 g/kWh' or '0.35 kg/kWh' (bare number = g/kWh)"
)
# The one range of a grid intensity greengate accepts, in a policy and on the command line
# (issue 19: the policy, --intensity and its hint each had their own). codecarbon's yearly
# figures run from 0 g/kWh (CAF) to about 1310 (TKM); past 2000 is a slip of units.
MAX_GRID_INTENSITY = 2000.0
GRID_INTENSITY_RANGE = f"0 to {MAX_GRID_INTENSITY:g} g CO2e/kWh"


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
    match = re.fullmatch(r"(?P<base>\w+?)(?:\s*co2eq?)?", unit, re.IGNORECASE)
    if match is None:
        return None
    base = match["base"]
    return _MASS_EXACT.get(base, _MASS_TO_KG.get(base.lower()))


def _energy_factor(unit: str) -> float | None:
    """kWh per ``unit``, or None when it is not an energy unit (``mwh`` is refused)."""
    return _ENERGY_EXACT.get(unit, _ENERGY_TO_KWH.get(unit.lower()))


def _split(value: object, expected: str) -> tuple[float, str | None]:
    """The number and the unit text (None when bare) of a quantity, or UnitError."""
    got = f"expected {expected}, got {_shown(value)}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(got)
    if isinstance(value, str):
        text = value.strip()
        if re.match(r"[+-]?\d+,\d", text, re.ASCII):
            raise UnitError(f"{got} (write decimals with a dot, e.g. 1.5)")
        match = _QUANTITY.fullmatch(text)
        if match is None:
            raise UnitError(got)
        number, unit = float(match["number"]), match["unit"]
    else:
        try:
            number, unit = float(value), None
        except OverflowError:  # an int too large for a float: 400 digits (issue 10)
            raise UnitError(f"{got} (not a finite number)") from None
    if not math.isfinite(number):
        raise UnitError(f"{got} (not a finite number)")
    if number < 0:
        raise UnitError(got)
    return number, unit


#: The largest amount any quantity may be, in its base unit (kg, kWh, g/kWh): far above any
#: CI job (the world uses some 3e13 kWh a year), and small enough that a product of two never
#: overflows to an infinity a JSON output cannot carry (issue 20: ``--energy '1e308 kWh'``).
MAX_AMOUNT = 1e15


def _positive(
    amount: float, value: object, expected: str, *, limit: bool, base: str, zero: bool = False
) -> float:
    if amount > MAX_AMOUNT and math.isfinite(amount):
        raise UnitError(f"expected {expected}, got {_shown(value)} (at most 1e15 {base})")
    if (amount > 0 or (zero and amount == 0)) and math.isfinite(amount):
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
    return _positive(number * factor, value, EMISSIONS_EXPECTED, limit=True, base="kg")


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
    return _positive(number * factor, value, ENERGY_EXPECTED, limit=True, base="kWh")


def parse_intensity(value: object, *, zero: bool = False) -> float:
    """Read a grid intensity (``350 g/kWh``, ``0.35 kg/kWh``, bare number = g/kWh) as g/kWh.

    ``zero``: 0 is a figure too (a renewable instrument, a grid with no fossil generation).
    """
    number, unit = _split(value, INTENSITY_EXPECTED)
    factor: float | None = 1.0
    if unit is not None:
        mass, slash, energy = unit.partition("/")
        mass_kg = _mass_factor(mass.strip()) if slash else None
        energy_kwh = _energy_factor(energy.strip()) if slash else None
        factor = None if mass_kg is None or energy_kwh is None else mass_kg * 1e3 / energy_kwh
    if factor is None:
        raise UnitError(f"expected {INTENSITY_EXPECTED}, got {_shown(value)}")
    return _positive(
        number * factor, value, INTENSITY_EXPECTED, limit=False, base="g/kWh", zero=zero
    )


def parse_grid_intensity(value: object) -> float:
    """A grid's intensity as a policy's ``intensity`` or ``--intensity`` gives it, in g/kWh.

    Within GRID_INTENSITY_RANGE, the one range both accept; 0 is a grid's figure too.
    """
    expected = (
        f"expected a grid intensity from {GRID_INTENSITY_RANGE} such as '350 g/kWh' or "
        "'0.35 kg/kWh' (bare number = g/kWh"
    )
    try:
        g_per_kwh = parse_intensity(value, zero=True)
    except UnitError:
        text = value if isinstance(value, str) else ""
        odd = "_" in text or any(c.isdigit() and not c.isascii() for c in text)
        digits = " (write numbers with ASCII digits 0-9)" if odd else ""
        raise UnitError(f"{expected}), got {_shown(value)}{digits}") from None
    if g_per_kwh > MAX_GRID_INTENSITY:
        raise UnitError(
            f"{expected}; codecarbon's yearly figures run from 0 to about 1310), "
            f"got {_shown(value)}"
        )
    return g_per_kwh


# The one formatter for figures people read (issue 11): a unit picked by size, three
# significant digits, never an exponent. Machine outputs (verdict JSON, CSV, step outputs)
# keep exact numbers and do not come through here.
SIGNIFICANT_DIGITS = 3
# A figure someone wrote (a policy's limit, PUE or coefficient) restated to its author: up to
# six digits, so ``greengate validate`` never shows 1.135 as 1.14 and hides what was read.
WRITTEN_DIGITS = 6


@dataclass(frozen=True)
class _Scale:
    """A quantity's units as (name, size in the base unit), smallest first, and zero's unit."""

    units: tuple[tuple[str, float], ...]
    zero: int  # the index of the unit a zero is shown in: "0 g CO2e", not "0 µg CO2e"


_EMISSIONS = _Scale(
    (("ng", 1e-12), ("µg", 1e-9), ("mg", 1e-6), ("g", 1e-3), ("kg", 1.0), ("t", 1e3)), 3
)
_ENERGY = _Scale(
    (
        ("nWh", 1e-12),
        ("µWh", 1e-9),
        ("mWh", 1e-6),
        ("Wh", 1e-3),
        ("kWh", 1.0),
        ("MWh", 1e3),
        ("GWh", 1e6),
    ),
    3,
)
_POWER = _Scale((("mW", 1e-3), ("W", 1.0), ("kW", 1e3)), 1)
_MEMORY = _Scale(tuple((n, 1024.0**i) for i, n in enumerate(("B", "KiB", "MiB", "GiB", "TiB"))), 0)


def significant(x: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """``x`` to ``digits`` significant digits, never an exponent: ``0.0000478``, ``12300``."""
    if not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"  # also -0.0: a sign on nothing reads as a figure below zero
    # The digits from scientific notation, the point placed by hand: "g" would write
    # 4.78e-05, and "f" on a huge float prints binary noise past the digits.
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    figures = mantissa.replace(".", "")
    point = int(exponent) + 1  # digits before the decimal point
    if point <= 0:
        text = "0." + "0" * -point + figures
    elif point >= len(figures):
        text = figures + "0" * (point - len(figures))
    else:
        text = figures[:point] + "." + figures[point:]
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "-" + text if x < 0 else text


def _unit_for(value: float, scale: _Scale, digits: int) -> tuple[str, float]:
    """The largest unit ``value`` reaches at least 1 of (the smallest otherwise)."""
    if value == 0:
        return scale.units[scale.zero]
    # Rounded first, so 999.7 g reads 1 kg, not 1000 g.
    rounded = abs(float(f"{value:.{digits}g}"))
    chosen = scale.units[0]
    for unit in scale.units:
        if rounded >= unit[1]:
            chosen = unit
    return chosen


def _scaled(value: float, scale: _Scale, like: float | None, digits: int) -> str:
    if not math.isfinite(value):
        return "n/a"
    name, size = _unit_for(value, scale, digits)
    if like is not None and math.isfinite(like):
        # Another figure's unit only while it reads with at most one leading zero: a part
        # of a total reads "0.598 mWh" beside it, never "0.0000638 mWh" (issue 19).
        like_name, like_size = _unit_for(like, scale, digits)
        if value == 0 or abs(value) / like_size >= 0.1:
            name, size = like_name, like_size
    return f"{significant(value / size, digits)} {name}"


def emissions_unit(kg: float) -> tuple[str, float]:
    """The unit ``format_emissions`` shows ``kg`` in, and its size in kg: ``("mg CO2e", 1e-6)``.

    For a chart's axis, so its ticks read in the units of the figures beside it.
    """
    name, size = _unit_for(kg, _EMISSIONS, SIGNIFICANT_DIGITS)
    return f"{name} CO2e", size


def energy_unit(kwh: float) -> tuple[str, float]:
    """The unit ``format_energy`` shows ``kwh`` in, and its size in kWh: ``("mWh", 1e-6)``."""
    return _unit_for(kwh, _ENERGY, SIGNIFICANT_DIGITS)


def format_emissions(
    kg: float, *, like: float | None = None, digits: int = SIGNIFICANT_DIGITS
) -> str:
    """Emissions given in kg CO2e, e.g. ``48 µg CO2e``, ``250 g CO2e``, ``1.5 t CO2e``.

    ``like``: show it in the unit that figure would get (a band in its centre's unit),
    unless that would take more than one leading zero.
    """
    return _scaled(kg, _EMISSIONS, like, digits) + " CO2e"


def format_energy(
    kwh: float, *, like: float | None = None, digits: int = SIGNIFICANT_DIGITS
) -> str:
    """Energy given in kWh, e.g. ``0.85 mWh``, ``900 Wh``, ``2 MWh``.

    ``like``: show it in the unit that figure would get (components in their total's unit),
    unless that would take more than one leading zero.
    """
    return _scaled(kwh, _ENERGY, like, digits)


def format_power(watts: float) -> str:
    """Power given in W, e.g. ``850 mW``, ``46.5 W``, ``1.2 kW``."""
    return _scaled(watts, _POWER, None, SIGNIFICANT_DIGITS)


def format_intensity(g_per_kwh: float, *, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A grid intensity given in g CO2e/kWh, e.g. ``56 g CO2e/kWh``."""
    return f"{significant(g_per_kwh, digits)} g CO2e/kWh"


def format_memory(n_bytes: float) -> str:
    """A byte count in binary units, e.g. ``1.2 GiB``, ``350 MiB``."""
    return _scaled(n_bytes, _MEMORY, None, SIGNIFICANT_DIGITS)


def format_duration(seconds: float) -> str:
    """A duration: ``42 ms``, ``4.2 s``, ``3 min 07 s`` or ``2 h 05 min``."""
    if not math.isfinite(seconds):
        return "n/a"
    if abs(seconds) < 1 and seconds != 0:
        milliseconds = float(significant(seconds * 1000))
        if abs(milliseconds) < 1000:
            return f"{significant(milliseconds)} ms"
    if abs(float(significant(seconds))) < 60:
        return f"{significant(seconds)} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def format_count(count: int, noun: str, plural: str | None = None) -> str:
    """A count with its noun in the right number: ``1 process``, ``2 processes``, ``0 runs``."""
    word = noun if count == 1 else (plural if plural is not None else noun + "s")
    return f"{count} {word}"
