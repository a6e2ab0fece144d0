"""Become the child subreaper, so orphaned descendants are reparented to greengate and reaped here.

Linux only (prctl PR_SET_CHILD_SUBREAPER, kernel 3.4+). Elsewhere orphans go to init and
their CPU time is lost to the measurement; README "Platforms" says so.
"""

from __future__ import annotations

import ctypes
import sys

_PR_SET_CHILD_SUBREAPER = 36


def set_child_subreaper(enabled: bool) -> bool:
    """Ask the kernel to make this process the subreaper of its descendants; True if it did."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        # dlopen(NULL): the symbols already loaded, libc's among them. find_library("c")
        # would run ldconfig in a subprocess on every call, twice per run.
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_CHILD_SUBREAPER, int(enabled), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False
