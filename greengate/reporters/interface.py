"""The reporter extension point: one class per place a verdict is shown."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar, TextIO

from greengate.verdict import Verdict


@dataclass(frozen=True)
class ReportTarget:
    """Where a reporter may write: the process's streams and environment.

    ``stdout`` is for CI workflow commands (GitHub ``::error``, Azure ``##vso``) that
    the runner reads from stdout; human-readable text goes to ``stderr`` so it never
    mixes into the wrapped command's own stdout.
    """

    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]  # the environment the run was prepared in, read once by the CLI
    verdict_path: str | None = None  # the verdict file, once written; None: it could not be


class Reporter(ABC):
    """Shows one verdict in one place."""

    #: the name used by ``--report NAME`` and in the registry
    name: ClassVar[str]

    def __init__(self, target: ReportTarget, option: str | None = None) -> None:
        self.target = target
        self.option = option  # the part after '=' in ``--report NAME=OPTION`` (often a path)

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """Whether this reporter switches itself on in this environment (e.g. a CI's variable)."""
        return False

    def notice(self, text: str) -> None:  # noqa: B027 - optional hook
        """A warning while the command runs (near or at a limit it is stopped at), where
        this reporter's CI shows one; most have none: the line on stderr says it."""

    @abstractmethod
    def report(self, verdict: Verdict) -> None:
        """Write the verdict out. Must not raise for ordinary I/O trouble it can describe."""
