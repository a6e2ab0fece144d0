"""How the ``greengate`` process ends: as a normal interpreter exit, less its teardown.

A normal exit frees every module and object one by one before the process ends, about 15 ms
of a run here (BENCHMARKS.md, start-up), for nothing: the kernel frees them at once. What a
normal exit does that matters is kept, in its order: non-daemon threads are waited for (by
taking the normal exit while one is alive), atexit handlers run (logging's flush, the
OpenTelemetry SDK's shutdown), the standard streams are flushed, and a failed flush of
stdout makes the exit code 120, as CPython's own exit does.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from typing import NoReturn

FLUSH_FAILED = 120  # CPython's exit status when flushing the standard streams fails


def exit_now(code: int) -> NoReturn:
    """End the process with ``code`` once what a normal exit would finish is finished."""
    main = threading.main_thread()
    if threading.current_thread() is not main or any(
        t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()
    ):
        sys.exit(code)  # the interpreter's own exit waits for them
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            code = code or FLUSH_FAILED
    os._exit(code)
