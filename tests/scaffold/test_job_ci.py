"""The action's start/lap/stop tasks and the `init --ci NAME --job-wide` pipelines."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_action_and_workflows import (
    FAKE_GREENGATE,
    ROOT,
    Runner,
    fake_run,
    run_tool,
    step,
    tool,
)

from greengate.scaffold.ci_templates import CI_KINDS, render, write_ci_snippet


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    """A greengate that records its argv (the action tests' fake)."""
    directory = tmp_path / "fake-bin"
    directory.mkdir()
    exe = directory / "greengate"
    exe.write_text(FAKE_GREENGATE)
    exe.chmod(0o755)
    return directory


JOB_EXAMPLES = {
    "github": ROOT / "examples" / "github-workflow-job.yml",
    "gitlab": ROOT / "examples" / "job.gitlab-ci.yml",
    "azure": ROOT / "examples" / "job.azure-pipelines.yml",
    "jenkins": ROOT / "examples" / "Jenkinsfile.job",
}


@pytest.mark.parametrize("kind", sorted(CI_KINDS))
def test_job_wide_examples_are_the_templates_rendered(kind: str) -> None:
    assert JOB_EXAMPLES[kind].read_text(encoding="utf-8") == render(
        kind, "greengate.yml", job_wide=True
    ), f"regenerate {JOB_EXAMPLES[kind].name} from render({kind!r}, ..., job_wide=True)"


@pytest.mark.parametrize(
    ("schema", "kind"), [("vendor.gitlab-ci", "gitlab"), ("vendor.azure-pipelines", "azure")]
)
def test_job_wide_examples_match_the_published_schemas(schema: str, kind: str) -> None:
    exe = tool("check-jsonschema")
    assert exe
    variant = ["--regex-variant", "python"] if kind == "azure" else []
    done = run_tool(exe, "--builtin-schema", schema, *variant, str(JOB_EXAMPLES[kind]))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_job_wide_workflow_starts_first_and_stops_under_always() -> None:
    steps = yaml.safe_load(JOB_EXAMPLES["github"].read_text())["jobs"]["test"]["steps"]
    assert steps[0]["with"]["task"] == "start"
    laps = [s for s in steps if s.get("with", {}).get("task") == "lap"]
    assert [s["with"]["lap-name"] for s in laps] == ["setup", "tests"]
    stop = steps[-1]
    assert stop["with"]["task"] == "stop" and stop["if"] == "${{ always() }}"
    assert stop["with"]["matrix"] == "${{ toJSON(matrix) }}"


def test_the_other_pipelines_judge_a_failed_job_too() -> None:
    gitlab = yaml.safe_load(JOB_EXAMPLES["gitlab"].read_text())["test"]
    assert "greengate start" in gitlab["before_script"]
    assert gitlab["script"][-1] == "greengate stop"  # a failing after_script fails nothing
    assert "greengate stop" in gitlab["after_script"][-1]
    azure = yaml.safe_load(JOB_EXAMPLES["azure"].read_text())["steps"]
    stop = next(s for s in azure if s.get("name") == "greengate")
    assert 'greengate" stop' in stop["script"] and stop["condition"] == "always()"
    jenkins = JOB_EXAMPLES["jenkins"].read_text()
    post = jenkins[jenkins.index("post {") :]
    assert "always {" in post and "greengate stop" in post


def test_init_job_wide_writes_its_own_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    assert write_ci_snippet("gitlab", "greengate.yml", job_wide=True) == (
        "greengate-job.gitlab-ci.yml"
    )
    done = subprocess.run(
        [sys.executable, "-m", "greengate", "init", "--job-wide"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2 and "--job-wide needs --ci" in done.stderr


@pytest.mark.parametrize(
    ("inputs", "argv"),
    [
        ({"task": "start"}, ["start"]),
        ({"task": "lap", "lap-name": "-rf; build"}, ["lap", "--", "-rf; build"]),
        (
            {"task": "stop", "matrix": '{\n  "python": "3.12"\n}'},
            [
                "stop",
                "--policy", "greengate.yml",
                "--verdict", "greengate-verdict.json",
                "--job-key", '{\n  "python": "3.12"\n}',
            ],
        ),
        ({"task": "stop", "matrix": "null"}, ["stop", "--policy", "greengate.yml", "--verdict",
                                              "greengate-verdict.json"]),
    ],
)  # fmt: skip
def test_tasks_reach_greengate_verbatim(
    tmp_path: Path, fake_bin: Path, inputs: dict[str, str], argv: list[str]
) -> None:
    got, _, done, pid_offset = fake_run(tmp_path, fake_bin, inputs)
    assert done.returncode == 0, done.stderr
    assert got == argv
    assert pid_offset == 0  # exec'd: the runner's signals reach greengate


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"task": "lap"}, "the task lap needs the input lap-name"),
        ({"task": "run"}, "the task run needs the input command"),
        ({"task": "measure"}, "must be run, start, lap or stop"),
    ],
)
def test_a_task_without_what_it_needs_is_refused(
    tmp_path: Path, fake_bin: Path, inputs: dict[str, str], message: str
) -> None:
    runner = Runner(tmp_path, inputs, {"FAKE_DIR": str(fake_bin)})
    runner.steps["install"] = {"bin": str(fake_bin)}
    done = runner.run("run")
    assert done.returncode == 2 and message in done.stderr
    assert not (fake_bin / "argv").exists()


def test_stop_still_runs_when_the_job_is_cancelled() -> None:
    for step_id in ("python", "install", "run"):
        assert "inputs.task == 'stop'" in step(step_id)["if"]
    for step_id in ("outputs", "comment"):
        assert "(!cancelled() || inputs.task == 'stop')" in step(step_id)["if"]


def test_start_lap_stop_through_the_action_with_the_real_greengate(tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(
        "version: 1\ndefaults:\n  intensity: 300\nbudgets:\n  - max_energy: 1 kWh\n"
    )
    runner = Runner(tmp_path, {"task": "start"})
    assert runner.run("run").returncode == 0
    runner.inputs = {"task": "lap", "lap-name": "build"}
    assert runner.run("run").returncode == 0
    runner.inputs = {"task": "stop", "matrix": '{"os": "ubuntu-24.04"}'}
    done = runner.run("run")
    assert done.returncode == 0, done.stderr
    outputs = runner.run("outputs")
    assert outputs.returncode == 0
    assert runner.steps["outputs"]["status"] == "pass"
    assert (
        runner.steps["outputs"]["artifact-name"] == "greengate-verdict-unit-tests-os-ubuntu-24.04"
    )
    verdict = yaml.safe_load((tmp_path / "greengate-verdict.json").read_text())
    assert verdict["laps"][0]["name"] == "build"
    assert verdict["context"]["job_key"] == "os=ubuntu-24.04"
