"""GitLab CI: JUnit, Code Quality, metrics and dotenv files, and a collapsible log section.

``--report gitlab=DIR`` puts the four files in DIR (default: the current directory); the
job declares them under ``artifacts:reports`` (see examples/.gitlab-ci.yml, docs/ci.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import ClassVar

from greengate.reporters import headline
from greengate.reporters.ci_commands import write_raw
from greengate.reporters.gitlab_artifacts import (
    CODE_QUALITY_FILE,
    DOTENV_FILE,
    METRICS_FILE,
    code_quality_json,
    dotenv,
    open_metrics,
)
from greengate.reporters.gitlab_log_guard import defuse
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.junit import DEFAULT_PATH as JUNIT_FILE
from greengate.reporters.junit_xml import junit_xml
from greengate.reporters.report_file import write_report_file
from greengate.units import format_emissions, format_energy
from greengate.verdict import Status, Verdict

SECTION = "greengate"
Clock = Callable[[], float]
_CLEAR = "\x1b[0K"


class GitLabReporter(Reporter):
    """Writes GitLab's report artifacts into DIR and a log section summarising them."""

    name: ClassVar[str] = "gitlab"

    def __init__(
        self, target: ReportTarget, option: str | None = None, *, clock: Clock = time.time
    ) -> None:
        super().__init__(target, option)
        self._clock = clock  # Unix seconds: a section's time when no command ran

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """On in GitLab CI jobs (``GITLAB_CI=true``)."""
        return env.get("GITLAB_CI") == "true"

    def report(self, verdict: Verdict) -> None:
        """Write the four report files, then the log section naming them."""
        directory = self.option or "."
        files = {
            JUNIT_FILE: (junit_xml(verdict), "JUnit report"),
            CODE_QUALITY_FILE: (code_quality_json(verdict, self.target.env), "Code Quality report"),
            METRICS_FILE: (open_metrics(verdict), "metrics report"),
            DOTENV_FILE: (dotenv(verdict), "dotenv report"),
        }
        written = [
            path
            for name, (text, what) in files.items()
            if write_report_file(self.target, path := os.path.join(directory, name), text, what)
        ]
        self._section(verdict, written)

    def _section(self, v: Verdict, written: list[str]) -> None:
        # GitLab's log sections: https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
        start, end = _times(v, self._clock)
        collapsed = "" if headline.failed(v) or v.status is Status.WARN else "[collapsed=true]"
        header = f"greengate: {headline.title(v)} ({v.mode.value} mode)"
        body = [f"  {reason}" for reason in v.reasons]
        if v.measurement is not None:
            m = v.measurement
            body.append(
                f"  measured {format_energy(m.energy_kwh)}, {format_emissions(m.emissions_kg)}"
            )
        body += [f"  wrote {path}" for path in written]
        # The markers are greengate's own, written around the stream's guard; the names in
        # the body (rules, jobs, branches) are the pull request's, defused here.
        lines = [
            f"{_CLEAR}section_start:{start}:{SECTION}{collapsed}\r{_CLEAR}{header}",
            *(defuse(line) for line in body),
            f"{_CLEAR}section_end:{end}:{SECTION}\r{_CLEAR}",
        ]
        write_raw(self.target.stderr, "\n".join(lines) + "\n")


def _times(v: Verdict, clock: Clock) -> tuple[int, int]:
    """Section start and end as Unix seconds: the command's own, so GitLab shows its duration."""
    if v.command is not None:
        return int(v.command.started_at.timestamp()), int(v.command.ended_at.timestamp())
    now = int(clock())
    return now, now
