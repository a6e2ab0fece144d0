"""The current directory, even when it has been deleted under greengate.

``cd build && rm -rf ../build`` (or a job step that removes its own checkout) leaves a
process whose directory has no name: os.getcwd() raises FileNotFoundError. The command can
still run there, and its exit code must come out; relative paths are kept relative (the
kernel resolves them against the directory still held), so a policy or verdict there that
cannot be reached is reported as the file it is, not as greengate's bug.
"""

from __future__ import annotations

import os


def working_directory() -> str:
    """os.getcwd(), or ``.`` where the current directory no longer exists."""
    try:
        return os.getcwd()
    except FileNotFoundError:
        return os.curdir
