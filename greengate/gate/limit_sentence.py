"""One limit check in words, the same in the verdict's reasons and in every reporter.

``emissions 1.62 g CO2e is over the limit of 1 g CO2e (162%) of rule 'unit-tests'``
"""

from __future__ import annotations

import math

from greengate.policy.model import Mode
from greengate.units import format_emissions, format_energy
from greengate.verdict import LimitCheck, Quantity, Status

_VERB = {Status.FAIL: "over", Status.WARN: "near", Status.PASS: "within"}


def amount(quantity: Quantity, value: float) -> str:
    """A limit's measured or allowed figure in its quantity's unit."""
    return format_emissions(value) if quantity is Quantity.EMISSIONS else format_energy(value)


def percent(check: LimitCheck) -> str:
    """How much of the limit was used, e.g. ``88%``."""
    return f"{check.ratio:.0%}" if math.isfinite(check.ratio) else "n/a"


def limit_sentence(check: LimitCheck, rule_label: str, *, mode: Mode | None = None) -> str:
    """The check as a sentence; a band across the limit says the centre decided. Given the
    ``mode``, an overrun the check says is not enforced adds ``; mode warn: not enforced``
    (the verdict's reasons say that once, after the limits)."""
    text = (
        f"{check.quantity.value} {amount(check.quantity, check.measured)} is "
        f"{_VERB[check.status]} the limit of {amount(check.quantity, check.limit)} "
        f"({percent(check)}) of rule {rule_label!r}"
    )
    if check.straddles and check.low is not None and check.high is not None:
        text += (
            f"; its uncertainty band {amount(check.quantity, check.low)} to "
            f"{amount(check.quantity, check.high)} straddles the limit, so the gate decided on "
            "the central figure"
        )
    if mode is not None and check.status is Status.FAIL and not check.enforced:
        text += f"; mode {mode.value}: not enforced"
    return text
