"""Figures as a person reads them: units picked by size, about three significant digits.

Shared by the human-facing reporters so the console and a CI summary say the same thing.
"""

from __future__ import annotations

import math

from greengate.measurement import Measurement, TreeUsage
from greengate.verdict import CommandOutcome, LimitCheck, Quantity, Status, Verdict

#: what each status looks like in Markdown and other places that render emoji
STATUS_EMOJI = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "🛑"}


def number(x: float) -> str:
    """About three significant digits, never in exponent notation."""
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    if abs(x) >= 1:
        return f"{x:.2f}"
    # "#" keeps trailing zeros, so 0.1 reads 0.100 like its neighbours' three digits.
    return f"{x:#.3g}" if abs(x) >= 1e-4 else f"{x:.2e}"


def energy_unit(kwh: float) -> tuple[str, float]:
    """The unit that reads best for ``kwh`` and the factor from kWh to it."""
    if kwh >= 1:
        return "kWh", 1.0
    if kwh >= 1e-3 or kwh == 0:
        return "Wh", 1e3
    return "mWh", 1e6


def energy(kwh: float, *, like: float | None = None) -> str:
    """Energy in kWh, Wh or mWh, whichever reads best for ``like`` (default: ``kwh``)."""
    unit, scale = energy_unit(kwh if like is None else like)
    return f"{number(kwh * scale)} {unit}"


def emissions(kg: float) -> str:
    """Emissions in g or kg CO2e."""
    return f"{number(kg)} kg CO2e" if kg >= 1 else f"{number(kg * 1e3)} g CO2e"


def amount(quantity: Quantity, value: float) -> str:
    """A limit's measured or allowed figure in its quantity's unit."""
    return emissions(value) if quantity is Quantity.EMISSIONS else energy(value)


def intensity(g_per_kwh: float) -> str:
    """Grid carbon intensity."""
    return f"{number(g_per_kwh)} g CO2e/kWh"


def duration(seconds: float) -> str:
    """A duration as ``4.2 s``, ``3 min 07 s`` or ``2 h 05 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def memory(n_bytes: float) -> str:
    """A byte count in MiB or GiB."""
    gib = n_bytes / 2**30
    return f"{number(gib)} GiB" if gib >= 1 else f"{number(n_bytes / 2**20)} MiB"


def percent(check: LimitCheck) -> str:
    """How much of the limit was used, e.g. ``88%``."""
    return f"{check.ratio:.0%}" if math.isfinite(check.ratio) else "n/a"


def limit_sentence(v: Verdict, check: LimitCheck) -> str:
    """One limit in words: ``energy 1.2 kWh is over the limit of 1 kWh (120%) of rule 'ci'``,
    with ``; mode warn: not enforced`` when an overrun does not fail the gate."""
    verb = {Status.FAIL: "over", Status.WARN: "near", Status.PASS: "within"}[check.status]
    label = v.rule.label if v.rule else "?"
    text = (
        f"{check.quantity.value} {amount(check.quantity, check.measured)} is {verb} "
        f"the limit of {amount(check.quantity, check.limit)} ({percent(check)}) of rule {label!r}"
    )
    if check.status is Status.FAIL and v.status is not Status.FAIL:
        text += f"; mode {v.mode.value}: not enforced"
    return text


def bar(ratio: float, width: int, full: str = "█", empty: str = "░") -> str:
    """A usage bar of ``width`` cells; full at 100 % and beyond."""
    filled = width if not math.isfinite(ratio) else round(min(max(ratio, 0.0), 1.0) * width)
    return full * filled + empty * (width - filled)


def outcome(c: CommandOutcome) -> str:
    """How the command ended, e.g. ``exit 143 (signal 15), interrupted after 4.2 s``."""
    text = f"exit {c.exit_code}"
    if c.signal is not None:
        text += f" (signal {c.signal})"
    if c.interrupted:
        text += ", interrupted"
    return f"{text} after {duration(c.duration_seconds)}"


def usage(u: TreeUsage, *, wall: bool = True) -> str:
    """CPU time, processes and memory of the tree, e.g. ``124 CPU-s in 1 min 35 s, ...``."""
    in_wall = f" in {duration(u.wall_seconds)}" if wall else ""
    lingering = f" ({u.lingering} lingering)" if u.lingering else ""
    return (
        f"{number(u.cpu_seconds)} CPU-s{in_wall}, {u.processes} processes{lingering}, "
        f"peak {memory(u.peak_rss_bytes)}"
    )


_SPARKS = "▁▂▃▄▅▆▇█"
_TIER_WORDS = {
    "counter": "hardware counter",
    "profile": "runner profile",
    "tdp": "TDP table",
    "default": "codecarbon default",
    "coefficient": "coefficient",
    "imported": "imported",
    "unavailable": "unavailable",
}


def energy_band(m: Measurement) -> str | None:
    """``0.22 to 2.04 mWh``, or None when the measurement carries no band."""
    low, high = m.energy_low_kwh, m.energy_high_kwh
    if math.isclose(low, high, rel_tol=1e-9):
        return None
    return f"{energy(low, like=m.energy_kwh)} to {energy(high, like=m.energy_kwh)}"


def emissions_band(m: Measurement) -> str | None:
    """The emissions band in the unit of the central figure, or None without a band."""
    low, high = m.emissions_low_kg, m.emissions_high_kg
    if math.isclose(low, high, rel_tol=1e-9):
        return None
    return f"{emissions(low)} to {emissions(high)}"


def method(m: Measurement) -> str | None:
    """How the figures were obtained: scope, profile and each component's tier."""
    if m.scope is None:
        return None
    tiers = ", ".join(f"{c.component.value} by {_TIER_WORDS[c.tier.value]}" for c in m.components)
    profile = f", profile {m.profile}" if m.profile else ""
    return f"{m.scope.value} scope{profile}; {tiers}"


def sci(m: Measurement) -> str | None:
    """Embodied term and SCI, e.g. ``embodied 0.04 g (not in budgets); SCI 0.12 g per test``."""
    parts: list[str] = []
    if m.embodied is not None:
        counted = "counted in budgets" if m.include_embodied else "not counted in budgets"
        parts.append(f"embodied {emissions(m.embodied.kg)} ({counted})")
    per_unit, unit = m.sci_per_unit_g, m.functional_unit
    if per_unit is not None and unit is not None:
        name = (
            unit.name[:-1]
            if unit.name.endswith("s") and not unit.name.endswith("ss")
            else unit.name
        )
        parts.append(f"SCI {emissions(per_unit / 1000.0)} per {name}")
    elif m.scope is not None:
        parts.append(f"SCI {emissions(m.sci_g / 1000.0)} per run")
    return "; ".join(parts) if parts else None


def sparkline(watts: tuple[float, ...]) -> str:
    """The power timeline as block characters, lowest to highest."""
    if not watts:
        return ""
    top = max(watts)
    if top <= 0:
        return _SPARKS[0] * len(watts)
    return "".join(_SPARKS[min(int(w / top * (len(_SPARKS) - 1) + 0.5), 7)] for w in watts)
