"""A job's recent days as a Mermaid ``xychart-beta`` block, which GitHub draws in Markdown.

Syntax as documented for Mermaid's XY chart: ``title "..."``, ``x-axis [a, b]``,
``y-axis "title" MIN --> MAX``, ``bar [1, 2]``. Names come from the run (hostile): only
plain characters reach the chart, so nothing can close the quotes or the code fence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from greengate.units import format_count, format_emissions, significant
from greengate.verdict import TrendDay

MIN_DAYS = 2  # one day is not a trend
_PLAIN = re.compile(r"[^A-Za-z0-9 ._/:+-]")


def plain(text: str, most: int = 40) -> str:
    """``text`` with anything but plain characters replaced by ``?``, at most ``most`` long."""
    cleaned = _PLAIN.sub("?", text.replace("\n", " "))
    return cleaned if len(cleaned) <= most else cleaned[: most - 1] + "~"


def _unit(high: float) -> tuple[str, float]:
    for name, size in (("t CO2e", 1e3), ("kg CO2e", 1.0)):
        if high >= size:
            return name, size
    return "g CO2e", 1e-3


def _number(value: float) -> str:
    """A plain decimal: Mermaid reads no exponent, and greengate.units writes none."""
    return significant(value)


def trend_lines(days: Sequence[TrendDay], job: str | None, branch: str | None) -> list[str]:
    """The Mermaid block and a sentence for readers without it; nothing below MIN_DAYS."""
    if len(days) < MIN_DAYS:
        return []
    high = max(d.emissions_kg for d in days)
    unit, size = _unit(high)
    values = ", ".join(_number(d.emissions_kg / size) for d in days)
    labels = ", ".join(f'"{d.day:%m-%d}"' for d in days)
    who = f"{plain(job or 'this job')} on {plain(branch or '?')}"
    last = days[-1]
    return [
        f"Emissions per day of {who}, the last {len(days)} days with runs "
        f"(latest {last.day:%Y-%m-%d}: {format_emissions(last.emissions_kg)} "
        f"in {format_count(last.runs, 'run')}):",
        "",
        "```mermaid",
        "xychart-beta",
        f'    title "Emissions per day: {who}"',
        f"    x-axis [{labels}]",
        f'    y-axis "{unit}" 0 --> {_number(high / size * 1.1) if high > 0 else "1"}',
        f"    bar [{values}]",
        "```",
        "",
    ]
