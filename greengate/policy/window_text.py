"""A window written as one line, ``"main: 50 kg per month"``: branch glob, limit, period.

The same Window as the mapping form, read with the same units (greengate.units) and periods;
a mistake is a Problem at the entry, like every other policy error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from greengate.policy.document import Path
from greengate.policy.model import Period
from greengate.policy.problems import Problem
from greengate.units import UnitError, parse_emissions, parse_energy

# Branch names cannot hold a colon (git check-ref-format), so the first one ends the glob.
# The schema's "$defs/window" pattern is the same shape: keep the two in step.
COMPACT = re.compile(
    r"^\s*(?P<branch>[^:]*[^:\s])\s*:\s*(?P<limit>\S.*?)\s+per\s+(?P<period>\S.*?)\s*$"
)
_PERIOD = re.compile(r"^(day|week|month|quarter|(?P<days>[1-9][0-9]{0,3})\s+days?)$")
# Which parser reads the limit, by its unit; each then words its own mistakes.
_ENERGY_UNIT = re.compile(r"wh$", re.IGNORECASE)
_MASS_UNIT = re.compile(r"(g|t)(\s*co2eq?)?$", re.IGNORECASE)
_KEYS = frozenset({"name", "branch", "per", "max_emissions", "max_energy", "warn_at", "mode"})
EXAMPLE = "'main: 50 kg per month' or 'release/*: 20 kWh per 7 days'"


@dataclass(frozen=True)
class CompactWindow:
    """What one compact window says; exactly one of the limits is set."""

    branch: str
    period: Period
    days: int | None
    max_emissions_kg: float | None
    max_energy_kwh: float | None


def parse_compact_window(text: str) -> CompactWindow:
    """Read ``BRANCH: LIMIT per PERIOD``; UnitError says what was expected instead."""
    match = COMPACT.match(text)
    if match is None:
        raise UnitError(f"expected a window such as {EXAMPLE}, got {text!r}")
    limit, period_text = match["limit"], match["period"]
    period = _PERIOD.match(period_text)
    if period is None:
        raise UnitError(
            f"expected a period: day, week, month, quarter or 'N days', got {period_text!r} "
            f"in {text!r}"
        )
    days = int(period["days"]) if period["days"] else None
    kind = Period.ROLLING if days is not None else Period(period_text)
    try:
        if _ENERGY_UNIT.search(limit):
            return CompactWindow(match["branch"], kind, days, None, parse_energy(limit))
        if _MASS_UNIT.search(limit):
            return CompactWindow(match["branch"], kind, days, parse_emissions(limit), None)
    except UnitError as e:
        raise UnitError(f"{e} in {text!r}") from None
    # A bare number has no kind here, unlike max_emissions (kg) and max_energy (kWh).
    raise UnitError(
        f"expected a limit with its unit, emissions (g, kg, t) or energy (Wh, kWh, MWh), "
        f"got {limit!r} in {text!r}"
    )


def compact_window_problems(data: dict[str, Any]) -> tuple[list[Problem], set[Path]]:
    """Problems of compact windows, and the entries whose schema problems they replace."""
    windows = data.get("windows")
    problems: list[Problem] = []
    replaced: set[Path] = set()
    for index, window in enumerate(windows if isinstance(windows, list) else []):
        path: Path = ("windows", index)
        if isinstance(window, str) and COMPACT.match(window):
            try:
                parse_compact_window(window)
            except UnitError as e:
                problems.append(Problem(path, str(e)))
        elif unquoted := _unquoted(window):
            # YAML reads `- main: 50 kg per month` as a mapping: "unknown key 'main'" hides why.
            problems.append(
                Problem(
                    path,
                    f'quote a one-line window, e.g. - "{unquoted}"; unquoted, YAML '
                    "reads it as a mapping",
                )
            )
            replaced.add(path)
    return problems, replaced


def _unquoted(window: object) -> str | None:
    """The text of ``- main: 50 kg per month`` written without quotes, else None."""
    if not isinstance(window, dict) or len(window) != 1:
        return None
    ((key, value),) = window.items()
    if key in _KEYS or not isinstance(value, str):
        return None
    text = f"{key}: {value}"
    return text if COMPACT.match(text) else None


def dropped(problems: list[Problem], replaced: set[Path]) -> Iterator[Problem]:
    """``problems`` without those inside the entries in ``replaced``."""
    return (p for p in problems if p.path[:2] not in replaced)
