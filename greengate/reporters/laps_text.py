"""A job's laps (greengate start/lap/stop) in words: the summary's step table and chart, the
console's lines. Only formats: the laps' statuses were decided by the judge."""

from __future__ import annotations

import re
from collections.abc import Callable

from greengate.laps import JobLap, LapVerdict
from greengate.reporters import figures
from greengate.units import format_duration, format_emissions, format_energy, significant
from greengate.verdict import Verdict

_BAR = 10
# What a Mermaid label may hold: a lap name is a CI step's name, which a pull request controls.
_UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9 ._:/+-]")


def _share(lap: LapVerdict, total: float) -> float:
    return lap.energy_kwh / total if total > 0 else 0.0


def _status(lap: LapVerdict) -> str:
    rule = f" ({lap.rule})" if lap.rule else ""
    return f"{lap.status.value}{rule}" if lap.rule else "not budgeted"


def laps_markdown(v: Verdict, text: Callable[[str], str]) -> list[str]:
    """The per-step table with a share bar, and a Mermaid bar chart of each step's energy."""
    if not v.laps:
        return []
    total = sum(lap.energy_kwh for lap in v.laps)
    like = max(lap.energy_kwh for lap in v.laps)
    lines = [
        "**Steps**",
        "",
        "| Step | Duration | Energy | Emissions | Share | Step budget |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for lap in v.laps:
        share = _share(lap, total)
        emoji = figures.STATUS_EMOJI[lap.status] + " " if lap.rule else ""
        note = " ⚠️" if lap.note else ""
        lines.append(
            f"| {text(lap.name)}{note} | {format_duration(lap.duration_seconds)} "
            f"| {format_energy(lap.energy_kwh, like=like)} | {format_emissions(lap.emissions_kg)} "
            f"| `{figures.bar(share, _BAR)}` {share:.0%} | {emoji}{text(_status(lap))} |"
        )
    labels = ", ".join(f'"{_label(lap.name, i)}"' for i, lap in enumerate(v.laps, 1))
    # Plain numbers for Mermaid, which reads no exponent: 1.2e-05 would break the chart.
    values = ", ".join(significant(lap.energy_kwh * 1000, 4) for lap in v.laps)
    lines += [
        "",
        "```mermaid",
        "xychart-beta",
        '  title "Energy per step (Wh)"',
        f"  x-axis [{labels}]",
        '  y-axis "Wh"',
        f"  bar [{values}]",
        "```",
        "",
    ]
    return lines


def _label(name: str, index: int) -> str:
    label = _UNSAFE_LABEL.sub("_", name)[:30].strip()
    return label or f"step {index}"


def laps_lines(v: Verdict) -> list[str]:
    """One console line per lap: name, duration, energy, share bar, its step budget."""
    total = sum(lap.energy_kwh for lap in v.laps)
    like = max((lap.energy_kwh for lap in v.laps), default=0.0)
    width = min(max((len(lap.name) for lap in v.laps), default=0), 24)
    out = []
    for lap in v.laps:
        share = _share(lap, total)
        name = lap.name if len(lap.name) <= width else lap.name[: width - 1] + "…"
        out.append(
            f"{name:<{width}}  {format_duration(lap.duration_seconds):>9}  "
            f"{format_energy(lap.energy_kwh, like=like):>10}  {figures.bar(share, _BAR)} "
            f"{share:>4.0%}  {_status(lap)}"
        )
        if lap.note:
            out.append(f"{'':<{width}}  {lap.note}")
    return out


def job_lap_text(lap: JobLap) -> str:
    """Where a run ran inside a started job, e.g. ``lap 3 of the job (after 'build')``."""
    after = f" (after {lap.after!r})" if lap.after else " (the first)"
    return f"lap {lap.index} of the job{after}"
