"""The verdict as flat ``NAME=value`` pairs, for CI variables (GitLab dotenv, Azure outputs)."""

from __future__ import annotations

import math
from decimal import Decimal

from greengate.verdict import Verdict


def plain_number(x: float) -> str:
    """Six significant digits, never in exponent form, so ``bc`` or ``awk`` can read it."""
    if not math.isfinite(x):
        return ""
    return format(Decimal(f"{x:.6g}"), "f")


def verdict_variables(v: Verdict) -> dict[str, str]:
    """Status, mode, figures and rule under ``GREENGATE_*`` names; absent figures left out."""
    values = {"GREENGATE_STATUS": v.status.value, "GREENGATE_MODE": v.mode.value}
    if v.measurement is not None:
        values["GREENGATE_ENERGY_KWH"] = plain_number(v.measurement.energy_kwh)
        values["GREENGATE_EMISSIONS_KG"] = plain_number(v.measurement.emissions_kg)
    ratio = v.usage_ratio
    if ratio is not None and math.isfinite(ratio):
        values["GREENGATE_USAGE_RATIO"] = plain_number(ratio)
    if v.rule is not None:
        values["GREENGATE_RULE"] = " ".join(v.rule.label.splitlines()).strip()
    return values
