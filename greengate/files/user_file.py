"""Reading (and appending to) a file a user named: regular files only, bounded, never hanging.

Every path greengate is given (the policy, ``--measurement``, ``ledger import``, the CI's
summary and output files) comes through here, so none of them can be a FIFO that blocks
``open`` forever, a device such as ``/dev/zero`` that never ends, or a socket (issue 10).
The file is opened non-blocking (a FIFO's open returns at once), checked with ``fstat`` on
the descriptor that will be read (no race with a swap of the path), and read up to a bound.
"""

from __future__ import annotations

import os
import stat

from greengate.errors import GreengateError

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
_APPEND_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    | os.O_NONBLOCK
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class UserFileError(GreengateError):
    """A file the user named cannot be used; ``reason`` says why, ``problem`` which kind."""

    def __init__(self, path: str, reason: str, *, problem: str = "unreadable") -> None:
        hint = "name a regular file" if problem == "not-regular" else None
        super().__init__(f"{path}: {reason}", hint=hint)
        self.path = path
        self.reason = reason
        self.problem = problem  # missing, not-regular, too-large or unreadable

    @property
    def missing(self) -> bool:
        """Whether there is no file at the path."""
        return self.problem == "missing"


def read_user_file(path: str, *, limit: int) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them, or UserFileError."""
    fd = _open(path, _READ_FLAGS, 0)
    try:
        info = _regular(path, fd)
        if info.st_size > limit:
            raise UserFileError(path, _too_large(limit), problem="too-large")
        os.set_blocking(fd, True)  # a regular file: reads never block, and EAGAIN is not wanted
        chunks: list[bytes] = []
        size = 0
        # Read to the bound, not to st_size: a file that grows while read (or lies, as /proc
        # files do) must still stop.
        while size <= limit:
            chunk = _read(path, fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UserFileError(path, _too_large(limit), problem="too-large")
        return b"".join(chunks)
    finally:
        os.close(fd)


def append_user_file(path: str, text: str) -> None:
    """Append ``text`` (UTF-8) to the regular file at ``path``, creating it; UserFileError else."""
    fd = _open(path, _APPEND_FLAGS, 0o666)
    try:
        _regular(path, fd)
        os.set_blocking(fd, True)
        data = text.encode("utf-8", "surrogateescape")
        while data:
            written = os.write(fd, data)
            data = data[written:]
    except OSError as e:
        raise UserFileError(path, f"cannot write: {e.strerror or e}") from None
    finally:
        os.close(fd)


def _open(path: str, flags: int, mode: int) -> int:
    try:
        return os.open(path, flags, mode)
    except FileNotFoundError:
        raise UserFileError(path, "no such file", problem="missing") from None
    except OSError as e:
        # A socket (ENXIO), or a FIFO with no reader for a write (ENXIO): name what it is.
        kind = _kind_of(path)
        if kind is not None:
            raise UserFileError(
                path, f"is {kind}, not a regular file", problem="not-regular"
            ) from None
        raise UserFileError(path, f"cannot open: {e.strerror or e}") from None


def _regular(path: str, fd: int) -> os.stat_result:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "not a regular file")
        raise UserFileError(path, f"is {kind}, not a regular file", problem="not-regular")
    return info


def _kind_of(path: str) -> str | None:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return next((name for test, name in _KINDS if test(mode)), None)


def _read(path: str, fd: int, size: int) -> bytes:
    try:
        return os.read(fd, size)
    except OSError as e:
        raise UserFileError(path, f"cannot read: {e.strerror or e}") from None


def _too_large(limit: int) -> str:
    return f"larger than {_size(limit)}; refused unread"


def _size(limit: int) -> str:
    if limit >= 1 << 20 and limit % (1 << 20) == 0:
        return f"{limit >> 20} MiB"
    return f"{limit >> 10} KiB" if limit % 1024 == 0 else f"{limit} bytes"
