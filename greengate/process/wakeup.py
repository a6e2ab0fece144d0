"""Sleep until a child exits, a signal arrives, or a deadline passes: the self-pipe trick.

A blocking ``wait4`` cannot also wait for a deadline (the grace period) and cannot be left
when a signal arrives without losing a status it was about to return. Instead the main
thread sleeps in ``select`` on a pipe that Python's C-level signal handler writes to
(``signal.set_wakeup_fd``) for SIGCHLD and every other handled signal, then reaps with
WNOHANG. A signal arriving between the reap and the sleep has already written its byte,
so no wake-up is ever missed.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
from types import FrameType
from typing import Any


def _child_exited(signum: int, frame: FrameType | None) -> None:
    """SIGCHLD needs a handler for the wake-up byte to be written; the reaping is done after."""


class Wakeup:
    """The wake-up pipe, installed for SIGCHLD and every signal with a Python handler."""

    def __init__(self) -> None:
        self._read = -1
        self._write = -1
        self._previous_fd = -1
        self._previous_chld: Any = None

    def __enter__(self) -> Wakeup:
        self._read, self._write = os.pipe()
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._previous_chld = signal.signal(signal.SIGCHLD, _child_exited)
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGCHLD, self._previous_chld)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._read)
        os.close(self._write)

    def poke(self) -> None:
        """Wake the waiting thread from another thread (the sampler stopping the tree)."""
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._write, b"\0")

    def wait(self, timeout: float | None) -> None:
        """Return when a signal arrived since the last call, or after ``timeout`` seconds."""
        select.select([self._read], [], [], timeout)
        with contextlib.suppress(BlockingIOError):
            while os.read(self._read, 512):
                pass
