"""The one place where errors become exit codes and messages, around every command.

As pre-commit's ``error_handler``: a user's mistake (a ``GreengateError`` or a bad option)
is one line in words and its code, never a traceback; Ctrl-C is 130; anything else is
greengate's own bug, exit 3, and always says where it broke, with the whole traceback under
``--debug`` or ``GREENGATE_DEBUG``.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import click

from greengate import exit_codes
from greengate.errors import GreengateError
from greengate.web.redaction import redact


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
    text = redact(text)  # a traceback's values too: a credential never reaches a log
    sys.stderr.write(text if text.endswith("\n") else text + "\n")
    sys.stderr.flush()


STDOUT_FD = 1


class PipeClosed(Exception):
    """An EPIPE on its way to the handler: click's own handler would make it exit 1."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


@contextlib.contextmanager
def carry_broken_pipe() -> Iterator[None]:
    """Around click's parsing and invoking: an EPIPE reaches handle_errors as PipeClosed.

    click turns any EPIPE into exit 1 (its main), greengate's over-budget code (issue 20:
    ``greengate where ... | head -c1`` exited 1); whether it is a verdict is decided here.
    """
    try:
        yield
    except OSError as e:
        if e.errno != errno.EPIPE:
            raise
        raise PipeClosed(e) from e


def _output_closed() -> bool:
    """Whether standard output is a pipe or socket whose reader has gone (POLLERR/POLLHUP)."""
    import select

    try:
        poll = select.poll()
        poll.register(STDOUT_FD, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poll.poll(0))
    except (OSError, ValueError):
        return False


def _silence_output() -> None:
    """Point fd 1 at /dev/null: what is still buffered for it must not fail the exit again."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, STDOUT_FD)
        os.close(null)


def handle_errors(session: Session, command: Callable[[], int]) -> int:
    """Run ``command`` and return its exit code, or the code of the error it raised."""
    try:
        return command()
    except PipeClosed as e:
        if not _output_closed():  # an EPIPE from elsewhere (a socket, a child's stdin)
            show(_internal_error(e.error, debug=session.debug))
            return exit_codes.NOT_MEASURED
        # The reader of our output exited (``| head``): no verdict, nothing went wrong here.
        # Exit as a shell reports a process that SIGPIPE ended, 128 + 13.
        _silence_output()
        with contextlib.suppress(OSError):
            show("greengate: stopped: standard output was closed (its reader exited)")
        return exit_codes.OUTPUT_CLOSED
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
