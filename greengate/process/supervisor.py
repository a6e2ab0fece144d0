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
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from greengate.measurement import TreeUsage
from greengate.process.cancel import DEFAULT_GRACE_SECONDS, CancelWatch
from greengate.process.outcome import CommandOutcome
from greengate.process.sampler import LiveTree, Sampler, live_tree
from greengate.process.subreaper import set_child_subreaper
from greengate.process.tree import CommandTree, in_terminal_foreground
from greengate.process.waiter import Stopping, Totals, Waiter, reap_exited
from greengate.process.wakeup import Wakeup


@dataclass(frozen=True)
class Supervised:
    """How the command ended (the verdict's own outcome) and what its tree used."""

    outcome: CommandOutcome
    usage: TreeUsage
    killed_after_grace: bool = False  # greengate SIGKILLed the tree when the grace period ended
    stop_signal: int | None = None  # the stop check stopped the tree with it before it ended

    @property
    def start_error(self) -> str | None:
        """Why the command could not be started (kept once, in its outcome)."""
        return self.outcome.start_error


@dataclass(frozen=True)
class TreeSample:
    """The tree while it runs, handed to ``supervise``'s ``on_sample`` from the sampler thread."""

    elapsed_seconds: float
    cpu_seconds: float  # so far: reaped (exact) plus live processes' own
    rss_bytes: int  # resident memory of the live processes now
    pids: tuple[int, ...]  # the live descendants now


def supervise(
    argv: Sequence[str],
    *,
    on_sample: Callable[[TreeSample], None] | None = None,
    sample_interval: float = 1.0,
    watch: CancelWatch | None = None,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    on_cancel: Callable[[int, CommandOutcome], None] | None = None,
    stop_check: Callable[[TreeSample], int | None] | None = None,
    env: Mapping[str, str] | None = None,
) -> Supervised:
    """Run ``argv`` (no shell, stdio inherited) and measure its tree.

    ``on_sample`` is called from a background thread with each sample while the command runs.
    ``watch`` is greengate's signal handling (one is installed for this call if none is
    given). On the first cancel signal ``on_cancel(signal, outcome)`` is called at once, with
    the outcome as it stands then (interrupted, ending now); the tree is SIGKILLed
    ``grace_seconds`` after it, and this returns once the whole tree is gone. ``env``: the
    command's whole environment, where it differs from greengate's own.

    ``stop_check`` is asked after ``on_sample`` with each sample; the first signal it
    returns stops the tree as a cancel does (sent once to the whole tree, SIGKILL
    ``grace_seconds`` later, returning once the tree is gone), without greengate itself
    being interrupted.
    """
    if watch is None:
        with CancelWatch() as own:
            return supervise(
                argv,
                on_sample=on_sample,
                sample_interval=sample_interval,
                watch=own,
                grace_seconds=grace_seconds,
                on_cancel=on_cancel,
                stop_check=stop_check,
                env=env,
            )
    command = tuple(argv)
    totals = Totals()
    subreaper = set_child_subreaper(True)
    try:
        with Wakeup() as wakeup:
            watch.starting()
            start = time.monotonic()
            started_at = datetime.now(timezone.utc)
            shared = in_terminal_foreground()
            try:
                child = _spawn(argv, own_group=not shared, env=env)
            except (FileNotFoundError, PermissionError, OSError) as e:
                watch.command_ended()
                return _not_started(command, e, started_at, watch.first)
            tree = CommandTree(child.pid, shared_group=shared)
            watch.hold_first = on_cancel is not None
            watch.attach(tree)

            stopping = Stopping()

            def sample(elapsed: float, live: LiveTree) -> None:
                totals.pids.update(live.processes)
                if on_sample is None and stop_check is None:
                    return
                now = TreeSample(
                    elapsed,
                    totals.user + totals.system + live.cpu_seconds,
                    live.rss_bytes,
                    tuple(live.processes),
                )
                if on_sample is not None:
                    on_sample(now)
                if stop_check is not None and stopping.at is None:
                    signum = stop_check(now)
                    if signum is not None:
                        stopping.request(signum, tree, wakeup)

            sampler = Sampler(start, sample, max_interval=sample_interval)
            with contextlib.suppress(RuntimeError):  # no thread left: measured by wait4 alone
                sampler.start()
            waited = Waiter(child.pid, totals, watch, tree, wakeup, grace_seconds, stopping)

            def cancelled(sig: int) -> None:
                if on_cancel is not None:
                    now = datetime.now(timezone.utc)
                    on_cancel(sig, _outcome(command, 128 + sig, None, sig, started_at, now))

            status = waited.wait(cancelled)
            end = time.monotonic()
            ended_at = datetime.now(timezone.utc)
            sampler.stop()
            child.returncode = 0  # reaped by wait4 above; stop Popen from waiting on it
            lingering = _account_lingering(totals)
            received = watch.first
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
        processes=len(totals.pids | set(lingering.processes)),
        lingering=len(lingering.processes),
        peak_rss_bytes=max(memory.peak_bytes, totals.max_child_rss),
        mean_rss_bytes=mean_rss,
    )
    code, killed_by = _decode(status)
    watch.command_ended()
    outcome = _outcome(command, code, killed_by, received, started_at, ended_at)
    return Supervised(
        outcome, usage, killed_after_grace=waited.killed, stop_signal=waited.stopped_by
    )


def _spawn(
    argv: Sequence[str], *, own_group: bool, env: Mapping[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start the command, in a process group of its own unless it shares the terminal's."""
    if not own_group:
        return subprocess.Popen(list(argv), env=env)
    if sys.version_info >= (3, 11):
        return subprocess.Popen(list(argv), process_group=0, env=env)
    # Python 3.10 has no process_group: setpgid(0, 0) in the child, before exec.
    return subprocess.Popen(list(argv), preexec_fn=os.setpgrp, env=env)  # pragma: no cover


def _account_lingering(totals: Totals) -> LiveTree:
    """CPU used by descendants still alive after the command exited (not waited for)."""
    _, alive = reap_exited(totals)
    if not alive:
        # As the subreaper, every live descendant is a child of ours or below one: none left.
        return LiveTree({})
    tree = live_tree()
    # A process may exit between the read and now: its wait4 figure is exact, keep that one.
    reaped, _ = reap_exited(totals)
    for pid in reaped:
        tree.processes.pop(pid, None)
    return tree


def _decode(status: int) -> tuple[int, int | None]:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.waitstatus_to_exitcode(status), None


def _outcome(
    argv: tuple[str, ...],
    code: int,
    killed_by: int | None,
    received: int | None,
    started_at: datetime,
    ended_at: datetime,
) -> CommandOutcome:
    """The outcome as greengate passes it on: ``code`` (128+N when signal N killed the
    command), or 128+N whatever the command exited with once greengate was cancelled by N."""
    if received is not None:
        code = 128 + received
    return CommandOutcome(argv, code, killed_by, received is not None, started_at, ended_at)


def _not_started(
    argv: tuple[str, ...], error: OSError, started_at: datetime, received: int | None
) -> Supervised:
    code = 127 if isinstance(error, FileNotFoundError) else 126
    reason = "command not found" if code == 127 else f"command cannot be executed: {error.strerror}"
    usage = TreeUsage(0.0, 0.0, 0.0, 0, 0, 0, 0.0)
    now = datetime.now(timezone.utc)
    outcome = replace(_outcome(argv, code, None, received, started_at, now), start_error=reason)
    return Supervised(outcome, usage)
