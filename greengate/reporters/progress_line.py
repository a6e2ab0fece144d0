"""One status line while the command runs, on a terminal only, on a row of its own.

The command writes to the same terminal at any time. A line redrawn in place with ``\\r``
glued onto the command's output (``greengate: 50 ms, 0 Wh so farstep 1``), so the line lives
on the terminal's bottom row instead, outside a scrolling region that holds everything else,
as apt draws its progress bar: the command's output scrolls above it and never reaches it.
Each redraw is one ``write(2)`` of a few hundred bytes, which the tty layer does not
interleave with another process's write.
"""

from __future__ import annotations

import atexit
import os
import time
from collections.abc import Callable, Mapping
from typing import TextIO

from greengate.gate.progress import Progress
from greengate.units import format_duration, format_energy, significant

_SAVE, _RESTORE = "\x1b7", "\x1b8"  # DECSC / DECRC: the cursor, wherever the command left it
_CLEAR_LINE = "\x1b[2K"


def _region(rows: int) -> str:
    # DECSTBM homes the cursor, hence the save and restore around it.
    return f"{_SAVE}\x1b[1;{rows - 1}r{_RESTORE}"


def _bottom(rows: int) -> str:
    return f"\x1b[{rows};1H{_CLEAR_LINE}"


def _terminal_size(stream: TextIO) -> tuple[int, int]:
    """(rows, columns) of the terminal behind ``stream``; (0, 0) when it cannot be asked."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return 0, 0
    return size.lines, size.columns


class ProgressLine:
    """A ``ProgressSink`` that shows ``greengate: 12.3 s, 4.56 CPU-s, 0.12 Wh so far``.

    Silent when the stream is not a terminal (CI logs keep no cursor movement well), on a
    ``TERM=dumb`` terminal, and on one too small to give the line a row of its own.
    """

    def __init__(
        self,
        stream: TextIO,
        *,
        interval_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        size: Callable[[TextIO], tuple[int, int]] = _terminal_size,
        env: Mapping[str, str] = os.environ,
    ) -> None:
        self.stream = stream
        self.interval_s = interval_s
        self.clock = clock
        self.size = size
        self.enabled = _is_terminal(stream) and env.get("TERM", "") not in ("", "dumb")
        self._rows = 0  # the terminal's height when the bottom row was reserved; 0: not yet
        self._last: float | None = None

    def update(self, progress: Progress) -> None:
        """Show the snapshot, unless one was shown less than ``interval_s`` ago."""
        if not self.enabled:
            return
        now = self.clock()
        if self._last is not None and now - self._last < self.interval_s:
            return
        self._last = now
        rows, columns = self.size(self.stream)
        if rows < 3 or columns < 20:
            self.close()  # no room for a row of its own: show nothing rather than overwrite
            return
        text = ""
        if rows != self._rows:
            # First time: index down and back up (IND, RI) makes room when the cursor is on
            # the bottom row (the screen scrolls one line) and keeps its column, so a line
            # the command left unfinished goes on where it was. After a resize: the old row
            # is cleared and the region set for the new height.
            if not self._rows:
                text = "\x1bD\x1bM"
                atexit.register(self.close)  # never leave the user a shrunken terminal
            else:
                text = f"{_SAVE}{_bottom(self._rows)}{_RESTORE}"
            text += _region(rows)
            self._rows = rows
        line = format_progress(progress)[: columns - 1]
        self._write(f"{text}{_SAVE}{_bottom(rows)}{line}{_RESTORE}")

    def close(self) -> None:
        """Give the bottom row back: the whole screen scrolls again, the line is cleared."""
        if self._rows:
            rows, self._rows = self._rows, 0
            self._write(f"{_SAVE}\x1b[r{_RESTORE}{_SAVE}{_bottom(rows)}{_RESTORE}")

    def _write(self, text: str) -> None:
        try:
            self.stream.flush()  # whatever greengate wrote before goes first
            try:
                fd = self.stream.fileno()
            except (OSError, ValueError, AttributeError):
                self.stream.write(text)  # a stream with no descriptor (tests)
                self.stream.flush()
                return
            data = text.encode("utf-8", "replace")
            while data:  # one write(2) in practice: a few hundred bytes
                data = data[os.write(fd, data) :]
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
