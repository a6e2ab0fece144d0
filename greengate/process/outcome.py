"""How the wrapped command ended: what the supervisor returns and the verdict carries.

It lives in the process layer, which makes it and must not import the verdict; the verdict
re-exports it, so its readers find all its types in one place.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LimitStop:
    """greengate stopped the command while it ran: its live figure crossed an enforced limit."""

    quantity: str  # "energy" (kWh) or "emissions" (kg CO2e)
    measured: float  # the live figure at the sample that crossed the limit
    limit: float  # what the run was allowed: the rule's limit, or what was left of a window
    before: float  # the figure one sample earlier, below the limit: overshoot <= measured-before
    limit_of: str  # whose limit, in words: "rule 'train'", "window 'main per month' on main"
    signal: int  # the stop signal sent to the tree (SIGKILL after the grace period)
    elapsed_seconds: float  # when, from the command's start

    @property
    def overshoot(self) -> float:
        """How far past the limit the figure was when the stop was sent."""
        return max(self.measured - self.limit, 0.0)


@dataclass(frozen=True)
class CommandOutcome:
    """How the wrapped command ended."""

    argv: tuple[str, ...]
    exit_code: int  # as greengate passes it on: the command's code, 128+N for signal N, 126/127
    signal: int | None  # the signal that killed the command, if one did
    interrupted: bool  # greengate itself received SIGINT/SIGTERM and forwarded it
    started_at: datetime
    ended_at: datetime
    # Why it never ran ("command not found"), as a shell would say it; not kept in the verdict
    # file, whose notes say it (a verdict read back has None).
    start_error: str | None = None
    stop: LimitStop | None = None  # greengate stopped it at a limit (stop_at_limit)
    # The command as its author wrote it, when argv only wraps it (the GitHub Action runs
    # its `command` input as `bash ... -c SCRIPT`): what reports show instead of argv.
    shown: str | None = None

    @property
    def stopped_at_limit(self) -> bool:
        return self.stop is not None

    @property
    def text(self) -> str:
        """The command as reports show it: as written, else argv quoted as a shell would."""
        return self.shown if self.shown is not None else shlex.join(self.argv)

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()
