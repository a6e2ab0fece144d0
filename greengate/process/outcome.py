"""How the wrapped command ended: what the supervisor returns and the verdict carries.

It lives in the process layer, which makes it and must not import the verdict; the verdict
re-exports it, so its readers find all its types in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


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

    @property
    def duration_seconds(self) -> float:
        return (self.ended_at - self.started_at).total_seconds()
