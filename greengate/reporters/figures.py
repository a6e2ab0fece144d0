"""A verdict's figures in words, shared by the human-facing reporters so the console and a
CI summary say the same thing. Each number goes through the one formatter in greengate.units.
"""

from __future__ import annotations

import math

from greengate.gate.limit_sentence import amount as amount
from greengate.gate.limit_sentence import limit_sentence as sentence
from greengate.gate.limit_sentence import percent as percent
from greengate.measurement import Measurement, TreeUsage
from greengate.units import (
    format_count,
    format_duration,
    format_emissions,
    format_energy,
    format_memory,
    significant,
)
from greengate.verdict import CommandOutcome, LimitCheck, Status, Verdict

#: what each status looks like in Markdown and other places that render emoji
STATUS_EMOJI = {Status.PASS: "✅", Status.WARN: "⚠️", Status.FAIL: "❌", Status.ERROR: "🛑"}


def limit_sentence(v: Verdict, check: LimitCheck) -> str:
    """One limit of the verdict in words (greengate.gate.limit_sentence), with
    ``; mode warn: not enforced`` when the check says an overrun does not fail the gate."""
    label = v.rule.label if v.rule else "?"
    return sentence(check, label, mode=v.mode)


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
    return f"{text} after {format_duration(c.duration_seconds)}"


def usage(u: TreeUsage, *, wall: bool = True, machine: bool = False) -> str:
    """CPU time, processes and memory of the tree, e.g. ``124 CPU-s in 1 min 35 s, ...``;
    ``machine``: a job measured with start/stop, which has the machine's CPU time, no tree."""
    in_wall = f" in {format_duration(u.wall_seconds)}" if wall else ""
    if machine:
        return f"{significant(u.cpu_seconds)} CPU-s of the whole machine{in_wall}"
    lingering = f" ({u.lingering} lingering)" if u.lingering else ""
    # A lower bound (a child its parent reaps between two samples is not seen): said so.
    processes = "at least " + format_count(u.processes, "process", "processes")
    return (
        f"{significant(u.cpu_seconds)} CPU-s{in_wall}, {processes}{lingering}, "
        f"peak {format_memory(u.peak_rss_bytes)}"
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
    like = m.energy_kwh
    return f"{format_energy(low, like=like)} to {format_energy(high, like=like)}"


def emissions_band(m: Measurement) -> str | None:
    """The emissions band in the unit of the central figure, or None without a band."""
    low, high = m.emissions_low_kg, m.emissions_high_kg
    if math.isclose(low, high, rel_tol=1e-9):
        return None
    like = m.emissions_kg
    return f"{format_emissions(low, like=like)} to {format_emissions(high, like=like)}"


def method(m: Measurement) -> str | None:
    """How the figures were obtained: scope, profile and each component's tier."""
    if m.scope is None:
        return None
    tiers = ", ".join(f"{c.component.value} by {_TIER_WORDS[c.tier.value]}" for c in m.components)
    profile = f", profile {m.profile}" if m.profile else ""
    return f"{m.scope.value} scope ({_SCOPE_WORDS[m.scope.value]}){profile}; {tiers}"


# Where the figure is read, what its scope means and how it compares with the other one: the
# same loop read 16.9 mWh under codecarbon's tracker and 1.08 mWh under greengate run
# (issue 19, BENCHMARKS.md), and nothing beside either figure said why.
_SCOPE_WORDS = {
    "process": "the command's share of the machine; a machine-scope tracker such as "
    "codecarbon's default also charges idle power and other work, so it reads more",
    "machine": "the whole machine while it ran, idle power and other work included; "
    "greengate run in process scope charges the command's share, so it reads less",
}


def sci(m: Measurement) -> str | None:
    """Embodied term and SCI, e.g. ``embodied 0.04 g (not in budgets); SCI 0.12 g per test``."""
    parts: list[str] = []
    if m.embodied is not None:
        counted = "counted in budgets" if m.include_embodied else "not counted in budgets"
        parts.append(f"embodied {format_emissions(m.embodied.kg)} ({counted})")
    per_unit, unit = m.sci_per_unit_g, m.functional_unit
    if per_unit is not None and unit is not None:
        name = (
            unit.name[:-1]
            if unit.name.endswith("s") and not unit.name.endswith("ss")
            else unit.name
        )
        parts.append(f"SCI {format_emissions(per_unit / 1000.0)} per {name}")
    elif m.scope is not None:
        parts.append(f"SCI {format_emissions(m.sci_g / 1000.0)} per run")
    return "; ".join(parts) if parts else None


def sparkline(watts: tuple[float, ...]) -> str:
    """The power timeline as block characters, lowest to highest."""
    if not watts:
        return ""
    top = max(watts)
    if top <= 0:
        return _SPARKS[0] * len(watts)
    return "".join(_SPARKS[min(int(w / top * (len(_SPARKS) - 1) + 0.5), 7)] for w in watts)


def containers(m: Measurement) -> str | None:
    """The run's containers in one line: how many, their CPU-seconds, the largest first."""
    work = m.containers
    if work is None or not work.containers:
        return None
    ranked = sorted(work.containers, key=lambda c: -c.cpu_seconds)
    each = ", ".join(
        f"{c.id[:12]} {c.image or '?'} {significant(c.cpu_seconds)} CPU-s"
        + (f" {format_memory(c.peak_memory_bytes)} peak" if c.peak_memory_bytes else "")
        for c in ranked[:3]
    )
    more = f" and {len(ranked) - 3} more" if len(ranked) > 3 else ""
    return (
        f"{format_count(len(ranked), 'container')}, {significant(work.cpu_seconds)} CPU-s "
        f"counted ({work.method}): {each}{more}"
    )
