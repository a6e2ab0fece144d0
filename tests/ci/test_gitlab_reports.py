"""greengate's GitLab artifacts and log section, read by ports of GitLab's own readers.

Fast (no pipeline runs): the same readers the gitlab-ci-local tests use, on verdicts built
in the test, for the names a pull request controls.
"""

from __future__ import annotations

import dataclasses
import io

import pytest
from factories import failing_verdict, make_context, make_rule
from gitlab_log_viewer import sections
from gitlab_report_readers import code_quality, dotenv, metrics

from greengate.reporters.ci_commands import NeutralisingStream
from greengate.reporters.gitlab import GitLabReporter
from greengate.reporters.gitlab_artifacts import code_quality_json, open_metrics
from greengate.reporters.gitlab_artifacts import dotenv as dotenv_text
from greengate.reporters.gitlab_log_guard import SectionGuard, defuse
from greengate.reporters.interface import ReportTarget

JOBS = [
    "test #1",
    "lint#",
    "#\"quoted\" 'single' $(touch pwned) `id` \\ end",
    "a # b # c",
]


@pytest.mark.parametrize("job", JOBS)
def test_gitlab_reads_every_metric_of_a_job_whose_name_holds_a_hash(job: str) -> None:
    v = dataclasses.replace(failing_verdict(), context=make_context(job=job))
    text = open_metrics(v)
    read = metrics(text)  # raises, as GitLab's reader does, on a line that does not split
    samples = [line for line in text.splitlines() if not line.startswith("#")]
    assert len(read) == len(samples) == 6
    shown = job.replace("#", "%23")
    assert all(key.split("{")[1].startswith(f"job={shown}") for key in read), read
    assert all(float(value) > 0 for value in read.values())


def test_code_quality_locates_an_unchanged_trusted_policy_by_its_path() -> None:
    # A merge request that leaves the policy alone: applied from the target branch, no change.
    for name in ("refs/remotes/origin/main:ci/greengate.yml", "0" * 40 + ":ci/greengate.yml"):
        v = dataclasses.replace(failing_verdict(), policy_path=name, policy_change=None)
        (issue,) = code_quality(code_quality_json(v, {})).values()
        assert issue["location"]["path"] == "ci/greengate.yml"


def test_dotenv_of_hostile_names_is_read_whole() -> None:
    v = dataclasses.replace(
        failing_verdict(), rule=make_rule(name='r #1 "q" $(x) section_start:1:x\r\nEVIL=1')
    )
    read = dotenv(dotenv_text(v).encode("utf-8"))
    assert set(read) == {
        "GREENGATE_STATUS",
        "GREENGATE_MODE",
        "GREENGATE_ENERGY_KWH",
        "GREENGATE_EMISSIONS_KG",
        "GREENGATE_USAGE_RATIO",
        "GREENGATE_RULE",
    }


MARKERS = [
    "section_end:1:greengate",
    "section_start::fake[collapsed=true]",
    "x section_ start : 1 : fake",
    "\x1b[0Ksection_start:1741944000:fake\r\x1b[0Kheader",
]


@pytest.mark.parametrize("text", MARKERS)
def test_defused_text_starts_no_section_and_hides_nothing(text: str) -> None:
    assert sections(text)  # the viewer reads each as a marker
    shown = defuse(text)
    assert sections(shown) == []
    assert "\r" not in shown and "\x1b[0K" not in shown


def test_a_carriage_return_inside_a_line_hides_nothing() -> None:
    # The viewer shows only what follows a line's last carriage return: "FAIL ...".
    assert defuse("PASS\rFAIL shown alone") == "PASS\nFAIL shown alone"
    assert defuse("line\r\n") == "line\r\n"


def test_a_marker_split_across_writes_is_defused() -> None:
    guard = SectionGuard()
    out = "".join(guard.feed(piece) for piece in ("rule sec", "tion_", "end:1:greengate\r", "\n"))
    assert sections(out) == []
    assert out == "rule section_\\end:1:greengate\n"


def test_colours_stay_but_other_escapes_show() -> None:
    assert defuse("\x1b[31mred\x1b[0m") == "\x1b[31mred\x1b[0m"
    assert defuse("\x1b[2Jclear \x1b]8;;http://x\x07") == "\\x1b[2Jclear \\x1b]8;;http://x\x07"


def test_the_section_holds_a_hostile_rule_name_inside_it() -> None:
    rule = "tests section_end:1:greengate\r\x1b[0Ksection_start:1:fake"
    v = dataclasses.replace(
        failing_verdict(),
        rule=make_rule(name=rule),
        reasons=(f"energy over the limit of rule {rule!s}",),
    )
    err = io.StringIO()
    stream = NeutralisingStream(err, commands=False, sections=True)  # type: ignore[arg-type]
    stream.write(f"greengate: rule {rule}\n")  # what the console summary prints
    GitLabReporter(ReportTarget(io.StringIO(), stream, {}), "/nonexistent/dir").report(v)  # type: ignore[arg-type]
    assert sections(err.getvalue()) == [("start", "greengate"), ("end", "greengate")]
