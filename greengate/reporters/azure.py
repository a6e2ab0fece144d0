"""Azure DevOps: issues, output variables, a Markdown summary tab and the task's result.

``--report azure=PATH`` names the summary file (default: ``greengate-summary-PID.md`` in
``AGENT_TEMPDIRECTORY``); Azure needs it as an absolute path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import ClassVar

from greengate.reporters import figures
from greengate.reporters.azure_logging import vso
from greengate.reporters.ci_commands import write_commands
from greengate.reporters.interface import Reporter
from greengate.reporters.markdown import verdict_markdown
from greengate.reporters.policy_change_text import policy_file
from greengate.reporters.report_file import write_report_file
from greengate.reporters.variables import verdict_variables
from greengate.verdict import LimitCheck, Status, Verdict


class AzureReporter(Reporter):
    """``##vso`` logging commands on stdout, where the agent reads them."""

    name: ClassVar[str] = "azure"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """On in Azure Pipelines (``TF_BUILD=True``, in any letter case)."""
        return env.get("TF_BUILD", "").lower() == "true"

    def report(self, verdict: Verdict) -> None:
        """Issues first, then variables, the summary, and the task result last."""
        lines = issues(verdict)
        for name, value in verdict_variables(verdict).items():
            # Plain for later steps of this job, isoutput for other jobs and stages.
            lines.append(vso("task.setvariable", {"variable": name}, value))
            lines.append(vso("task.setvariable", {"variable": name, "isoutput": "true"}, value))
        summary = self._summary_path()
        if write_report_file(self.target, summary, verdict_markdown(verdict) + "\n", "summary"):
            lines.append(vso("task.uploadsummary", message=summary))
        result = task_result(verdict)
        if result is not None:
            message = verdict.reasons[0] if verdict.reasons else ""
            lines.append(vso("task.complete", {"result": result}, message))
        write_commands(self.target.stdout, lines)

    def notice(self, text: str) -> None:
        """A warning issue while the command runs."""
        write_commands(self.target.stdout, [vso("task.logissue", {"type": "warning"}, text)])

    def _summary_path(self) -> str:
        if self.option:
            return os.path.abspath(self.option)
        directory = self.target.env.get("AGENT_TEMPDIRECTORY") or tempfile.gettempdir()
        # One file per greengate run: a job may gate several commands, each its own summary.
        return os.path.join(os.path.abspath(directory), f"greengate-summary-{os.getpid()}.md")


def issues(v: Verdict) -> list[str]:
    """``task.logissue`` lines: one per limit near or over budget, or one for a failed run."""
    if v.status is Status.ERROR:
        reason = v.reasons[0] if v.reasons else "greengate could not judge the run"
        return [vso("task.logissue", {"type": "error"}, f"greengate: {reason}")]
    where = {}
    path = policy_file(v)
    if v.rule is not None and path:
        where = {"sourcepath": path, "linenumber": str(v.rule.line)}
    return [
        vso(
            "task.logissue",
            {"type": _issue_type(v, c), **where},
            "greengate: " + figures.limit_sentence(v, c),
        )
        for c in v.checks
        if c.status is not Status.PASS
    ]


def _issue_type(v: Verdict, check: LimitCheck) -> str:
    return "error" if check.status is Status.FAIL and check.enforced else "warning"


def task_result(v: Verdict) -> str | None:
    """The ``task.complete`` result, or None to leave the task's result to its exit code."""
    if v.status in (Status.FAIL, Status.ERROR):
        return "Failed"
    command_ok = v.command is None or v.command.exit_code == 0
    # Only when the command itself succeeded: a failed command's exit code must stay the result.
    if v.status is Status.WARN and command_ok:
        return "SucceededWithIssues"
    return None
