"""Waiting for the command's tree: reaping every descendant, and the signals' deadlines.

The main thread sleeps on the wake-up pipe (``wakeup``) and reaps with WNOHANG whatever has
exited, adding its rusage up. Once the tree was signalled, by a cancel or by the stop
check at a limit, it waits until the whole tree is gone, and SIGKILLs what is left when
the grace period ends.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from greengate.process.cancel import CancelWatch
from greengate.process.tree import CommandTree
from greengate.process.wakeup import Wakeup


@dataclass
class Totals:
    """Running sums of the rusage of every reaped descendant."""

    user: float = 0.0
    system: float = 0.0
    max_child_rss: int = 0
    # Every pid greengate reaped or saw alive in a sample: the tree's process count. A child
    # its own parent reaps (sh's children) is never ours to reap, so counting reaps alone
    # said "1 process" for sh -c with four children (issue 19). One that starts and ends
    # between two samples under such a parent is still missed: the count is a lower bound.
    pids: set[int] = field(default_factory=set)

    def add(self, pid: int, ru: resource.struct_rusage) -> None:
        self.user += ru.ru_utime
        self.system += ru.ru_stime
        # ru_maxrss is in KiB on Linux and bytes on macOS.
        scale = 1 if sys.platform == "darwin" else 1024
        self.max_child_rss = max(self.max_child_rss, ru.ru_maxrss * scale)
        self.pids.add(pid)


class Stopping:
    """The stop check's request, made on the sampler thread, read by the waiting one."""

    def __init__(self) -> None:
        self.at: float | None = None  # time.monotonic() when the stop signal was sent
        self.signum: int | None = None

    def request(self, signum: int, tree: CommandTree, wakeup: Wakeup) -> None:
        self.signum, self.at = signum, time.monotonic()
        tree.send(signum, from_us=True)
        wakeup.poke()  # the waiter now counts the grace period from here


class Waiter:
    """Reaps the tree until the command exits (or, once cancelled, until the tree is gone)."""

    def __init__(
        self,
        pid: int,
        totals: Totals,
        watch: CancelWatch,
        tree: CommandTree,
        wakeup: Wakeup,
        grace_seconds: float,
        stopping: Stopping,
    ) -> None:
        self._pid, self._totals, self._watch, self._tree = pid, totals, watch, tree
        self._wakeup, self._grace, self._stopping = wakeup, grace_seconds, stopping
        self.killed = False  # the grace period ran out and the tree was SIGKILLed
        self.stopped_by: int | None = None  # the stop signal, sent before the command ended

    def wait(self, on_cancel: Callable[[int], None]) -> int:
        """The command's wait status."""
        status: int | None = None
        notified = False
        while True:
            found, alive = self._reap()
            stop_at = self._stopping.at
            if found is not None and status is None and stop_at is not None:
                self.stopped_by = self._stopping.signum  # stopped while it ran, not after
            status = found if found is not None else status
            first, first_at = self._watch.first, self._watch.first_at
            if status is not None and ((first is None and stop_at is None) or not alive):
                return status
            timeout: float | None = None
            if first is not None and first_at is not None and not notified:
                notified = True
                try:
                    on_cancel(first)  # the interrupted verdict, before anything can kill us
                finally:
                    self._watch.release()  # then the signal reaches the tree
                continue
            cancelled_at = first_at if first is not None else None
            signalled = [t for t in (cancelled_at, stop_at) if t is not None]
            if signalled:
                left = min(signalled) + self._grace - time.monotonic()
                if left <= 0:
                    self.killed = True
                    self._tree.kill()
                    left = 0.05  # and again, for whatever the dying tree still forks
                timeout = left
            self._wakeup.wait(timeout)

    def _reap(self) -> tuple[int | None, bool]:
        """Reap whatever has exited: the command's status if it was among them, and whether
        any descendant is still alive."""
        reaped, alive = reap_exited(self._totals)
        return reaped.get(self._pid), alive


def reap_exited(totals: Totals) -> tuple[dict[int, int], bool]:
    """Reap every descendant that has already exited, without blocking.

    Returns the reaped pids with their wait statuses, and whether any child is still alive.
    """
    reaped: dict[int, int] = {}
    while True:
        try:
            pid, status, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped, False
        if pid == 0:
            return reaped, True
        totals.add(pid, ru)
        reaped[pid] = status
