"""Run a command and account its whole process tree exactly.

greengate becomes the child subreaper, so every descendant that outlives its parent is
reparented here; ``wait4`` then returns each reaped process's rusage, which already includes
the descendants it reaped itself. Summing those is exact for everything that exits, however
short-lived. Descendants still alive when the command ends (daemons) are not waited for: what
they had used by then is read once from /proc and added.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from types import FrameType

from greengate.measurement import TreeUsage
from greengate.process.sampler import LiveTree, Sampler, live_tree
from greengate.process.subreaper import set_child_subreaper

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class Supervised:
    """How the command ended and what its tree used."""

    exit_code: int  # 128+N when killed by signal N; 127 not found; 126 not executable
    signal: int | None  # the signal that killed the command
    received_signal: int | None  # a signal greengate itself received and forwarded
    started_at: datetime
    ended_at: datetime
    usage: TreeUsage
    start_error: str | None = None  # why the command could not be started


@dataclass(frozen=True)
class TreeSample:
    """The tree while it runs, handed to ``supervise``'s ``on_sample`` from the sampler thread."""

    elapsed_seconds: float
    cpu_seconds: float  # so far: reaped (exact) plus live processes' own
    rss_bytes: int  # resident memory of the live processes now
    pids: tuple[int, ...]  # the live descendants now


@dataclass
class _Totals:
    """Running sums of the rusage of every reaped descendant."""

    user: float = 0.0
    system: float = 0.0
    reaped: int = 0
    max_child_rss: int = 0

    def add(self, ru: resource.struct_rusage) -> None:
        self.user += ru.ru_utime
        self.system += ru.ru_stime
        # ru_maxrss is in KiB on Linux and bytes on macOS.
        scale = 1 if sys.platform == "darwin" else 1024
        self.max_child_rss = max(self.max_child_rss, ru.ru_maxrss * scale)
        self.reaped += 1


class _SignalForwarder:
    """Forwards SIGINT/SIGTERM/SIGHUP to the command and remembers the first one received."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.received: int | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> _SignalForwarder:
        for sig in FORWARDED_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum
        if self.pid is not None and not _terminal_already_delivered(signum):
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)


def _terminal_already_delivered(signum: int) -> bool:
    """True for a Ctrl-C typed at our terminal: the kernel sent it to the command too.

    Forwarding it again would make the command see two interrupts (Python programs would
    abort their own clean-up). CI runners signal greengate alone, so there we forward.
    """
    if signum != signal.SIGINT:
        return False
    for fd in (0, 2):
        try:
            if os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp():
                return True
        except OSError:
            continue
    return False


def supervise(
    argv: Sequence[str],
    *,
    on_sample: Callable[[TreeSample], None] | None = None,
    sample_interval: float = 1.0,
) -> Supervised:
    """Run ``argv`` (no shell, stdio inherited) and measure its tree.

    ``on_sample`` is called from a background thread with each sample while the command runs.
    """
    totals = _Totals()
    subreaper = set_child_subreaper(True)
    try:
        with _SignalForwarder() as forwarder:
            start = time.monotonic()
            started_at = datetime.now(timezone.utc)
            try:
                child = subprocess.Popen(list(argv))
            except (FileNotFoundError, PermissionError, OSError) as e:
                return _not_started(e, started_at, forwarder.received)
            forwarder.pid = child.pid
            if forwarder.received is not None:  # arrived before the pid was known
                os.kill(child.pid, forwarder.received)

            def sample(elapsed: float, tree: LiveTree) -> None:
                if on_sample is not None:
                    on_sample(
                        TreeSample(
                            elapsed,
                            totals.user + totals.system + tree.cpu_seconds,
                            tree.rss_bytes,
                            tuple(tree.processes),
                        )
                    )

            sampler = Sampler(start, sample, max_interval=sample_interval)
            sampler.start()
            status = _wait_for(child.pid, totals)
            end = time.monotonic()
            ended_at = datetime.now(timezone.utc)
            sampler.stop()
            child.returncode = 0  # reaped by wait4 above; stop Popen from waiting on it
            lingering = _account_lingering(totals)
            received = forwarder.received
    finally:
        if subreaper:
            set_child_subreaper(False)

    memory = sampler.memory
    memory.add(end, 0)
    wall = end - start
    if memory.samples >= 2 and wall > 0:
        mean_rss = memory.byte_seconds / wall
    else:
        # Too short to sample: the largest process's peak stands in for the mean.
        mean_rss = float(max(totals.max_child_rss, lingering.rss_bytes))
    usage = TreeUsage(
        wall_seconds=wall,
        user_seconds=totals.user + lingering.user_seconds,
        system_seconds=totals.system + lingering.system_seconds,
        processes=totals.reaped + len(lingering.processes),
        lingering=len(lingering.processes),
        peak_rss_bytes=max(memory.peak_bytes, totals.max_child_rss),
        mean_rss_bytes=mean_rss,
    )
    code, killed_by = _decode(status)
    return Supervised(code, killed_by, received, started_at, ended_at, usage)


def _wait_for(pid: int, totals: _Totals) -> int:
    """Reap every descendant until the command itself exits; return its wait status."""
    while True:
        try:
            reaped, status, ru = os.wait4(-1, 0)
        except ChildProcessError:  # pragma: no cover - the command is our child until reaped
            return 0
        totals.add(ru)
        if reaped == pid:
            return status


def _reap_exited(totals: _Totals) -> tuple[set[int], bool]:
    """Reap every descendant that has already exited, without blocking.

    Returns the reaped pids and whether any child is still alive.
    """
    pids: set[int] = set()
    while True:
        try:
            pid, _status, ru = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return pids, False
        if pid == 0:
            return pids, True
        totals.add(ru)
        pids.add(pid)


def _account_lingering(totals: _Totals) -> LiveTree:
    """CPU used by descendants still alive after the command exited (not waited for)."""
    _, alive = _reap_exited(totals)
    if not alive:
        # As the subreaper, every live descendant is a child of ours or below one: none left.
        return LiveTree({})
    tree = live_tree()
    # A process may exit between the read and now: its wait4 figure is exact, keep that one.
    reaped, _ = _reap_exited(totals)
    for pid in reaped:
        tree.processes.pop(pid, None)
    return tree


def _decode(status: int) -> tuple[int, int | None]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.waitstatus_to_exitcode(status), None


def _not_started(error: OSError, started_at: datetime, received: int | None) -> Supervised:
    code = 127 if isinstance(error, FileNotFoundError) else 126
    reason = "command not found" if code == 127 else f"command cannot be executed: {error.strerror}"
    usage = TreeUsage(0.0, 0.0, 0.0, 0, 0, 0, 0.0)
    now = datetime.now(timezone.utc)
    return Supervised(code, None, received, started_at, now, usage, start_error=reason)
