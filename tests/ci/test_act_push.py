"""The action on push under act: verdicts, fail-on, exit codes, working-directory, many uses.

One act run of one workflow serves the module (each job installs greengate, which is the
slow part); each test reads its own job.
"""

from __future__ import annotations

import platform
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from act_fixtures import act_parts, new_act, package_index  # noqa: F401 (fixtures)
from act_repos import make_repo
from act_runner import ROOT, USES, Act, ActRun, NewAct
from package_index import PackageIndex

pytestmark = pytest.mark.act

POLICY = """\
version: 1
defaults:
  country: FRA
budgets:
  - name: generous
    job: within
    max_emissions: 1 kg
  - name: tiny
    job: over
    max_energy: 0.000001 mWh
  - name: tiny but forgiven
    job: never
    max_energy: 0.000001 mWh
  - name: tiny in warn mode
    job: warn
    max_energy: 0.000001 mWh
    mode: warn
  - name: anything else
    max_emissions: 1 kg
"""
SUB_POLICY = """\
version: 1
budgets:
  - name: the sub-project's
    max_emissions: 1 kg
"""
# Text that a shell, an expression evaluator or a workflow-command parser would act on.
# The version this checkout builds, which the loopback index serves (package_index.py).
VERSION = re.findall(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(), re.M)[0]
# (No ${{ }} here: in the workflow's own text the runner evaluates it, as it should.)
HOSTILE = "x$(touch pwned1)`touch pwned2`$GITHUB_TOKEN%0A::error::injected;'\"\\"


def gate(step_id: str, **inputs: str) -> dict[str, Any]:
    return {"id": step_id, "uses": USES, "with": inputs}


WORKFLOW = {
    "on": "push",
    "jobs": {
        # Three uses in one job: the second and third reuse the first one's venv.
        "within": {
            "steps": [
                gate("gate", command="echo measured; sleep 0.2"),
                gate("sub", command="true", **{"working-directory": "sub"}),
                gate("hostile", command=f"printf '%s\\n' {shlex.quote(HOSTILE)}", job=HOSTILE),
            ]
        },
        "over": {"steps": [gate("gate", command="true")]},
        "never": {"steps": [gate("gate", command="true", **{"fail-on": "never"})]},
        "warn": {
            "steps": [
                gate("violation", command="true"),
                gate("gate", command="true", **{"fail-on": "warn"}),
            ]
        },
        "exitcode": {"steps": [gate("gate", command="exit 3", **{"fail-on": "never"})]},
        # greengate from the index by its version, as a user pins it
        "pinned": {"steps": [gate("gate", command="true", **{"greengate-version": VERSION})]},
        # The whole job measured in laps, a step failing between them.
        "whole": {
            "steps": [
                gate("start", task="start"),
                {"run": "python3 -c 'sum(range(3_000_000))'"},
                gate("build", task="lap", **{"lap-name": "build"}),
                {"id": "fails", "run": "exit 4"},
                {**gate("stop", task="stop"), "if": "always()"},
            ]
        },
    },
}


@pytest.fixture(scope="module")
def act(new_act: NewAct) -> Act:
    return new_act()


@pytest.fixture(scope="module")
def run(act: Act, tmp_path_factory: pytest.TempPathFactory) -> ActRun:
    repo = make_repo(
        tmp_path_factory.mktemp("push"),
        {"greengate.yml": POLICY, "sub/greengate.yml": SUB_POLICY, "README": "app\n"},
    )
    return act.run(repo, WORKFLOW)


def outputs(run: ActRun, job: str) -> dict[str, Any]:
    """The action's outputs as a later step reads them (``steps.gate.outputs``)."""
    data: dict[str, Any] = run.steps(job)["gate"]["outputs"]
    return data


def test_within_budget_passes_with_outputs_and_a_notice_at_the_rule(run: ActRun) -> None:
    assert run.job_result("within") == "success", run.log
    out = outputs(run, "within")
    assert out["status"] == "pass"
    assert float(out["emissions-kg"]) > 0 and float(out["energy-kwh"]) > 0
    assert Path(out["verdict"]).name == "greengate-verdict.json"
    notices = [c for c in run.annotations("within") if c["stepID"][:2] == ["gate", "run"]]
    assert len(notices) == 1, notices
    assert notices[0]["command"] == "notice"
    assert notices[0]["kvPairs"]["file"] == "greengate.yml"
    line = POLICY.splitlines().index("  - name: generous") + 1
    assert notices[0]["kvPairs"]["line"] == str(line)


def test_over_budget_fails_the_step_and_the_job_with_an_error(run: ActRun) -> None:
    assert run.job_result("over") == "failure"
    errors = run.annotations("over")
    assert [e["command"] for e in errors] == ["error"]
    assert errors[0]["kvPairs"]["file"] == "greengate.yml"
    assert "tiny" in errors[0]["arg"]
    assert run.steps("over")["gate"]["outcome"] == "failure"


def test_fail_on_never_passes_an_overrun_and_still_says_fail(run: ActRun) -> None:
    assert run.job_result("never") == "success", run.log
    assert outputs(run, "never")["status"] == "fail"
    assert run.steps("never")["gate"]["outcome"] == "success"
    assert [e["command"] for e in run.annotations("never")] == ["error"]


def test_fail_on_warn_fails_a_warning_that_violation_lets_pass(run: ActRun) -> None:
    steps = run.steps("warn")
    assert steps["violation"]["outcome"] == "success"
    assert steps["violation"]["outputs"]["status"] == "warn"
    assert steps["gate"]["outcome"] == "failure"
    assert run.job_result("warn") == "failure"


def test_the_commands_own_exit_code_fails_the_job_and_reaches_the_verdict(run: ActRun) -> None:
    assert run.job_result("exitcode") == "failure"
    assert run.steps("exitcode")["gate"]["outcome"] == "failure"
    assert "the command failed with exit code 3" in run.output("exitcode")


def test_working_directory_annotates_the_policy_by_its_repository_path(run: ActRun) -> None:
    notices = [c for c in run.annotations("within") if c["stepID"][:2] == ["sub", "run"]]
    assert [n["kvPairs"].get("file") for n in notices] == ["sub/greengate.yml"]


def test_hostile_job_input_and_command_text_execute_nothing(run: ActRun) -> None:
    assert run.steps("within")["hostile"]["outcome"] == "success"
    # The command printed its text verbatim; nothing in it ran, and none of it became a
    # workflow command of greengate's (the only annotations are the three uses' own).
    assert HOSTILE in run.output("within")
    assert not [line for line in run.untracked("within") if "pwned" in line]
    kinds = [(c["stepID"][0], c["command"]) for c in run.annotations("within")]
    assert kinds == [("gate", "notice"), ("sub", "notice"), ("hostile", "notice")]


def test_the_summary_shows_the_users_command_not_the_actions_wrapper(run: ActRun) -> None:
    summaries = [c["content"] for c in run.commands("within", "summary")]
    first = summaries[0]
    assert "`echo measured; sleep 0.2`" in first
    assert "--noprofile" not in first and "trap" not in first


def test_a_second_use_in_one_job_is_no_rerun_and_leaves_no_ledger_in_the_checkout(
    run: ActRun,
) -> None:
    for summary in (c["content"] for c in run.commands("within", "summary")):
        assert "Rerun" not in summary
    left = run.untracked("within")
    assert not [line for line in left if ".greengate" in line], left


def test_start_lap_stop_judge_the_whole_job_after_a_failing_step(run: ActRun) -> None:
    assert run.job_result("whole") == "failure"
    steps = run.steps("whole")
    assert steps["fails"]["outcome"] == "failure"
    assert steps["stop"]["outcome"] == "success"
    assert steps["stop"]["outputs"]["status"] == "pass"
    summary = run.commands("whole", "summary")[-1]["content"]
    assert "build" in summary
    assert [c["stepID"][0] for c in run.annotations("whole")] == ["stop"]


def test_greengate_version_installs_the_distribution_by_its_name_through_pips_cache(
    run: ActRun, act: Act, package_index: PackageIndex
) -> None:
    assert run.job_result("pinned") == "success", run.log
    assert run.steps("pinned")["gate"]["outputs"]["status"] == "pass"
    assert "/simple/greengate-ci/" in package_index.asked
    assert not [p for p in package_index.asked if p.rstrip("/") == "/simple/greengate"]
    # pip downloaded it into the cached folder, which the cache saved under the version's key.
    key = f"greengate-pip-v1-Linux-X64-{platform.python_version()}-{VERSION}"
    assert any(p.is_file() for p in act.cached(key).rglob("*")), key
