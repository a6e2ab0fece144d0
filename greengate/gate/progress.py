"""Progress of a running command, flowing from the measuring core to whatever shows it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Progress:
    """A snapshot while the command runs."""

    elapsed_seconds: float
    cpu_seconds: float
    energy_kwh: float
    processes: int  # live processes in the tree now


class ProgressSink(Protocol):
    """Receives snapshots; the console renderer implements it, the core never imports rich."""

    def update(self, progress: Progress) -> None: ...

    def close(self) -> None: ...
