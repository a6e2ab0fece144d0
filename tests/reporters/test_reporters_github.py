"""GitHub Actions reporter: escaping, the one annotation, job summary and step outputs."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from factories import (
    all_verdicts,
    assert_golden,
    failing_verdict,
    history_verdict,
    make_context,
    passing_verdict,
)

from greengate.reporters.github import (
    GitHubReporter,
    annotation,
    escape_data,
    escape_property,
    output_entry,
    workflow_command,
)
from greengate.reporters.interface import ReportTarget
from greengate.reporters.markdown import code, text, verdict_markdown
from greengate.reporters.registry import build_reporters
from greengate.verdict import History, Verdict

ALL = all_verdicts()
VERDICT_PATH = "out/greengate-verdict.json"

# (raw, escaped as message data, escaped as a property value), per actions/toolkit command.ts
ESCAPES = [
    ("plain text", "plain text", "plain text"),
    ("100%", "100%25", "100%25"),
    ("%0A is not a newline", "%250A is not a newline", "%250A is not a newline"),
    ("a\nb", "a%0Ab", "a%0Ab"),
    ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
    ("policy: greengate.yml", "policy: greengate.yml", "policy%3A greengate.yml"),
    ("a,b", "a,b", "a%2Cb"),
    ("feature::x", "feature::x", "feature%3A%3Ax"),  # a branch name with '::'
    ("::error::fake", "::error::fake", "%3A%3Aerror%3A%3Afake"),  # injection attempt
    ("build, test: 50%\n", "build, test: 50%25%0A", "build%2C test%3A 50%25%0A"),  # job name
    ("sh -c 'a && b'", "sh -c 'a && b'", "sh -c 'a && b'"),  # command
    ("déjà vu ✓", "déjà vu ✓", "déjà vu ✓"),
]


@pytest.mark.parametrize(("raw", "data", "prop"), ESCAPES)
def test_escaping_matches_the_toolkit(raw: str, data: str, prop: str) -> None:
    assert escape_data(raw) == data
    assert escape_property(raw) == prop


def test_workflow_command_escapes_each_part() -> None:
    line = workflow_command("warning", {"file": "ci/a,b.yml", "title": "t: x"}, "50%\nmore")
    assert line == "::warning file=ci/a%2Cb.yml,title=t%3A x::50%25%0Amore"
    assert workflow_command("notice", {}, "hi") == "::notice::hi"


@pytest.mark.parametrize(
    ("name", "level"),
    [("pass", "notice"), ("warn", "warning"), ("fail", "error"), ("error", "error")],
)
def test_annotation_level_follows_the_status(name: str, level: str) -> None:
    assert annotation(ALL[name]).startswith(f"::{level} file=greengate.yml,line=12,title=")


def test_annotation_without_a_rule_has_no_file() -> None:
    assert annotation(ALL["unmatched"]) == (
        "::notice title=greengate%3A PASS::no budget rule matches job 'unit-tests' on branch "
        "'feature/faster-tests'; nothing to gate"
    )


def test_annotation_escapes_reasons_with_newlines_and_colons() -> None:
    verdict = dataclasses.replace(
        failing_verdict(),
        policy_path="ci/greengate,prod.yml",
        reasons=("job 'build:linux' over by 50%", "branch 'feat::x'\r\nsecond line"),
    )
    assert annotation(verdict) == (
        "::error file=ci/greengate%2Cprod.yml,line=12,"
        "title=greengate%3A the command failed (exit 1); budget FAIL::"
        "The command failed (exit 1).%0A"
        "job 'build:linux' over by 50%25%0Abranch 'feat::x'%0D%0Asecond line"
    )


def test_output_entries() -> None:
    assert output_entry("status", "fail") == "status=fail\n"
    assert output_entry("verdict", "") == "verdict=\n"
    fixed = lambda: "ghadelimiter_0000"  # noqa: E731
    assert output_entry("verdict", "two\nlines", fixed) == (
        "verdict<<ghadelimiter_0000\ntwo\nlines\nghadelimiter_0000\n"
    )
    with pytest.raises(ValueError, match="contains its delimiter"):
        output_entry("verdict", "x\nghadelimiter_0000\n", fixed)


def test_output_delimiters_are_fresh_uuids() -> None:
    first = output_entry("a", "1\n2").split("\n")[0]
    second = output_entry("a", "1\n2").split("\n")[0]
    assert first.startswith("a<<ghadelimiter_") and len(first) == len("a<<ghadelimiter_") + 36
    assert first != second


# --- the reporter against golden files ---------------------------------------------------------


def _run(
    verdict: Verdict, env: dict[str, str], verdict_path: str | None = VERDICT_PATH
) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    reporter = GitHubReporter(ReportTarget(out, err, env, verdict_path))
    reporter.report(verdict)
    return out.getvalue(), err.getvalue()


def _github_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }


@pytest.mark.parametrize("name", sorted(ALL))
def test_reporter_matches_golden_files(tmp_path: Path, name: str) -> None:
    env = _github_env(tmp_path)
    out, err = _run(ALL[name], env)
    assert err == ""
    assert out.count("\n") == 2 and out.startswith("\n::"), "one annotation, on a line of its own"
    assert_golden(f"github/{name}.annotation.txt", out)
    assert_golden(f"github/{name}.summary.md", (tmp_path / "summary.md").read_text("utf-8"))
    assert_golden(f"github/{name}.outputs.txt", (tmp_path / "output").read_text("utf-8"))


def test_reporter_appends_to_existing_files(tmp_path: Path) -> None:
    env = _github_env(tmp_path)
    (tmp_path / "summary.md").write_text("# Earlier step\n\n", encoding="utf-8")
    (tmp_path / "output").write_text("other=1\n", encoding="utf-8")
    _run(passing_verdict(), env)
    _run(failing_verdict(), env)
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert summary.startswith("# Earlier step\n\n### ✅ greengate: PASS\n")
    assert "\n### ❌ greengate: the command failed (exit 1); budget FAIL\n" in summary
    outputs = (tmp_path / "output").read_text("utf-8").splitlines()
    assert outputs[0] == "other=1"
    assert outputs.count("status=fail") == 1 and outputs.count("status=pass") == 1


def test_missing_environment_files_are_warnings_not_crashes() -> None:
    out, err = _run(failing_verdict(), {"GITHUB_ACTIONS": "true"})
    assert out.startswith("\n::error ")
    assert err == (
        "greengate: warning: GITHUB_STEP_SUMMARY is not set; no job summary written\n"
        "greengate: warning: GITHUB_OUTPUT is not set; no step outputs written\n"
    )


def test_unwritable_files_are_warnings_not_crashes(tmp_path: Path) -> None:
    env = {
        "GITHUB_STEP_SUMMARY": str(tmp_path),  # a directory
        "GITHUB_OUTPUT": str(tmp_path / "gone" / "output"),
    }
    out, err = _run(passing_verdict(), env)
    assert out.startswith("\n::notice ")
    assert err == (
        "greengate: warning: cannot write the job summary (GITHUB_STEP_SUMMARY): "
        f"{tmp_path}: is a directory, not a regular file\n"
        "greengate: warning: cannot write the step outputs (GITHUB_OUTPUT): "
        f"{tmp_path}/gone/output: no such file\n"
    )


def test_a_verdict_path_with_a_newline_uses_the_heredoc_form(tmp_path: Path) -> None:
    env = _github_env(tmp_path)
    _run(passing_verdict(), env, verdict_path="odd\nname.json")
    outputs = (tmp_path / "output").read_text("utf-8")
    delimiter = outputs.split("verdict<<", 1)[1].split("\n", 1)[0]
    assert outputs.endswith(f"verdict<<{delimiter}\nodd\nname.json\n{delimiter}\n")


def test_no_verdict_file_gives_an_empty_verdict_output(tmp_path: Path) -> None:
    env = _github_env(tmp_path)
    _run(passing_verdict(), env, verdict_path=None)
    assert "verdict=\n" in (tmp_path / "output").read_text("utf-8")


def test_summary_escapes_markdown_in_names_and_commands(tmp_path: Path) -> None:
    env = _github_env(tmp_path)
    verdict = dataclasses.replace(
        passing_verdict(),
        context=make_context(branch="fix/`tick`|pipe", job="a_b*c*"),
        reasons=("rule <b>|x|</b>",),
    )
    _run(verdict, env)
    summary = (tmp_path / "summary.md").read_text("utf-8")
    assert "Job `a_b*c*` on ``fix/`tick`\\|pipe``" in summary
    assert "- rule \\<b\\>\\|x\\|\\</b\\>" in summary


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("a|b", "`a\\|b`"), ("`x`", "`` `x` ``"), ("a``b", "```a``b```"), ("l1\nl2", "`l1 l2`")],
)
def test_code_spans(raw: str, expected: str) -> None:
    assert code(raw) == expected


def test_markdown_text_escapes() -> None:
    assert text("*a* _b_ [c](d) <e> |f| ~g~ \\") == (
        "\\*a\\* \\_b\\_ \\[c\\](d) \\<e\\> \\|f\\| \\~g\\~ \\\\"
    )


# --- detection and registry --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "on"),
    [({"GITHUB_ACTIONS": "true"}, True), ({"GITHUB_ACTIONS": "false"}, False), ({}, False)],
)
def test_detect(env: dict[str, str], on: bool) -> None:
    assert GitHubReporter.detect(env) is on


def test_registry_switches_github_on_inside_actions() -> None:
    target = ReportTarget(io.StringIO(), io.StringIO(), {"GITHUB_ACTIONS": "true"})
    names = [r.name for r in build_reporters((), target)]
    assert names == ["console", "github"]
    assert [r.name for r in build_reporters((), target, console=False)] == ["github"]


def test_summary_shows_the_history(tmp_path: Path) -> None:
    env = _github_env(tmp_path)
    _run(history_verdict(), env)
    assert_golden("github/history.summary.md", (tmp_path / "summary.md").read_text("utf-8"))


def test_summary_without_history_to_judge_is_unchanged() -> None:
    plain = passing_verdict()
    recorded = dataclasses.replace(plain, history=History("/ci/ledger.db", 1))
    assert verdict_markdown(recorded) == verdict_markdown(plain)
