"""The pipelines `greengate init --ci gitlab [--job-wide]` writes, run by gitlab-ci-local.

Each test builds a git project with an ``origin`` (a bare repository on disk), writes the
pipeline with the real CLI, runs it on gitlab-ci-local's shell executor (tests/ci/
gitlab_ci_local.py: what differs from GitLab and how it is made up for) and reads the
artifacts back with ports of GitLab's own readers (tests/ci/gitlab_report_readers.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from gitlab_ci_local import (
    JOB_WIDE_FILE,
    PIPELINE_FILE,
    PipelineImage,
    PipelineRun,
    build_image,
    git,
    jobs_gitlab_creates,
    require_gitlab_ci_local,
    run_pipeline,
)
from gitlab_report_readers import code_quality, dotenv, junit, metrics

pytestmark = pytest.mark.gitlab_ci_local

PASSING_TESTS = "def test_ok():\n    assert sum(range(1000)) == 499500\n"
# The job-wide template's middle step fails: its after_script must still judge the job.
FAILING_TESTS = "def test_fails():\n    assert False, 'the middle step fails'\n"
GENEROUS = "1000 kWh"
TIGHT = "0.000001 mWh"  # any run is over it


def policy(max_energy: str, name: str = "tests", mode: str = "enforce") -> str:
    """A one-rule policy; the rule's line is 5 (what Code Quality locates)."""
    return (
        "version: 1\n"
        "defaults:\n"
        f"  mode: {mode}\n"
        "budgets:\n"
        f"  - name: {json.dumps(name)}\n"
        f"    max_energy: {max_energy}\n"
    )


@pytest.fixture(scope="session")
def image(tmp_path_factory: pytest.TempPathFactory) -> PipelineImage:
    require_gitlab_ci_local()
    return build_image(tmp_path_factory.mktemp("gitlab-image"))


def make_project(
    where: Path,
    policy_text: str,
    *,
    job_wide: bool = False,
    tests: str = PASSING_TESTS,
    branch: str = "main",
) -> Path:
    """A clone of ``origin`` on ``branch`` holding the policy and the pipeline init writes."""
    origin = where / "origin.git"
    git(where, "init", "-q", "--bare", "-b", "main", str(origin))
    project = where / "project"
    project.mkdir()
    git(project, "init", "-q", "-b", "main")
    (project / "greengate.yml").write_text(policy_text, encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_app.py").write_text(tests, encoding="utf-8")
    (project / "requirements.txt").write_text("", encoding="utf-8")
    (project / ".gitignore").write_text(".gitlab-ci-local/\n.cache/\n", encoding="utf-8")
    init = ["init", "--ci", "gitlab", *(["--job-wide"] if job_wide else [])]
    subprocess.run(
        [sys.executable, "-m", "greengate", *init], cwd=project, check=True, capture_output=True
    )
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "policy and pipeline")
    git(project, "remote", "add", "origin", str(origin))
    git(project, "push", "-q", "origin", "main")
    git(project, "fetch", "-q", "origin")
    git(project, "remote", "set-head", "origin", "main")
    if branch != "main":
        git(project, "checkout", "-q", "-b", branch)
    return project


def verdict(run: PipelineRun) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (run.artifacts() / "greengate-verdict.json").read_text("utf-8")
    )
    return data


MR_VARIABLES = {
    "CI_PIPELINE_SOURCE": "merge_request_event",
    "CI_MERGE_REQUEST_IID": "7",
    "CI_MERGE_REQUEST_ID": "1007",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_MERGE_REQUEST_EVENT_TYPE": "detached",
}


def merge_request(source: str, target: str = "main") -> dict[str, str]:
    """What GitLab sets in a merge-request pipeline (it sets no CI_COMMIT_BRANCH there)."""
    return {
        **MR_VARIABLES,
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": source,
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": target,
        "CI_COMMIT_REF_NAME": source,
    }


def test_within_budget_the_job_passes_with_reports_gitlab_reads(
    tmp_path: Path, image: PipelineImage
) -> None:
    project = make_project(tmp_path, policy(GENEROUS))
    run = run_pipeline(project, image)
    assert run.returncode == 0, run.log
    assert verdict(run)["status"] == "pass"
    assert junit(run.report("junit").read_bytes()) == [
        ("greengate.test", "energy budget", "success")
    ]
    assert code_quality(run.report("codequality").read_text("utf-8")) == {}
    figures = metrics(run.report("metrics").read_text("utf-8"))
    assert float(figures["greengate_energy_kwh{job=test}"]) > 0
    assert float(figures["greengate_budget_usage_ratio{job=test,quantity=energy}"]) < 1
    # gitlab-ci-local keeps the dotenv report where later jobs' variables come from.
    (env_file,) = (run.artifacts() / ".gitlab-ci-reports" / "dotenv").iterdir()
    variables = dotenv(env_file.read_bytes())
    assert variables["GREENGATE_STATUS"] == "pass"
    assert variables["GREENGATE_RULE"] == "tests"


def test_over_budget_the_job_fails_and_code_quality_points_at_the_rule(
    tmp_path: Path, image: PipelineImage
) -> None:
    project = make_project(tmp_path, policy(TIGHT))
    run = run_pipeline(project, image)
    assert run.returncode != 0, run.log
    assert verdict(run)["status"] == "fail"
    assert junit(run.report("junit").read_bytes()) == [
        ("greengate.test", "energy budget", "failed")
    ]
    (issue,) = code_quality(run.report("codequality").read_text("utf-8")).values()
    assert issue["severity"] == "critical"
    assert issue["location"] == {"path": "greengate.yml", "lines": {"begin": 5}}
    figures = metrics(run.report("metrics").read_text("utf-8"))
    assert float(figures["greengate_budget_usage_ratio{job=test,quantity=energy}"]) > 1


def test_the_job_runs_in_merge_request_pipelines_and_once_per_push(tmp_path: Path) -> None:
    require_gitlab_ci_local()
    project = make_project(tmp_path, policy(GENEROUS), branch="feature")
    branch_push = {"CI_PIPELINE_SOURCE": "push"}
    assert jobs_gitlab_creates(
        project, variables=merge_request("feature"), unset=["CI_COMMIT_BRANCH"]
    ) == ["test"]
    assert jobs_gitlab_creates(project, variables=branch_push) == ["test"]
    # The branch pipeline of a branch with an open merge request would run the job twice.
    open_mr = {**branch_push, "CI_OPEN_MERGE_REQUESTS": "group/project!7"}
    assert jobs_gitlab_creates(project, variables=open_mr) == []
    tag = {"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": "v1"}
    assert jobs_gitlab_creates(project, variables=tag, unset=["CI_COMMIT_BRANCH"]) == ["test"]


def test_a_merge_request_cannot_loosen_its_budget(tmp_path: Path, image: PipelineImage) -> None:
    project = make_project(tmp_path, policy(TIGHT), branch="loosen")
    (project / "greengate.yml").write_text(policy(GENEROUS, mode="warn"), encoding="utf-8")
    git(project, "commit", "-q", "-am", "raise my own budget")
    mr = merge_request("loosen")
    assert jobs_gitlab_creates(project, variables=mr, unset=["CI_COMMIT_BRANCH"]) == ["test"]
    run = run_pipeline(project, image, variables=mr, unset=["CI_COMMIT_BRANCH"])
    assert run.returncode != 0, run.log
    judged = verdict(run)
    assert judged["status"] == "fail"
    assert judged["policy"]["path"] == "refs/remotes/origin/main:greengate.yml"
    assert judged["policy_change"]["ref"] == "refs/remotes/origin/main"
    (issue,) = code_quality(run.report("codequality").read_text("utf-8")).values()
    assert issue["location"]["path"] == "greengate.yml"


def test_code_quality_names_the_file_when_the_merge_request_keeps_the_policy(
    tmp_path: Path, image: PipelineImage
) -> None:
    project = make_project(tmp_path, policy(TIGHT), branch="same-policy")
    run = run_pipeline(
        project, image, variables=merge_request("same-policy"), unset=["CI_COMMIT_BRANCH"]
    )
    assert run.returncode != 0, run.log
    judged = verdict(run)
    assert judged["policy"]["path"] == "refs/remotes/origin/main:greengate.yml"
    assert "policy_change" not in judged
    (issue,) = code_quality(run.report("codequality").read_text("utf-8")).values()
    # A repository path GitLab can show in the merge request's diff, not the ref's name.
    assert issue["location"] == {"path": "greengate.yml", "lines": {"begin": 5}}
    assert (project / issue["location"]["path"]).is_file()


def test_job_wide_a_failing_middle_step_is_judged_by_the_trusted_policy(
    tmp_path: Path, image: PipelineImage
) -> None:
    project = make_project(tmp_path, policy(TIGHT), job_wide=True, branch="loosen")
    (project / "greengate.yml").write_text(policy(GENEROUS, mode="warn"), encoding="utf-8")
    (project / "tests" / "test_app.py").write_text(FAILING_TESTS, encoding="utf-8")
    git(project, "commit", "-q", "-am", "raise my own budget, break a test")
    run = run_pipeline(
        project,
        image,
        pipeline_file=JOB_WIDE_FILE,
        variables=merge_request("loosen"),
        unset=["CI_COMMIT_BRANCH"],
    )
    assert run.returncode != 0, run.log
    assert "the middle step fails" in run.log
    judged = verdict(run)
    # after_script judged the job (its script stopped at pytest) by the target branch's policy.
    assert [lap["name"] for lap in judged["laps"]] == ["setup", "until failure"]
    assert judged["policy"]["path"] == "refs/remotes/origin/main:greengate.yml"
    assert judged["status"] == "fail"


def test_job_wide_within_budget_records_every_lap(tmp_path: Path, image: PipelineImage) -> None:
    project = make_project(tmp_path, policy(GENEROUS), job_wide=True)
    run = run_pipeline(project, image, pipeline_file=JOB_WIDE_FILE)
    assert run.returncode == 0, run.log
    judged = verdict(run)
    assert judged["status"] == "pass"
    assert [lap["name"] for lap in judged["laps"]][:2] == ["setup", "tests"]


HOSTILE_JOB = "test #1 \"q\" 's' $(touch PWNED-job) `touch PWNED-tick`"
# Git refuses spaces in branch names: a bare redirection creates the file. (No ${VAR} in
# them: gitlab-ci-local expands variables in --variable values, which GitLab does not.)
HOSTILE_TARGET = 'rel/#2-"q"-$(>PWNED-target)'
HOSTILE_SOURCE = "feat/#1-'q'-`>PWNED-source`;>PWNED-semi"
# A marker as GitLab's older log parser (and gitlab-ci-local's) reads one, in a rule's name.
HOSTILE_RULE = "tests #3 \x1b[0Ksection_end:1:greengate\r\x1b[0K $(touch PWNED-rule)"


def test_hostile_names_execute_nothing_and_break_no_report(
    tmp_path: Path, image: PipelineImage
) -> None:
    project = make_project(tmp_path, policy(TIGHT, name=HOSTILE_RULE))
    git(project, "push", "-q", "origin", f"main:refs/heads/{HOSTILE_TARGET}")
    git(project, "checkout", "-q", "-b", HOSTILE_SOURCE)
    (project / "greengate.yml").write_text(policy(GENEROUS, name=HOSTILE_RULE), encoding="utf-8")
    pipeline = project / PIPELINE_FILE
    text = pipeline.read_text("utf-8")
    pipeline.write_text(text.replace("\ntest:\n", f"\n{json.dumps(HOSTILE_JOB)}:\n"), "utf-8")
    git(project, "commit", "-q", "-am", "hostile names")
    run = run_pipeline(
        project,
        image,
        variables=merge_request(HOSTILE_SOURCE, target=HOSTILE_TARGET),
        unset=["CI_COMMIT_BRANCH"],
    )
    assert run.returncode != 0, run.log  # judged by the target branch's tight policy
    assert sorted(p.name for p in tmp_path.rglob("PWNED*")) == []
    assert not list(Path.cwd().glob("PWNED*"))
    judged = verdict(run)
    assert judged["context"]["job"] == HOSTILE_JOB
    assert judged["context"]["branch"] == HOSTILE_SOURCE
    assert judged["policy"]["path"] == f"refs/remotes/origin/{HOSTILE_TARGET}:greengate.yml"
    assert judged["rule"]["name"] == HOSTILE_RULE
    figures = metrics(run.report("metrics").read_text("utf-8"))
    shown = HOSTILE_JOB.replace("#", "%23")
    assert figures[f"greengate_budget_usage_ratio{{job={shown},quantity=energy}}"]
    (issue,) = code_quality(run.report("codequality").read_text("utf-8")).values()
    assert issue["location"]["path"] == "greengate.yml"
    assert HOSTILE_JOB in issue["description"]
    (env_file,) = (run.artifacts() / ".gitlab-ci-reports" / "dotenv").iterdir()
    assert dotenv(env_file.read_bytes())["GREENGATE_RULE"].endswith("$(touch PWNED-rule)")
    # The rule's name is printed inside greengate's section and ends nothing: gitlab-ci-local
    # reads markers as GitLab's older log parser does and shows "NAME_started", "NAME took".
    log = run.job_log().splitlines()
    started = [i for i, line in enumerate(log) if line.endswith("_started")]
    ended = [i for i, line in enumerate(log) if " took " in line and line.endswith("ms")]
    assert [log[i] for i in started] == ["greengate_started"]
    assert [log[i].split(" took ")[0] for i in ended] == ["greengate"]
    assert log[ended[0] - 1].startswith("  wrote ")  # where greengate itself closed it
    assert any("section_\\end:1:greengate" in line for line in log[started[0] : ended[0]])
