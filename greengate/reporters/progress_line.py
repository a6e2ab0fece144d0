"""One self-rewriting status line while the command runs, on a terminal only."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

from greengate.gate.progress import Progress
from greengate.units import format_duration, format_energy, significant


class ProgressLine:
    """A ``ProgressSink`` that rewrites ``greengate: 12.3 s, 4.56 CPU-s, 0.12 Wh so far``.

    Silent when the stream is not a terminal: CI logs keep no carriage returns well.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self.clock = clock
        self.enabled = _is_terminal(stream)
        self._shown = 0  # length of the line on screen; 0 when none is
        self._last: float | None = None

    def update(self, progress: Progress) -> None:
        """Show the snapshot, unless one was shown less than ``interval_s`` ago."""
        if not self.enabled:
            return
        now = self.clock()
        if self._last is not None and now - self._last < self.interval_s:
            return
        self._last = now
        line = format_progress(progress)
        # Spaces cover what a longer previous line left behind.
        self._write("\r" + line.ljust(self._shown))
        self._shown = len(line)

    def close(self) -> None:
        """Clear the line, leaving the cursor at its start for whatever prints next."""
        if self._shown:
            self._write("\r" + " " * self._shown + "\r")
            self._shown = 0

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            # A closed or broken terminal must not stop the measured command.
            self.enabled = False


def format_progress(p: Progress) -> str:
    """The status line's text for one snapshot."""
    return (
        f"greengate: {format_duration(p.elapsed_seconds)}, {significant(p.cpu_seconds)} CPU-s, "
        f"{format_energy(p.energy_kwh)} so far"
    )


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
