"""Getting a verdict out: the verdict file first, then every reporter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from greengate.errors import GreengateError
from greengate.reporters.interface import Reporter
from greengate.verdict import Verdict
from greengate.verdict_file.verdict_json import write_verdict


@dataclass(frozen=True)
class Published:
    """What publishing achieved: whether the verdict file was written, and what went wrong."""

    verdict_written: bool
    problems: list[str]
    tracebacks: list[str] = field(default_factory=list)  # greengate's own bugs, for --debug


#: Builds the run's reporters, given the verdict file written (None: it could not be).
ReporterBuilder = Callable[[str | None], Sequence[Reporter]]


def publish(verdict: Verdict, *, verdict_path: str, reporters: ReporterBuilder) -> Published:
    """Write the verdict file, then build and run each reporter; say what was written and
    what failed."""
    problems: list[str] = []
    tracebacks: list[str] = []
    written: str | None = verdict_path
    # First, so a reporter that fails or hangs cannot cost the pipeline its verdict.
    try:
        write_verdict(verdict, verdict_path)
    except OSError as e:
        written = None
        problems.append(f"cannot write the verdict to {verdict_path}: {e.strerror or e}")
    for reporter in reporters(written):
        try:
            reporter.report(verdict)
        except (OSError, GreengateError) as e:
            problems.append(f"the {reporter.name} report failed: {e}")
        except Exception as e:
            # One broken reporter must not silence the others. This is greengate's own bug,
            # not the user's: the traceback is kept for --debug.
            problems.append(
                f"the {reporter.name} report failed (a bug in greengate): {type(e).__name__}: {e}"
            )
            import traceback  # only for greengate's own bugs: start-up time

            tracebacks.append(traceback.format_exc())
    return Published(written is not None, problems, tracebacks)
