"""greengate's own stdout and stderr may be closed or broken: that is not greengate's error.

``greengate run -- CMD >&-`` (Python then sets ``sys.stdout`` to None), ``| head -1`` (EPIPE)
or a runner whose log pipe is gone must not turn a finished command into exit 3: the
command's exit code and the verdict file are what matter, and what cannot be printed is
dropped. Text that the stream's encoding cannot carry (an argument with bytes that are not
UTF-8) is printed with those bytes as ``\\xNN`` rather than failing.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Any, TextIO


def printable(text: str, encoding: str) -> str:
    """``text`` as ``encoding`` can carry it: undecodable bytes and other misfits as escapes."""
    raw = text.encode("utf-8", "surrogateescape")  # a lone surrogate is the byte it came from
    shown = raw.decode("utf-8", "backslashreplace")
    return shown.encode(encoding, "backslashreplace").decode(encoding)


class TolerantStream:
    """A text stream whose writes never raise because the other end is closed or gone."""

    def __init__(self, stream: TextIO | None, fd: int) -> None:
        self._stream = stream
        self._fd = fd
        self.broken = stream is None

    def write(self, text: str) -> int:
        """Write ``text``, or drop it if the stream is closed or broken."""
        if self._stream is None or self.broken:
            return len(text)
        try:
            try:
                return self._stream.write(text)
            except UnicodeEncodeError:
                return self._stream.write(printable(text, self._stream.encoding or "utf-8"))
        except (OSError, ValueError):
            self._break()
            return len(text)

    def flush(self) -> None:
        """Flush, or give up quietly on a broken stream."""
        if self._stream is None or self.broken:
            return
        try:
            self._stream.flush()
        except (OSError, ValueError):
            self._break()

    def isatty(self) -> bool:
        """Whether the stream is a terminal (never, once closed or broken)."""
        if self._stream is None or self.broken:
            return False
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _break(self) -> None:
        # The interpreter flushes the real stream once more at exit; a broken pipe there would
        # make it exit 120. /dev/null takes the descriptor's place, so that flush succeeds.
        self.broken = True
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._fd)
            os.close(null)


def tolerate_closed_streams() -> None:
    """Make ``sys.stdout`` and ``sys.stderr`` tolerant of being closed or broken."""
    if not isinstance(sys.stdout, TolerantStream):
        sys.stdout = TolerantStream(sys.stdout, 1)
    if not isinstance(sys.stderr, TolerantStream):
        sys.stderr = TolerantStream(sys.stderr, 2)
