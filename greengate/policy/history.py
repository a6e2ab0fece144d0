"""The policy's history keys (ledger, ledger_failure, windows, regression) into the model.

Kept apart from loader.py so the single-run budgets and the history rules read separately;
the loader calls ``history_quantities`` with the other quantities and ``history_fields``
when it builds the Policy. Data here has passed the JSON Schema already.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from greengate.policy.document import Path
from greengate.policy.model import LedgerFailure, Mode, Period, Regression, Window
from greengate.policy.problems import shown
from greengate.policy.window_text import parse_compact_window
from greengate.units import UnitError, parse_emissions, parse_energy

_ROLLING = re.compile(r"^\s*(\d+)\s+days?\s*$", re.ASCII)
MAX_TOLERANCE = 10.0  # 1000 %: the schema's bound; beyond it the regression check means nothing
_PERCENT = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*%\s*", re.ASCII)


def history_quantities(
    data: dict[str, Any],
) -> Iterator[tuple[Path, object, Callable[[object], float]]]:
    """The windows' limits with their parsers, tolerant of shapes the schema refuses."""
    windows = data.get("windows")
    for index, window in enumerate(windows if isinstance(windows, list) else []):
        if isinstance(window, dict):
            if "max_emissions" in window:
                yield ("windows", index, "max_emissions"), window["max_emissions"], parse_emissions
            if "max_energy" in window:
                yield ("windows", index, "max_energy"), window["max_energy"], parse_energy
    regression = data.get("regression")
    if isinstance(regression, dict) and "tolerance" in regression:
        yield ("regression", "tolerance"), regression["tolerance"], parse_tolerance


def parse_tolerance(value: object) -> float:
    """A tolerance (``10 %`` or the fraction 0.1) as a fraction; UnitError beyond 1000 %."""
    expected = (
        f"expected a tolerance from 0 % to {MAX_TOLERANCE * 100:g} %, as '10 %' or a "
        f"fraction from 0 to {MAX_TOLERANCE:g} such as 0.1"
    )
    match = _PERCENT.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        fraction = float(match[1]) / 100
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        fraction = float(value)
    else:
        raise UnitError(f"{expected}, got {shown(value)}")
    # float() of 400 digits is inf, not an error: unbounded, an "infinite" tolerance would
    # silently switch the regression gate off (issue 10).
    if not (math.isfinite(fraction) and 0 <= fraction <= MAX_TOLERANCE):
        raise UnitError(f"{expected}, got {shown(value)}")
    return fraction


def _globs(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _period(text: str) -> tuple[Period, int | None]:
    rolling = _ROLLING.match(text)
    if rolling:
        return Period.ROLLING, int(rolling.group(1))
    return Period(text.strip()), None


def _window(index: int, raw: str | dict[str, Any], quantities: dict[Path, float]) -> Window:
    if isinstance(raw, str):
        compact = parse_compact_window(raw)
        return Window(
            branches=(compact.branch,),
            period=compact.period,
            days=compact.days,
            max_emissions_kg=compact.max_emissions_kg,
            max_energy_kwh=compact.max_energy_kwh,
        )
    period, days = _period(raw["per"])
    warn_at, mode = raw.get("warn_at"), raw.get("mode")
    return Window(
        branches=_globs(raw["branch"]),
        period=period,
        days=days,
        max_emissions_kg=quantities.get(("windows", index, "max_emissions")),
        max_energy_kwh=quantities.get(("windows", index, "max_energy")),
        warn_at=None if warn_at is None else float(warn_at),
        mode=None if mode is None else Mode(mode),
        name=raw.get("name"),
    )


def _regression(raw: dict[str, Any], quantities: dict[Path, float]) -> Regression:
    base = Regression()
    tolerance = quantities.get(("regression", "tolerance"), raw.get("tolerance", base.tolerance))
    mode = raw.get("mode")
    return Regression(
        base_branch=raw.get("base_branch"),
        jobs=_globs(raw.get("job")),
        runs=int(raw.get("runs", base.runs)),
        min_runs=int(raw.get("min_runs", base.min_runs)),
        tolerance=float(tolerance),
        noise=float(raw.get("noise", base.noise)),
        mode=None if mode is None else Mode(mode),
    )


def history_fields(data: dict[str, Any], quantities: dict[Path, float]) -> dict[str, Any]:
    """The Policy's history fields from validated data."""
    regression = data.get("regression")
    return {
        "ledger": data.get("ledger"),
        "ledger_failure": LedgerFailure(data.get("ledger_failure", LedgerFailure.WARN.value)),
        "windows": tuple(_window(i, w, quantities) for i, w in enumerate(data.get("windows", []))),
        "regression": None if regression is None else _regression(regression, quantities),
    }
