"""The one place where errors become exit codes and messages, around every command.

As pre-commit's ``error_handler``: a user's mistake (a ``GreengateError`` or a bad option)
is one line in words and its code, never a traceback; Ctrl-C is 130; anything else is
greengate's own bug, exit 3, and always says where it broke, with the whole traceback under
``--debug`` or ``GREENGATE_DEBUG``.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import click

from greengate import exit_codes
from greengate.errors import GreengateError


@dataclass
class Session:
    """One invocation of greengate, as the handler sees it: whether ``--debug`` was given."""

    debug_flag: bool = False

    @property
    def debug(self) -> bool:
        """``--debug``, or GREENGATE_DEBUG set to anything but empty, 0, false, no or off."""
        env = os.environ.get("GREENGATE_DEBUG", "").strip().lower()
        return self.debug_flag or env not in ("", "0", "false", "no", "off")


def debug_requested() -> bool:
    """Whether this invocation asked for greengate's tracebacks (inside a running command)."""
    ctx = click.get_current_context(silent=True)
    session = ctx.find_object(Session) if ctx is not None else None
    return (session or Session()).debug


def show(text: str) -> None:
    """Print one of the handler's messages on stderr: every message it prints passes here."""
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


def handle_errors(session: Session, command: Callable[[], int]) -> int:
    """Run ``command`` and return its exit code, or the code of the error it raised."""
    try:
        return command()
    except GreengateError as e:
        show(f"greengate: error: {e}")
        return e.exit_code
    except click.ClickException as e:  # a bad option or argument: click's usage message
        shown = io.StringIO()
        e.show(file=shown)
        show(shown.getvalue())
        return e.exit_code
    except (KeyboardInterrupt, click.Abort):
        show("greengate: interrupted")
        return exit_codes.INTERRUPTED
    except Exception as e:
        show(_internal_error(e, debug=session.debug))
        return exit_codes.NOT_MEASURED


def _internal_error(error: Exception, *, debug: bool) -> str:
    import traceback  # only for greengate's own bugs: start-up time

    if debug:
        return "".join(traceback.format_exception(error))
    # Where it broke, even without --debug: a CI log may be all there is to go on.
    frame = traceback.extract_tb(error.__traceback__)[-1]
    where = f"{_short(frame.filename)}:{frame.lineno} in {frame.name}"
    return (
        f"greengate: internal error (a bug in greengate): {type(error).__name__}: {error}\n"
        f"  at {where}; rerun with --debug or GREENGATE_DEBUG=1 for the whole traceback"
    )


def _short(filename: str) -> str:
    """A path inside the package from ``greengate/`` on; any other path as it is."""
    marker = os.sep + "greengate" + os.sep
    _, found, tail = filename.rpartition(marker)
    return "greengate/" + tail.replace(os.sep, "/") if found else filename
