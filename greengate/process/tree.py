"""The command's process tree as something to signal: its process group and every escapee.

The command normally gets a process group of its own, so one ``killpg`` reaches it and all
it starts, atomically with respect to forks. Descendants that left that group (``setsid``,
``setpgid``: daemons, some test runners) are found by walking our descendants; as the child
subreaper greengate is an ancestor of every one of them, orphans included.

At an interactive terminal the command stays in greengate's own (foreground) process group
instead, so it can read the terminal and Ctrl-C/Ctrl-Z reach it as they would without
greengate. The kernel then already delivered a terminal's SIGINT or SIGQUIT to the whole
group; forwarding it again would make the command see it twice (Python programs abort
their own clean-up on a second KeyboardInterrupt), so only the escapees get it from us.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable

# Signals a terminal sends to its whole foreground process group (termios ISIG).
TERMINAL_SIGNALS = (signal.SIGINT, signal.SIGQUIT)


def in_terminal_foreground() -> bool:
    """True when greengate's process group is the foreground group of its controlling tty."""
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError:
        return False  # no controlling terminal (CI runners, containers without -t)
    try:
        return os.tcgetpgrp(fd) == os.getpgrp()
    except OSError:
        return False
    finally:
        os.close(fd)


def descendants() -> list[int]:
    """The pids of every live descendant of this process (empty if they cannot be read)."""
    import psutil  # imported on first use: start-up time

    try:
        return [p.pid for p in psutil.Process(os.getpid()).children(recursive=True)]
    except psutil.Error:
        return []


class CommandTree:
    """The running command and everything it started, as one target for signals."""

    def __init__(self, pid: int, shared_group: bool) -> None:
        self.pid = pid
        self.shared_group = shared_group  # the command runs in greengate's own group
        self.pgid = os.getpgrp() if shared_group else pid

    def send(self, signum: int, *, from_us: bool = False) -> None:
        """Deliver ``signum`` once to every process of the tree.

        ``from_us``: greengate itself decided to signal (a stop at the limit), so no terminal
        delivered it to the shared group already, whatever the signal.
        """
        from_terminal = (
            not from_us
            and self.shared_group
            and signum in TERMINAL_SIGNALS
            and in_terminal_foreground()
        )
        if not self.shared_group:
            _quietly(os.killpg, self.pgid, signum)
        for pid in descendants():
            try:
                in_group = os.getpgid(pid) == self.pgid
            except OSError:
                continue  # gone meanwhile
            if in_group and (from_terminal or not self.shared_group):
                continue  # already reached through the group
            _quietly(os.kill, pid, signum)

    def kill(self) -> None:
        """SIGKILL the whole tree: the group and every descendant that left it."""
        self.send(signal.SIGKILL)


def _quietly(call: Callable[[int, int], None], target: int, signum: int) -> None:
    # A process may exit (or a group empty) between finding it and signalling it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        call(target, signum)
