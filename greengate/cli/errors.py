"""The one place where errors become exit codes and messages (no traceback for user mistakes)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click

from greengate.errors import GreengateError

INTERNAL_ERROR_EXIT = 3


def debug_from_env() -> bool:
    """GREENGATE_DEBUG set to anything but empty, 0 or false: the same as ``--debug``."""
    return os.environ.get("GREENGATE_DEBUG", "") not in ("", "0", "false")


def debug_requested(ctx: click.Context | None) -> bool:
    """``greengate --debug`` (the root command's option) or GREENGATE_DEBUG."""
    return debug_from_env() or bool(ctx is not None and (ctx.find_root().obj or {}).get("debug"))


@contextmanager
def handle_errors(*, debug: bool) -> Iterator[None]:
    """Turn GreengateError into ``greengate: error: ...`` and its exit code; log our own bugs."""
    debug = debug or debug_from_env()
    try:
        yield
    except GreengateError as e:
        print(f"greengate: error: {e}", file=sys.stderr)
        raise SystemExit(e.exit_code) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception:
        if debug:
            import traceback  # only for greengate's own bugs: start-up time

            traceback.print_exc()
        else:
            print(
                "greengate: internal error (a bug in greengate); rerun with --debug or "
                "GREENGATE_DEBUG=1 for the traceback",
                file=sys.stderr,
            )
        raise SystemExit(INTERNAL_ERROR_EXIT) from None
