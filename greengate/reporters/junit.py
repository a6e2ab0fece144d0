"""``--report junit[=PATH]``: a JUnit XML file, for any CI that reads test reports."""

from __future__ import annotations

from typing import ClassVar

from greengate.reporters.interface import Reporter
from greengate.reporters.junit_xml import junit_xml
from greengate.reporters.report_file import write_report_file
from greengate.verdict import Verdict

DEFAULT_PATH = "greengate-junit.xml"


class JUnitReporter(Reporter):
    """Writes the verdict as JUnit XML to PATH (default ``greengate-junit.xml``)."""

    name: ClassVar[str] = "junit"

    def report(self, verdict: Verdict) -> None:
        """Write the JUnit XML file."""
        write_report_file(
            self.target, self.option or DEFAULT_PATH, junit_xml(verdict), "JUnit report"
        )
