"""The one error hierarchy: each subclass says what went wrong and what to do next.

Only the CLI turns these into exit codes (see ``greengate.cli``).
"""

from __future__ import annotations

from greengate import exit_codes
from greengate.web.redaction import redact


class GreengateError(Exception):
    """Base of every error greengate reports to a user without a traceback."""

    exit_code = exit_codes.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        # Every error and warning greengate prints is built from one of these: redacting here
        # keeps a credential a server echoed out of every message at once.
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.hint = redact(hint) if hint is not None else None

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class UsageError(GreengateError):
    """The command line or the environment asked for something impossible."""


class PolicyError(GreengateError):
    """The policy file is missing, unreadable or invalid; ``location`` is ``file:line:col``."""

    def __init__(
        self,
        message: str,
        *,
        file: str,
        line: int | None = None,
        column: int | None = None,
        key_path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.key_path = key_path
        where = file
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        if key_path:
            where += f": {key_path}"
        super().__init__(f"{where}: {message}", hint=hint)


class MeasurementFileError(GreengateError):
    """A measurement given to ``greengate check`` cannot be read."""


class MeasurementError(GreengateError):
    """greengate itself failed to measure; the command still ran."""

    exit_code = exit_codes.NOT_MEASURED
