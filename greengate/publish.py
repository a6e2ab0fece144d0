"""Getting a verdict out: the verdict file first, then every reporter."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from greengate.errors import GreengateError
from greengate.reporters.interface import Reporter
from greengate.verdict import Verdict
from greengate.verdict_json import write_verdict

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Published:
    """What publishing achieved: whether the verdict file was written, and what went wrong."""

    verdict_written: bool
    problems: list[str]


def publish(verdict: Verdict, *, verdict_path: str, reporters: list[Reporter]) -> Published:
    """Write the verdict file, then run each reporter; say what was written and what failed."""
    problems: list[str] = []
    written: str | None = verdict_path
    # First, so a reporter that fails or hangs cannot cost the pipeline its verdict.
    try:
        write_verdict(verdict, verdict_path)
    except OSError as e:
        written = None
        problems.append(f"cannot write the verdict to {verdict_path}: {e.strerror or e}")
    for reporter in reporters:
        reporter.verdict_path = written
        try:
            reporter.report(verdict)
        except (OSError, GreengateError) as e:
            problems.append(f"the {reporter.name} report failed: {e}")
        except Exception as e:
            # One broken reporter must not silence the others; the traceback is logged
            # for --debug because this is greengate's own bug, not the user's.
            _log.debug("reporter %s raised", reporter.name, exc_info=True)
            problems.append(
                f"the {reporter.name} report failed (a bug in greengate): {type(e).__name__}: {e}"
            )
    return Published(written is not None, problems)
