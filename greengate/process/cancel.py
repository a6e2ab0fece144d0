"""greengate's own cancel signals (SIGINT, SIGTERM, SIGHUP), handled for its whole life.

CI runners cancel a step by signalling its entry process, then killing it: GitHub's runner
and the Azure Pipelines agent send SIGINT, SIGTERM 7.5 s later and SIGKILL 2.5 s after that
(ProcessInvoker.cs, ``_sigintTimeout``/``_sigtermTimeout``); GitLab's runner sends SIGTERM
to the job's process group and SIGKILL when its graceful timeout runs out
(helpers/process/killer.go). What a signal means depends on where greengate is:

- before the command starts there is nothing to lose: greengate stops (exit 128+N);
- while it runs, the first signal is held until the supervisor has written the interrupted
  verdict (milliseconds), then forwarded once to the command's whole tree, as every later one
  is at once; the tree is SIGKILLed when the grace period ends;
- after it ended, the step in progress (a ledger that never answers, a report) is
  abandoned by raising ``Interrupted`` once, and the post-command guard writes the verdict.
"""

from __future__ import annotations

import signal
import time
from enum import Enum
from types import FrameType
from typing import Any

from greengate.process.tree import CommandTree

CANCEL_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

# From the first cancel signal to SIGKILL of the tree. GitHub and Azure SIGKILL greengate
# 10 s after their SIGINT: 9 s lets the command act on the runner's own SIGTERM (at 7.5 s,
# forwarded) for 1.5 s, and leaves greengate 1 s to write the final verdict before it dies.
DEFAULT_GRACE_SECONDS = 9.0
_KEPT_SIGNALS = 16  # a flood of signals must not grow memory


class Interrupted(SystemExit):
    """greengate was cancelled by signal ``signum``; unhandled, it exits with 128+N."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


class Phase(Enum):
    """Where greengate is, which decides what a cancel signal does."""

    BEFORE = "before"  # the command has not started
    RUNNING = "running"  # the command's tree is alive
    AFTER = "after"  # the command ended; verdict, ledger and reports are being made
    CLOSING = "closing"  # the last verdict is being written: record, never interrupt


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15; a number for a signal Python does not know."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class CancelWatch:
    """Installs greengate's handlers for the cancel signals; remembers what it received."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.first_at: float | None = None  # time.monotonic() of the first signal
        self.phase = Phase.BEFORE
        self._tree: CommandTree | None = None
        self._previous: dict[int, Any] = {}
        self.hold_first = False  # keep the first signal from the tree until release()
        self._held: int | None = None

    @property
    def first(self) -> int | None:
        """The first cancel signal received, if any."""
        return self.received[0] if self.received else None

    def __enter__(self) -> CancelWatch:
        for sig in CANCEL_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    def starting(self) -> None:
        """The command is being started: from here a signal is kept for it, not acted on."""
        self.phase = Phase.RUNNING

    def attach(self, tree: CommandTree) -> None:
        """The command runs: forward signals to its tree, including any that came first."""
        self.phase = Phase.RUNNING
        self._tree = tree
        for i, sig in enumerate(self.received):
            if i == 0 and self.hold_first:
                self._held = sig
            else:
                tree.send(sig)

    def release(self) -> None:
        """The interrupted verdict is out: forward the first signal, held until now."""
        held, self._held = self._held, None
        if held is not None and self._tree is not None:
            self._tree.send(held)

    def command_ended(self) -> None:
        """The tree is gone: a signal from now on abandons the step in progress."""
        self._tree = None
        self._held = None
        if self.phase is not Phase.CLOSING:
            self.phase = Phase.AFTER

    def closing(self) -> None:
        """The last verdict is being written: signals are recorded, nothing is interrupted."""
        self.phase = Phase.CLOSING

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if len(self.received) < _KEPT_SIGNALS:
            self.received.append(signum)
        if self.first_at is None:
            self.first_at = time.monotonic()
        if self._tree is not None:
            if self.hold_first and len(self.received) == 1:
                self._held = signum  # the verdict first: the supervisor writes, then releases
            else:
                self._tree.send(signum)
        elif self.phase in (Phase.BEFORE, Phase.AFTER):
            self.phase = Phase.CLOSING  # once: the guard's own writing is not interrupted
            raise Interrupted(signum)
