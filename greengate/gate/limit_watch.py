"""Stop at the limit: the check the supervisor asks with each sample while the command runs.

The supervisor already samples the tree (at least once a second); the gate hands it this
small object: the enforced limits of the run (its rule's, and what is left of each enforced
window for its branch) and a function giving the live figure, made the way the verdict will
make it (same counters and model, same PUE, same intensity). When a figure crosses a limit
the check answers the stop signal, and the supervisor stops the tree as on a cancel. The
overshoot is at most what one sampling interval added: the figure at the stop minus the one
before it, both recorded.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from greengate.errors import UsageError
from greengate.policy.model import Budget, Mode, Policy, Window
from greengate.process.cancel import signal_name
from greengate.process.outcome import LimitStop
from greengate.process.supervisor import TreeSample
from greengate.units import SIGNIFICANT_DIGITS, format_emissions, format_energy

#: What the check is told at each sample: energy in kWh (None: not known yet) and emissions
#: in kg CO2e (None: the grid's figure is not known yet).
LiveFigures = tuple[float | None, float | None]

STOP_SIGNALS = {"TERM": signal.SIGTERM, "INT": signal.SIGINT}


@dataclass(frozen=True)
class WatchedLimit:
    """One enforced limit the live figure is held to."""

    quantity: str  # "energy" (kWh) or "emissions" (kg CO2e)
    limit: float  # what this run may use
    warn_at: float  # fraction of ``limit`` at which a warning is given once
    limit_of: str  # whose limit, in words


def amount(quantity: str, value: float, digits: int = SIGNIFICANT_DIGITS) -> str:
    """A figure of ``quantity`` as a person reads it."""
    if quantity == "energy":
        return format_energy(value, digits=digits)
    return format_emissions(value, digits=digits)


def stop_requested(policy: Policy, rule: Budget | None, asked: bool) -> bool:
    """Whether the run stops at its limit: ``--stop-at-limit``, or its rule's stop_at_limit."""
    return asked or (rule is not None and rule.stop_at_limit)


def rule_limits(policy: Policy, rule: Budget | None) -> list[WatchedLimit]:
    """The rule's per-run limits, where it is enforced (warn and off modes stop nothing)."""
    if rule is None or policy.mode_of(rule.mode) is not Mode.ENFORCE:
        return []
    warn_at, of = policy.warn_at_of(rule.warn_at), f"rule {rule.label!r}"
    limits = []
    if rule.max_energy_kwh is not None:
        limits.append(WatchedLimit("energy", rule.max_energy_kwh, warn_at, of))
    if rule.max_emissions_kg is not None:
        limits.append(WatchedLimit("emissions", rule.max_emissions_kg, warn_at, of))
    return limits


def enforced_windows(policy: Policy, windows: Sequence[Window]) -> list[int]:
    """Positions of the windows (those the run charges) whose overrun fails the job."""
    return [i for i, w in enumerate(windows) if policy.mode_of(w.mode) is Mode.ENFORCE]


def window_limit(
    policy: Policy, window: Window, branch: str, spent_kwh: float, spent_kg: float
) -> list[WatchedLimit]:
    """What is left of an enforced window for this run, given what it had spent before."""
    warn_at = policy.warn_at_of(window.warn_at)
    limits = []
    for quantity, limit, spent in (
        ("energy", window.max_energy_kwh, spent_kwh),
        ("emissions", window.max_emissions_kg, spent_kg),
    ):
        if limit is not None:
            left = max(limit - spent, 0.0)
            of = (
                f"window {window.label!r} on {branch} ({amount(quantity, left)} left of "
                f"{amount(quantity, limit)})"
            )
            limits.append(WatchedLimit(quantity, left, warn_at, of))
    return limits


def require_enforced_limit(policy: Policy, rule: Budget | None, branch: str | None) -> None:
    """``--stop-at-limit`` needs an enforced limit: the rule's, or a window's for the branch;
    raises UsageError (exit 2) before the command runs."""
    from greengate.ledger.windows import matching

    if rule_limits(policy, rule) or enforced_windows(policy, matching(policy.windows, branch)):
        return
    if rule is None:
        why = "no budget rule matches this run"
    elif policy.mode_of(rule.mode) is not Mode.ENFORCE:
        why = f"rule {rule.label!r} is in mode {policy.mode_of(rule.mode).value}"
    else:
        why = "the run has no enforced limit"
    raise UsageError(
        f"--stop-at-limit needs an enforced limit to stop at, and {why}",
        hint="give the matching rule max_energy or max_emissions in mode enforce, or an "
        "enforced window for the branch; warn and off modes never stop a command",
    )


class LimitWatch:
    """The stop check handed to the supervisor: called on the sampler thread per sample."""

    def __init__(
        self,
        limits: Sequence[WatchedLimit],
        figures: Callable[[TreeSample], LiveFigures],
        signum: int,
        warn: Callable[[str], None],
    ) -> None:
        self.limits = tuple(limits)
        self._figures = figures
        self.signum = signum
        self._warn = warn
        self._before = {limit: 0.0 for limit in self.limits}  # the previous figure, per limit
        self._warned: set[WatchedLimit] = set()
        self.stop: LimitStop | None = None  # set when a limit was crossed
        self.problem: str | None = None  # why no live figure could be made, once

    def __call__(self, sample: TreeSample) -> int | None:
        """The stop signal when a limit is crossed at this sample, else None."""
        try:
            energy, emissions = self._figures(sample)
        except Exception as e:  # a live figure's failure must not end the sampler thread
            if self.problem is None:
                self.problem = f"no live figure to stop at: {type(e).__name__}: {e}"
                self._warn(self.problem)
            return None
        for limit in self.limits:
            value = energy if limit.quantity == "energy" else emissions
            if value is None:
                continue
            if value > limit.limit:
                self.stop = LimitStop(
                    limit.quantity,
                    value,
                    limit.limit,
                    self._before[limit],
                    limit.limit_of,
                    self.signum,
                    sample.elapsed_seconds,
                )
                self._warn(stop_sentence(self.stop))
                return self.signum
            if value >= limit.warn_at * limit.limit and limit not in self._warned:
                self._warned.add(limit)
                self._warn(
                    f"{limit.quantity} {amount(limit.quantity, value)} so far is "
                    f"{value / limit.limit:.0%} of {amount(limit.quantity, limit.limit)} "
                    f"({limit.limit_of}); the command is stopped when it crosses it"
                )
            self._before[limit] = value
        return None


def stop_sentence(stop: LimitStop) -> str:
    """The stop in words, for the live line and the verdict's first reason."""
    name = signal_name(stop.signal)
    # Four digits: a figure a hair past its limit must not read as equal to it.
    measured, limit = amount(stop.quantity, stop.measured, 4), amount(stop.quantity, stop.limit, 4)
    return (
        f"stopped at its limit after {stop.elapsed_seconds:.1f} s: {stop.quantity} "
        f"{measured} crossed {limit} "
        f"({stop.limit_of}); {name} sent to the command's tree (overshoot "
        f"{amount(stop.quantity, stop.overshoot)}, at most one sample's "
        f"{amount(stop.quantity, stop.measured - stop.before)})"
    )
