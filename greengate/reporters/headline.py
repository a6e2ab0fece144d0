"""The verdict's first line, in every report: the budget's status and, when the command
failed, that it failed.

A command that exits 1 or is not found is within its budget (it used next to nothing), but a
green ``PASS`` as the first line of a failed step's log reads as "all is well". Every report
says what failed first, then the budget's status (issue 18).
"""

from __future__ import annotations

from greengate.verdict import CommandOutcome, Status, Verdict

# How a shell names these codes (POSIX: 127 not found, 126 found but not executable).
_SHELL_CODES = {127: "command not found", 126: "command cannot be executed"}


def command_failure(c: CommandOutcome | None) -> str | None:
    """``the command failed (exit 1)``, ``command not found (exit 127)``; None when it
    succeeded (or there was no command, as for ``check``)."""
    if c is None:
        return None
    code = f"exit {c.exit_code}"
    if c.stop is not None:  # whatever it exited with, greengate ended it: say so first
        return f"stopped at its {c.stop.quantity} limit ({code})"
    if c.exit_code == 0:
        return None
    if c.interrupted:
        return f"the command was interrupted ({code})"
    if c.signal is not None:
        return f"the command was killed by signal {c.signal} ({code})"
    if c.start_error is not None:
        return f"{c.start_error} ({code})"
    if c.exit_code in _SHELL_CODES:
        return f"{_SHELL_CODES[c.exit_code]} ({code})"
    return f"the command failed ({code})"


def title(v: Verdict) -> str:
    """``PASS``, or ``the command failed (exit 1); budget PASS`` when the command failed."""
    failure = command_failure(v.command)
    if failure is None:
        return v.status.name
    return f"{failure}; budget {v.status.name}"


def failed(v: Verdict) -> bool:
    """Whether the first line must read as a failure: over budget, an error, or the command."""
    return v.status in (Status.FAIL, Status.ERROR) or command_failure(v.command) is not None
