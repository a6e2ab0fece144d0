"""Atomic file replacement: a reader sees the old file or the new one, never half of one.

Atomic, not durable: nothing is fsynced. The files written here (the verdict, reports) are
CI artifacts that live as long as the runner, and the next step reads them from the page
cache; surviving a power cut would buy nothing. An fsync of the file and its directory
cost from 3 ms to over 100 ms per run on a busy disk (measured on the development VM), on
every run, for that nothing. (The ledger, which must outlive the runner, is a database and
makes its own durability choices: docs/history.md.)
"""

from __future__ import annotations

import contextlib
import os
import stat

# Mode handed to open(2): the kernel applies the umask, exactly as for a file opened with
# open(path, "w"), so the result is 0o644 under the usual 022 umask. (mkstemp would give 0o600.)
MODE = 0o644


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` as UTF-8 to ``path`` through a temporary file and ``os.replace``."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    data = text.encode("utf-8")
    if _special(target):
        # A device or FIFO (``--verdict /dev/null``) is written to, never replaced: a rename
        # over /dev/null, as root, turns the machine's /dev/null into a regular file.
        _write_through(target, data)
        return
    fd, temp = create_temp(directory, os.path.basename(target))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def _special(target: str) -> bool:
    try:
        mode = os.stat(target).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode)


def _write_through(target: str, data: bytes) -> None:
    # Non-blocking: a FIFO nobody reads fails at once (ENXIO) instead of hanging the run.
    fd = os.open(target, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def create_temp(directory: str, name: str) -> tuple[int, str]:
    """A new, exclusively created temporary file for ``name`` in ``directory``: (fd, path).

    Same directory as the target: os.replace and os.link only work within one filesystem.
    """
    while True:
        temp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, MODE), temp
        except FileExistsError:  # pragma: no cover - 48 random bits colliding
            continue
