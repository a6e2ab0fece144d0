"""Jenkins: no stdout protocol, so the verdict goes to a JUnit XML file the ``junit`` step
publishes (an over-budget test case makes the build UNSTABLE)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from greengate.reporters.interface import Reporter
from greengate.reporters.junit import DEFAULT_PATH
from greengate.reporters.junit_xml import junit_xml
from greengate.reporters.report_file import write_report_file
from greengate.verdict import Verdict


class JenkinsReporter(Reporter):
    """Writes JUnit XML to PATH (default ``greengate-junit.xml``) on Jenkins."""

    name: ClassVar[str] = "jenkins"

    @classmethod
    def detect(cls, env: Mapping[str, str]) -> bool:
        """On when Jenkins has set ``JENKINS_URL``."""
        return bool(env.get("JENKINS_URL"))

    def report(self, verdict: Verdict) -> None:
        """Write the JUnit file and say in the log where it is."""
        path = self.option or DEFAULT_PATH
        if write_report_file(self.target, path, junit_xml(verdict), "JUnit report"):
            print(
                f"greengate: JUnit report written to {path} (publish it with: junit '{path}')",
                file=self.target.stderr,
            )
