"""CI reporters (GitLab, Azure DevOps, Jenkins, JUnit, Markdown): golden files and real parsers."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import xmlschema
from factories import (
    all_verdicts,
    assert_golden,
    assert_valid_verdict,
    failing_verdict,
    make_command,
    make_context,
    make_policy,
    make_rule,
    passing_verdict,
    warning_verdict,
)
from junitparser import Failure, JUnitXml, Skipped
from prometheus_client.openmetrics.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from greengate.gate.judge import judge
from greengate.policy.change import LimitChange, PolicyChange
from greengate.policy.model import Mode
from greengate.reporters import azure_logging, github
from greengate.reporters.azure import AzureReporter, task_result
from greengate.reporters.gitlab import GitLabReporter
from greengate.reporters.gitlab_artifacts import (
    code_quality,
    code_quality_json,
    dotenv,
    open_metrics,
)
from greengate.reporters.interface import ReportTarget
from greengate.reporters.jenkins import JenkinsReporter
from greengate.reporters.junit_xml import junit_xml
from greengate.reporters.markdown import verdict_markdown
from greengate.reporters.registry import build_reporters
from greengate.verdict import Quantity, Status, Verdict
from greengate.verdict_file.verdict_json import verdict_to_json

ALL = all_verdicts()
NAMES = sorted(ALL)
JUNIT_XSD = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "golden" / "ci" / "junit-10.xsd"))
HOSTILE = "build, test: 50%\r\n::error::x ]]> <&\"' ; ] \x1b[31m\x00 \u2028 `|`"


def hostile_verdict() -> Verdict:
    """Every name a user controls, full of what breaks CI log and file formats."""
    v = failing_verdict()
    return dataclasses.replace(
        v,
        context=make_context(job=f"job {HOSTILE}", branch=f"feat::{HOSTILE}"),
        rule=make_rule(name=f"rule {HOSTILE}"),
        reasons=(f"reason {HOSTILE}", *v.reasons),
        command=make_command(argv=("sh", "-c", f"echo {HOSTILE}")),
    )


def target(env: dict[str, str] | None = None) -> tuple[ReportTarget, io.StringIO, io.StringIO]:
    out, err = io.StringIO(), io.StringIO()
    return ReportTarget(out, err, env or {}), out, err


# --- JUnit XML -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_junit_matches_golden_and_the_xsd(name: str) -> None:
    xml = junit_xml(ALL[name])
    assert_golden(f"ci/junit/{name}.xml", xml)
    JUNIT_XSD.validate(xml)


def test_junit_marks_what_xml_cannot_carry_and_stays_valid() -> None:
    # A job name from a pull request with a control character and a lone surrogate: XML 1.0
    # cannot hold either, even escaped. They show as U+FFFD (junitparser would drop them).
    v = dataclasses.replace(failing_verdict(), context=make_context(job="unit\x01tests\ud800"))
    xml = junit_xml(v)
    JUNIT_XSD.validate(xml)
    assert 'classname="greengate.unit\ufffdtests\ufffd"' in xml
    assert 'name="greengate.job" value="unit\ufffdtests\ufffd"' in xml


@pytest.mark.parametrize("name", NAMES)
def test_junit_reads_back_through_junitparser(name: str, tmp_path: Path) -> None:
    v = ALL[name]
    path = tmp_path / "r.xml"
    path.write_text(junit_xml(v), encoding="utf-8")
    suites = list(JUnitXml.fromfile(str(path)))
    assert len(suites) == 1
    cases = list(suites[0])
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    skipped = [c for c in cases if any(isinstance(r, Skipped) for r in c.result)]
    assert suites[0].tests == len(cases) and suites[0].failures == len(failed)
    assert all(
        c.classname == "greengate.unit-tests" or v.context.job != "unit-tests" for c in cases
    )
    if v.status is Status.FAIL:
        assert [c.name for c in failed] == ["emissions budget"]
    elif v.status is Status.ERROR:
        assert [c.name for c in failed] == ["judgement"]
        assert failed[0].result[0].type == "error"
    else:
        assert failed == []  # warn, warn mode and pass never fail a test report
    assert bool(skipped) == (v.rule is None and v.status is not Status.ERROR)


def test_junit_survives_hostile_names() -> None:
    xml = junit_xml(hostile_verdict())
    JUNIT_XSD.validate(xml)  # no control characters, everything escaped
    assert "\x00" not in xml and "\x1b" not in xml
    case = ElementTree.fromstring(xml.encode()).find("testsuite/testcase")
    assert case is not None
    assert case.get("classname", "").startswith("greengate.job build, test: 50%\r\n::error::x")


# --- GitLab ----------------------------------------------------------------------------------

# Code Quality's required fields, as GitLab documents them (doc/ci/testing/code_quality.md).
CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^/"}},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}


@pytest.mark.parametrize("name", NAMES)
def test_code_quality_matches_golden_and_gitlabs_fields(name: str) -> None:
    text = code_quality_json(ALL[name], {})
    assert_golden(f"ci/gitlab/{name}.codequality.json", text)
    jsonschema.validate(json.loads(text), CODE_QUALITY_SCHEMA)


def test_code_quality_severity_follows_enforcement() -> None:
    assert [i["severity"] for i in code_quality(ALL["fail"], {})] == ["critical"]
    assert [i["severity"] for i in code_quality(ALL["warn_mode"], {})] == ["major"]
    assert [i["severity"] for i in code_quality(ALL["warn"], {})] == ["minor"]
    assert code_quality(ALL["pass"], {}) == code_quality(ALL["unmatched"], {}) == []


def test_code_quality_fingerprints_are_stable_and_distinct() -> None:
    # The same limit of the same job keeps its fingerprint when the figures change, so
    # GitLab shows an overrun that persists as unchanged, not as fixed-and-new.
    over = code_quality(ALL["fail"], {})[0]["fingerprint"]
    other_run = dataclasses.replace(ALL["fail"], reasons=("different",))
    assert code_quality(other_run, {})[0]["fingerprint"] == over
    both = dataclasses.replace(ALL["fail"], rule=make_rule(max_energy_kwh=0.001))
    v = judge(  # both limits over
        policy=make_policy(both.rule),
        rule=both.rule,
        context=both.context,
        measurement=both.measurement,
        command=both.command,
    )
    prints = [i["fingerprint"] for i in code_quality(v, {})]
    assert len(prints) == 2 and len(set(prints)) == 2


def test_code_quality_paths_are_relative_to_the_project() -> None:
    v = dataclasses.replace(ALL["fail"], policy_path="/builds/acme/widgets/ci/greengate.yml")
    issues = code_quality(v, {"CI_PROJECT_DIR": "/builds/acme/widgets"})
    assert issues[0]["location"]["path"] == "ci/greengate.yml"


@pytest.mark.parametrize("name", NAMES)
def test_metrics_match_golden_and_parse_as_openmetrics(name: str) -> None:
    v = ALL[name]
    text = open_metrics(v)
    assert_golden(f"ci/gitlab/{name}.metrics.txt", text)
    assert text.endswith("# EOF\n")
    samples = {(s.name, s.labels.get("quantity")): s.value for s in metric_samples(text)}
    if v.measurement is not None:
        assert samples[("greengate_energy_kwh", None)] == pytest.approx(
            v.measurement.energy_kwh, rel=1e-3
        )
    for check in v.checks:
        assert samples[("greengate_budget_usage_ratio", check.quantity.value)] == pytest.approx(
            check.ratio, rel=1e-3
        )


def test_metrics_labels_escape_hostile_job_names() -> None:
    v = hostile_verdict()
    jobs = {s.labels["job"] for s in metric_samples(open_metrics(v))}
    assert jobs == {label_value(f"job {HOSTILE}")}


def metric_samples(text: str) -> list[Sample]:
    """Every sample, through prometheus_client's OpenMetrics parser (strict about # EOF)."""
    families = text_string_to_metric_families(text)  # type: ignore[no-untyped-call]
    return [sample for family in families for sample in family.samples]


def label_value(s: str) -> str:
    """What a label keeps of a name: newlines as such, other control characters dropped."""
    return re.sub("[\x00-\x09\x0b-\x1f\x7f]", "", s)


@pytest.mark.parametrize("name", NAMES)
def test_dotenv_matches_golden_and_gitlabs_rules(name: str) -> None:
    text = dotenv(ALL[name])
    assert_golden(f"ci/gitlab/{name}.env", text)
    assert len(text.encode()) < 5 * 1024
    for line in text.splitlines():
        key, sep, _value = line.partition("=")
        assert sep and re.fullmatch(r"[A-Za-z0-9_]+", key)


def test_dotenv_keeps_hostile_rule_names_on_one_line() -> None:
    lines = dotenv(hostile_verdict()).splitlines()
    assert all(re.match(r"GREENGATE_[A-Z_]+=", line) for line in lines)
    assert len(lines) == 6


@pytest.mark.parametrize("name", NAMES)
def test_gitlab_reporter_writes_four_files_and_a_section(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    t, out, err = target({"GITLAB_CI": "true"})
    GitLabReporter(t, "reports", clock=lambda: 1741944000.0).report(ALL[name])
    assert out.getvalue() == ""
    assert_golden(f"ci/gitlab/{name}.section.txt", err.getvalue())
    assert (tmp_path / "reports" / "greengate-junit.xml").read_text() == junit_xml(ALL[name])
    for written in ("gl-code-quality-report.json", "metrics.txt", "greengate.env"):
        assert (tmp_path / "reports" / written).is_file()


def test_gitlab_section_markers_and_collapsing() -> None:
    for v, collapsed in ((passing_verdict(), True), (failing_verdict(), False)):
        t, _, err = target()
        GitLabReporter(t, os.devnull + "/nowhere").report(v)  # files fail: a warning each
        lines = err.getvalue().rstrip("\n").split("\n")  # "\r" is part of a marker
        start = next(line for line in lines if "section_start" in line)
        assert re.fullmatch(
            r"\x1b\[0Ksection_start:\d+:greengate(\[collapsed=true\])?\r\x1b\[0Kgreengate: .*",
            start,
        )
        assert ("[collapsed=true]" in start) is collapsed
        assert re.fullmatch(r"\x1b\[0Ksection_end:\d+:greengate\r\x1b\[0K", lines[-1])
        assert sum("could not write" in line for line in lines) == 4


# --- Azure DevOps ----------------------------------------------------------------------------

# (raw, as message data, as a property value), per azure-pipelines-task-lib taskcommand.ts
AZURE_ESCAPES = [
    ("plain", "plain", "plain"),
    ("100%", "100%AZP25", "100%AZP25"),
    ("%0A stays text", "%AZP250A stays text", "%AZP250A stays text"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("x;y]z", "x;y]z", "x%3By%5Dz"),
    ("feat::x, y: z", "feat::x, y: z", "feat::x, y: z"),  # ':' and ',' are not special here
    (
        "##vso[task.complete result=Succeeded;]",
        "##vso[task.complete result=Succeeded;]",
        "##vso[task.complete result=Succeeded%3B%5D",
    ),
]


@pytest.mark.parametrize(("raw", "data", "prop"), AZURE_ESCAPES)
def test_azure_escaping_matches_the_task_lib(raw: str, data: str, prop: str) -> None:
    assert azure_logging.escape_data(raw) == data
    assert azure_logging.escape_property(raw) == prop


def agent_lines(text: str) -> list[str]:
    """Lines as the agents read stdout (.NET ReadLine): split at CR, LF or CRLF only.

    Empty lines are left out: greengate starts its commands with a newline of their own.
    """
    return [line for line in re.split(r"\r\n|\r|\n", text.removesuffix("\n")) if line]


def parse_vso(line: str) -> tuple[str, dict[str, str], str]:
    """A port of the agent's parsing (task-lib ``commandFromString`` and its unescaping)."""
    assert line.startswith("##vso[")
    end = line.index("]")
    info, message = line[len("##vso[") : end], line[end + 1 :]
    command, _, props = info.partition(" ")

    def unescape(s: str, *, prop: bool) -> str:
        pairs = [("%0D", "\r"), ("%0A", "\n")] + ([("%5D", "]"), ("%3B", ";")] if prop else [])
        for escaped, raw in [*pairs, ("%AZP25", "%")]:
            s = s.replace(escaped, raw)
        return s

    properties = {}
    for item in filter(None, (p.strip() for p in props.split(";"))):
        key, _, value = item.partition("=")
        properties[key] = unescape(value, prop=True)
    return command, properties, unescape(message, prop=False)


@pytest.mark.parametrize("raw", [raw for raw, _, _ in AZURE_ESCAPES] + [HOSTILE])
def test_azure_commands_round_trip_through_the_agents_parser(raw: str) -> None:
    line = azure_logging.vso("task.logissue", {"type": "error", "sourcepath": raw}, raw)
    assert "\n" not in line and "\r" not in line
    assert parse_vso(line) == ("task.logissue", {"type": "error", "sourcepath": raw}, raw)


@pytest.mark.parametrize("name", NAMES)
def test_azure_reporter_matches_golden(name: str, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    t, out, err = target({"TF_BUILD": "True"})
    AzureReporter(t, str(summary)).report(ALL[name])
    assert err.getvalue() == ""
    assert_golden(f"ci/azure/{name}.txt", out.getvalue().replace(str(summary), "SUMMARY.md"))
    assert summary.read_text(encoding="utf-8") == verdict_markdown(ALL[name]) + "\n"
    for line in agent_lines(out.getvalue()):
        parse_vso(line)


def test_azure_hostile_names_cannot_forge_commands(tmp_path: Path) -> None:
    t, out, _ = target()
    AzureReporter(t, str(tmp_path / "s.md")).report(hostile_verdict())
    lines = agent_lines(out.getvalue())
    assert all(line.startswith("##vso[") for line in lines)
    commands = [parse_vso(line)[0] for line in lines]
    assert commands.count("task.complete") == 1 and commands[-1] == "task.complete"
    rule = [parse_vso(x)[2] for x in lines if "variable=GREENGATE_RULE;" in x]
    assert rule == [" ".join(f"rule {HOSTILE}".splitlines())] * 2


def test_azure_task_result() -> None:
    assert task_result(ALL["fail"]) == task_result(ALL["error"]) == "Failed"
    assert task_result(ALL["warn"]) == "SucceededWithIssues"
    assert task_result(ALL["pass"]) is None
    failed_command = dataclasses.replace(warning_verdict(), command=make_command(exit_code=2))
    assert task_result(failed_command) is None  # the command's own failure stays the result


def test_azure_summary_defaults_to_the_agents_temp_directory(tmp_path: Path) -> None:
    t, out, _ = target({"AGENT_TEMPDIRECTORY": str(tmp_path)})
    AzureReporter(t).report(passing_verdict())
    upload = [parse_vso(x) for x in out.getvalue().splitlines() if "uploadsummary" in x]
    assert len(upload) == 1
    path = Path(upload[0][2])
    assert path.is_absolute() and path.parent == tmp_path and path.is_file()


# --- GitHub annotations through the runner's own parsing -------------------------------------


def parse_github(line: str) -> tuple[str, dict[str, str], str]:
    """A port of actions/runner ``ActionCommand.TryParseV2`` with its unescaping."""
    assert line.startswith("::")
    end = line.index("::", 2)
    info, data = line[2:end], line[end + 2 :]
    command, _, props = info.partition(" ")

    def unescape(s: str, pairs: list[tuple[str, str]]) -> str:
        for escaped, raw in [*pairs, ("%25", "%")]:
            s = s.replace(escaped, raw)
        return s

    newline = [("%0D", "\r"), ("%0A", "\n")]
    properties = {}
    for item in filter(None, props.strip().split(",")):
        key, _, value = item.partition("=")
        properties[key] = unescape(value, [*newline, ("%3A", ":"), ("%2C", ",")])
    return command, properties, unescape(data, newline)


# Branch names, job names and commands with %, CR, LF, ':', ',' and '::' in them.
GITHUB_VECTORS = [
    "build, test: 50%",  # a job name
    "lint\r\nnext",
    "feature::x",  # a branch name
    "release/1,2:3%25",
    "::error file=x::forged",  # a command
    "echo '%0A' && exit 1",
]


@pytest.mark.parametrize("raw", GITHUB_VECTORS)
def test_github_annotations_round_trip_through_the_runners_parser(raw: str) -> None:
    v = dataclasses.replace(failing_verdict(), policy_path=f"ci/{raw}.yml", reasons=(raw, raw))
    line = github.annotation(v)
    assert "\n" not in line and "\r" not in line
    command, properties, message = parse_github(line)
    assert command == "error"
    assert properties["file"] == f"ci/{raw}.yml" and properties["line"] == "12"
    assert message == f"The command failed (exit 1).\n{raw}\n{raw}"


def test_github_annotation_limit_is_respected_and_the_summary_tells_the_rest(
    tmp_path: Path,
) -> None:
    # The runner keeps 10 annotations per level per step: greengate uses one per run and
    # puts every limit and reason into the step summary instead.
    env = {"GITHUB_STEP_SUMMARY": str(tmp_path / "s.md"), "GITHUB_OUTPUT": str(tmp_path / "o")}
    v = dataclasses.replace(failing_verdict(), reasons=tuple(f"reason {i}" for i in range(25)))
    t, out, _ = target(env)
    github.GitHubReporter(t).report(v)
    assert out.getvalue().startswith("\n::error ")  # a line of its own, whatever came before
    assert len(out.getvalue().strip().splitlines()) == 1
    summary = (tmp_path / "s.md").read_text(encoding="utf-8")
    assert all(f"reason {i}" in summary for i in range(25))


# --- Jenkins, plain junit/markdown, registry -------------------------------------------------


def test_jenkins_writes_junit_and_says_where(tmp_path: Path) -> None:
    t, out, err = target({"JENKINS_URL": "https://ci.example/"})
    JenkinsReporter(t, str(tmp_path / "gg.xml")).report(failing_verdict())
    assert (tmp_path / "gg.xml").read_text() == junit_xml(failing_verdict())
    assert out.getvalue() == "" and "junit '" in err.getvalue()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["console"]),
        ({"GITLAB_CI": "true"}, ["console", "gitlab"]),
        ({"GITLAB_CI": "false"}, ["console"]),
        ({"TF_BUILD": "True"}, ["console", "azure"]),
        ({"TF_BUILD": "true"}, ["console", "azure"]),
        ({"JENKINS_URL": "http://j/"}, ["console", "jenkins"]),
        ({"JENKINS_URL": ""}, ["console"]),
    ],
)
def test_ci_reporters_detect_their_ci(env: dict[str, str], expected: list[str]) -> None:
    t, _, _ = target(env)
    assert [r.name for r in build_reporters((), t)] == expected


def test_junit_and_markdown_work_anywhere(tmp_path: Path) -> None:
    t, out, err = target()
    junit, md = tmp_path / "j" / "r.xml", tmp_path / "s.md"
    reporters = build_reporters((f"junit={junit}", f"markdown={md}"), t, console=False)
    for r in reporters:
        r.report(warning_verdict())
    assert junit.read_text() == junit_xml(warning_verdict())
    assert md.read_text(encoding="utf-8") == verdict_markdown(warning_verdict()) + "\n"
    assert out.getvalue() == err.getvalue() == ""


def test_default_paths_are_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    t, _, _ = target()
    for r in build_reporters(("junit", "markdown"), t, console=False):
        r.report(passing_verdict())
    assert sorted(os.listdir(tmp_path)) == ["greengate-junit.xml", "greengate-summary.md"]


def test_an_unwritable_report_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    t, _, err = target()
    for r in build_reporters(
        (f"junit={blocker}/x.xml", f"markdown={blocker}/s.md"), t, console=False
    ):
        r.report(passing_verdict())
    assert err.getvalue().count("greengate: warning: could not write") == 2


def test_markdown_shows_a_policy_change_side_by_side() -> None:
    change = PolicyChange(
        ref="origin/main",
        applied_path="origin/main:greengate.yml",
        proposed_path="greengate.yml",
        applied_rule="unit-tests",
        proposed_rule="unit | tests",
        applied_mode=Mode.ENFORCE,
        proposed_mode=Mode.WARN,
        limits=(
            LimitChange(Quantity.EMISSIONS, 0.001, 0.01),
            LimitChange(Quantity.ENERGY, 0.003, None),
        ),
        other=("pue",),
    )
    v = dataclasses.replace(failing_verdict(), policy_change=change)
    assert_golden("ci/markdown/policy_change.md", verdict_markdown(v))
    assert_valid_verdict(json.loads(verdict_to_json(v)))


def test_a_trusted_policy_is_located_in_the_repository_not_at_its_ref(tmp_path: Path) -> None:
    change = PolicyChange(
        "origin/main",
        "origin/main:ci/gg.yml",
        "ci/gg.yml",
        "r",
        "r",
        Mode.ENFORCE,
        Mode.WARN,
        (),
        (),
    )
    v = dataclasses.replace(
        failing_verdict(), policy_path="origin/main:ci/gg.yml", policy_change=change
    )
    assert code_quality(v, {})[0]["location"]["path"] == "ci/gg.yml"
    t, out, _ = target()
    AzureReporter(t, str(tmp_path / "s.md")).report(v)
    assert "sourcepath=ci/gg.yml;" in out.getvalue()
