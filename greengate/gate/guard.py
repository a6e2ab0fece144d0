"""The one guard around everything that follows the command: its exit code and a verdict
always come out, whatever fails or is interrupted after it ended.

Once the command has ended, greengate still has to measure, judge, ask the ledger, write
the verdict and report. Any of those can fail (a bug, an unencodable name, a full disk) or
be cut short (the runner's SIGTERM while the ledger hangs). The guard is entered before the
command starts and learns the command's outcome the moment it is known; from then on no
exception leaves it: it writes the best verdict it has (the final one, else the one written
before the ledger step, else one that says what went wrong) and exits with the command's own
code when that failed, else 128+N when cancelled by signal N, else 3.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType

from greengate import __version__
from greengate.context import RunContext
from greengate.policy.model import Budget, Policy
from greengate.process.cancel import CancelWatch, Interrupted, signal_name
from greengate.verdict import CommandOutcome, Status, Verdict
from greengate.verdict_file.verdict_json import write_verdict

INTERNAL_ERROR_EXIT = 3


class CommandGuard:
    """Keeps the command's exit code and a verdict safe from everything after the command."""

    def __init__(
        self,
        *,
        policy: Policy,
        rule: Budget | None,
        context: RunContext,
        verdict_path: str,
        watch: CancelWatch,
        grace_seconds: float,
        report: Callable[[str], None],
        debug: bool = False,
    ) -> None:
        self.watch = watch
        self.grace_seconds = grace_seconds
        self._policy, self._rule, self._context = policy, rule, context
        self._path = verdict_path
        self._report = report
        self._debug = debug
        self.outcome: CommandOutcome | None = None
        self._armed = False  # from here on, a verdict must come out whatever happens
        self._checkpoint: Verdict | None = None  # written before the ledger step
        self._completed: Verdict | None = None  # the final verdict, being published

    def __enter__(self) -> CommandGuard:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or not self._armed:
            return  # nothing ran yet: the error is an ordinary one, for the CLI to report
        if isinstance(exc, SystemExit) and not isinstance(exc, Interrupted):
            return  # the normal way out, with the gate's exit code
        self.watch.closing()
        raise SystemExit(self._rescue(exc)) from None

    def cancelled(self, signum: int, outcome: CommandOutcome) -> None:
        """The first cancel signal while the command runs (``outcome`` as it stands then):
        write an interrupted verdict now, so a SIGKILL from the runner cannot leave none."""
        reason = (
            f"cancelled by {signal_name(signum)} while the command was running; this verdict "
            "is replaced once its process tree has ended (greengate kills the tree "
            f"{self.grace_seconds:g} s after the signal)"
        )
        try:
            self.checkpoint(self._error_verdict(outcome, reason))
        except Exception as e:  # never let the provisional write stop the supervision
            self._report(f"cannot write the interrupted verdict to {self._path}: {e}")

    def command_ended(self, outcome: CommandOutcome) -> None:
        """The command's outcome: from now on, its exit code is kept whatever happens."""
        self.outcome = outcome
        self._armed = True

    def measured(self) -> None:
        """``check`` and ``stop``: there is a measurement to judge (no command of ours ran);
        from now on a cancel or a failure still leaves a verdict."""
        self._armed = True

    def checkpoint(self, verdict: Verdict) -> None:
        """Write ``verdict`` now (before a step that may hang or fail), as the fallback.

        A path that cannot be written (no such directory, a full disk) is the user's to fix,
        and said once, with the path, when the final verdict meets it too: the run is still
        judged, recorded and reported, and the exit code is what it would have been.
        """
        self._checkpoint = verdict  # kept for the rescue even where it could not be written
        with contextlib.suppress(OSError):
            write_verdict(verdict, self._path)

    def completed(self, verdict: Verdict) -> None:
        """The final verdict, about to be published."""
        self._completed = verdict

    def _rescue(self, exc: BaseException) -> int:
        outcome = self.outcome
        after = "after the command ended" if outcome is not None else "after the measurement"
        own = outcome.exit_code if outcome is not None else 0
        if isinstance(exc, Interrupted):
            problem = (
                f"greengate was cancelled by {signal_name(exc.signum)} {after}, "
                "before its verdict was complete"
            )
            code = own or exc.code
        else:
            problem = f"greengate failed {after}: {type(exc).__name__}: {exc}"
            code = own or INTERNAL_ERROR_EXIT
            self._show_bug(exc)
        kept = f"; the command's exit code {own} is kept" if outcome is not None else ""
        self._report(problem + kept)
        verdict = self._completed
        if verdict is None and self._checkpoint is not None:
            verdict = replace(
                self._checkpoint,
                status=Status.ERROR,
                reasons=(problem, *self._checkpoint.reasons),
            )
        if verdict is None:
            verdict = self._error_verdict(outcome, problem)
        try:
            write_verdict(verdict, self._path)
        except BaseException as e:  # the exit code still comes out
            self._report(f"cannot write the verdict to {self._path}: {type(e).__name__}: {e}")
        return code if isinstance(code, int) else INTERNAL_ERROR_EXIT

    def _error_verdict(self, outcome: CommandOutcome | None, reason: str) -> Verdict:
        # Nothing measured to judge: what went wrong is the whole verdict (an ERROR, never a
        # pass), the matched rule and the command's outcome kept for the reader.
        return Verdict(
            status=Status.ERROR,
            mode=self._policy.mode_of(self._rule.mode if self._rule else None),
            context=self._context,
            policy_path=self._policy.path,
            policy_file=self._policy.repo_path,
            rule=self._rule,
            checks=(),
            reasons=(reason,),
            measurement=None,
            command=outcome,
            tool_version=__version__,
        )

    def _show_bug(self, exc: BaseException) -> None:
        if not self._debug:
            self._report(
                "a bug in greengate; rerun with --debug or GREENGATE_DEBUG=1 for the traceback"
            )
            return
        import traceback  # only for greengate's own bugs: start-up time

        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.write(text)
