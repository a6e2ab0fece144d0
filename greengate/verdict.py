"""The verdict: what was measured, which rule applied, and what that means for the gate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING

from greengate.context import RunContext
from greengate.measurement import Measurement
from greengate.policy.model import Budget, Mode
from greengate.process.outcome import CommandOutcome as CommandOutcome  # re-exported
from greengate.units import format_count

if TYPE_CHECKING:  # built only by a job / --policy-from run: their own modules (start-up)
    from greengate.laps import JobLap, LapVerdict
    from greengate.policy.change import PolicyChange

SCHEMA_VERSION = "1.2"
# 1.1 and 1.2 only add keys (1.2: a job's laps, the lap a run ran in, the matrix leg's
# job_key, a rule's steps, whether each limit is enforced, live grid data,
# the bytes of undecodable text); an older file
# reads as before.
READABLE_SCHEMA_VERSIONS = ("1.0", "1.1", "1.2")


class Status(str, Enum):
    """The gate's answer. Ordered from best to worst."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    # greengate could not judge the run: its history could not be checked under
    # ``ledger_failure: fail`` (a measured overrun stays FAIL); never a silent pass
    ERROR = "error"


class Quantity(str, Enum):
    EMISSIONS = "emissions"  # kg CO2e
    ENERGY = "energy"  # kWh


@dataclass(frozen=True)
class LimitCheck:
    """One limit of the matched rule against the measured figure."""

    quantity: Quantity
    measured: float
    limit: float
    warn_at: float  # fraction of the limit
    status: Status  # PASS, WARN or FAIL for this limit alone, before the mode applies
    low: float | None = None  # the measured figure's uncertainty band; None: not known
    high: float | None = None
    enforced: bool = True  # an overrun of this limit fails the gate (its mode is enforce)

    @property
    def straddles(self) -> bool:
        """The band reaches both sides of the limit: the decision rests on the central value."""
        return self.low is not None and self.high is not None and self.low < self.limit < self.high

    @property
    def ratio(self) -> float:
        return self.measured / self.limit if self.limit > 0 else float("inf")

    @property
    def unit(self) -> str:
        return "kg CO2e" if self.quantity is Quantity.EMISSIONS else "kWh"


@dataclass(frozen=True)
class WindowResult:
    """One limit of a cumulative window, charged with this run."""

    label: str
    branch: str
    since: datetime
    quantity: str  # "emissions" (kg CO2e) or "energy" (kWh), as Quantity
    spent: float  # before this run
    this_run: float
    limit: float
    status: Status  # for this limit alone, before the mode
    enforced: bool = True  # an overrun fails the gate (the window's mode is enforce)

    @property
    def remaining(self) -> float:
        """What is left of the limit after this run (negative when over)."""
        return self.limit - self.spent - self.this_run


@dataclass(frozen=True)
class RegressionResult:
    """This job's energy against the median of its recent passing runs on the base branch."""

    job: str | None
    base_branch: str
    runs: int  # baseline runs found
    needed: int  # fewest baseline runs that are judged
    measured_kwh: float
    median_kwh: float | None  # None with no baseline runs
    allowed_kwh: float | None  # the largest increase that passes
    status: Status  # before the mode
    enforced: bool = True  # a regression fails the gate (the regression's mode is enforce)

    @property
    def delta(self) -> float | None:
        """Relative change against the median, e.g. 0.12 for +12 %."""
        if not self.median_kwh:
            return None
        return self.measured_kwh / self.median_kwh - 1.0

    @property
    def judged(self) -> bool:
        return self.runs >= self.needed and self.delta is not None

    def describe(self) -> str:
        """In words, e.g. ``+12 % vs main (median of 10 runs)``."""
        if self.delta is None:
            return f"no baseline on {self.base_branch} yet (0 of {self.needed} runs needed)"
        median = f"median of {format_count(self.runs, 'run')}"
        text = f"{self.delta * 100:+.0f} % vs {self.base_branch} ({median})"
        if self.runs < self.needed:
            text += f"; too few baseline runs to judge ({self.needed} needed)"
        return text


@dataclass(frozen=True)
class TrendDay:
    """One day of a job's runs on a branch: a point of the step summary's small trend."""

    day: date
    runs: int
    emissions_kg: float
    energy_kwh: float


@dataclass(frozen=True)
class History:
    """What the ledger added to a verdict: windows, regression, rerun, or why it could not."""

    ledger: str  # where, without credentials
    record_id: int | None = None
    rerun: bool = False
    windows: tuple[WindowResult, ...] = ()
    regression: RegressionResult | None = None
    problem: str | None = None  # the ledger could not be used: the verdict stands without it
    # This job on this branch per day, this run included (docs/report.md); not in the file.
    trend: tuple[TrendDay, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """Everything a report or a pipeline needs to know about one gated run."""

    status: Status
    mode: Mode
    context: RunContext
    policy_path: str | None
    rule: Budget | None
    checks: tuple[LimitCheck, ...]
    reasons: tuple[str, ...]  # in words, most important first
    measurement: Measurement | None  # None when measuring failed (status ERROR)
    command: CommandOutcome | None  # None for ``greengate check``
    tool_version: str
    schema_version: str = SCHEMA_VERSION
    history: History | None = None  # cumulative windows and regression, when a ledger was used
    policy_change: PolicyChange | None = None  # the run's own policy differs from the trusted one
    laps: tuple[LapVerdict, ...] = ()  # a job's laps (greengate stop), oldest first
    job_lap: JobLap | None = None  # greengate run inside a started job: which lap
    # The policy as a file of its repository (Policy.repo_path), for CI annotations; not
    # in the verdict file, which keeps policy_path.
    policy_file: str | None = None

    @property
    def usage_ratio(self) -> float | None:
        """The highest measured/limit ratio of the matched rule, if it has limits."""
        return max((c.ratio for c in self.checks), default=None)
