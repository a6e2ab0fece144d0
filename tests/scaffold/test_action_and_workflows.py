"""The GitHub Action, the project's workflows, the CI examples and ``init --ci`` templates.

Three kinds of check: the published validators (check-jsonschema's vendored GitHub, GitLab
and Azure schemas, zizmor, actionlint and shellcheck; the last two come from
.ci/install-linters, and skip locally without them but fail in CI); the rules this project
keeps (pins, permissions, no expressions inside ``run:``); and the action's own steps run
by bash exactly as the runner would, with their ``env:`` wired from the inputs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from factories import failing_verdict, passing_verdict, warning_verdict

from greengate.cli import cli
from greengate.errors import UsageError
from greengate.scaffold.ci_templates import CI_KINDS, render, write_ci_snippet
from greengate.verdict_file.verdict_json import verdict_to_json

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
# Every GitHub workflow among the examples is checked like the project's own.
GITHUB_EXAMPLES = sorted((ROOT / "examples").glob("github-workflow*.yml"))
EXAMPLES = {
    "github": ROOT / "examples" / "github-workflow.yml",
    "gitlab": ROOT / "examples" / ".gitlab-ci.yml",
    "azure": ROOT / "examples" / "azure-pipelines.yml",
    "jenkins": ROOT / "examples" / "Jenkinsfile",
}
SHA_PIN = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
BIN = Path(sys.executable).parent


def tool(name: str) -> str | None:
    """A command-line tool from this venv first, then from PATH."""
    return shutil.which(name, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120)


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def all_steps(document: Any) -> Iterator[dict[str, Any]]:
    """Every step of a workflow's jobs, or of a composite action."""
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in (document.get("jobs") or {}).values():
        yield from job.get("steps", [])


GITHUB_FILES = [ROOT / "action.yml", *WORKFLOWS, *GITHUB_EXAMPLES]

# --- published validators --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schema", "path"),
    [("vendor.github-actions", ROOT / "action.yml")]
    + [("vendor.github-workflows", p) for p in [*WORKFLOWS, *GITHUB_EXAMPLES]]
    + [("vendor.gitlab-ci", EXAMPLES["gitlab"]), ("vendor.azure-pipelines", EXAMPLES["azure"])],
    ids=lambda x: x if isinstance(x, str) else x.name,
)
def test_files_match_the_published_schemas(schema: str, path: Path) -> None:
    exe = tool("check-jsonschema")
    assert exe, "check-jsonschema is a test dependency: pip install -e '.[test]'"
    # Azure's schema has regexes only Python's engine reads (a known check-jsonschema note).
    variant = ["--regex-variant", "python"] if schema == "vendor.azure-pipelines" else []
    done = run_tool(exe, "--builtin-schema", schema, *variant, str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_has_no_findings() -> None:
    exe = tool("zizmor")
    assert exe, "zizmor is a test dependency: pip install -e '.[test]'"
    files = [str(p.relative_to(ROOT)) for p in GITHUB_FILES]
    config = ".github/zizmor.yml"
    done = run_tool(exe, "--offline", "--no-progress", "--config", config, *files)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr


# actionlint's WebAssembly build, as .ci/install-linters installs it where no binary is on PATH.
ACTIONLINT_JS = ROOT / "tests" / "tools" / "actionlint.cjs"
ACTIONLINT_WASM = ROOT / "tests" / "tools" / ".actionlint" / "main.wasm"


def actionlint() -> list[str] | None:
    """The actionlint binary (venv or PATH) first, else node running actionlint's wasm build."""
    if exe := tool("actionlint"):
        return [exe]
    node = shutil.which("node")
    return [node, str(ACTIONLINT_JS)] if node and ACTIONLINT_WASM.is_file() else None


# Read at import: the hermetic-environment fixture (conftest.py) removes CI before each test.
IN_CI = os.environ.get("CI") == "true"


def require_tool(found: object, name: str) -> None:
    """Skip without the tool locally; in CI (CI=true) a missing linter fails instead."""
    if found is None:
        why = f"{name} is not installed (.ci/install-linters installs it)"
        if IN_CI:
            pytest.fail(why + "; CI must run it, not skip it", pytrace=False)
        pytest.skip(why)


def test_actionlint_has_no_findings() -> None:
    command = actionlint()
    require_tool(command, "actionlint")
    assert command is not None
    # Workflows only: the actionlint binary reads action.yml through the `uses: ./` steps and
    # checks their inputs against it (the wasm build lints each workflow on its own).
    files = [str(p.relative_to(ROOT)) for p in [*WORKFLOWS, *GITHUB_EXAMPLES]]
    done = run_tool(*command, *files)
    assert done.returncode == 0, done.stdout + done.stderr


def bash_scripts() -> list[tuple[str, str]]:
    scripts = [
        (f"action.yml: {s['name']}", s["run"])
        for s in ACTION["runs"]["steps"]
        if s.get("shell") == "bash"
    ]
    gitlab, azure = load(EXAMPLES["gitlab"]), load(EXAMPLES["azure"])
    scripts.append(("gitlab script", "\n".join(gitlab["test"]["script"])))
    scripts += [("azure script", s["script"]) for s in azure["steps"] if "script" in s]
    return scripts


@pytest.mark.parametrize(("name", "script"), bash_scripts(), ids=lambda x: x[:40])
def test_shell_scripts_pass_shellcheck(name: str, script: str) -> None:
    require_tool(tool("shellcheck"), "shellcheck")
    done = subprocess.run(
        [str(tool("shellcheck")), "-s", "bash", "-"], input=script, capture_output=True, text=True
    )
    assert done.returncode == 0, f"{name}:\n{done.stdout}"


# --- rules this project keeps ----------------------------------------------------------------


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_no_expressions_inside_scripts(path: Path) -> None:
    # An expression in `run:` is pasted into the script before bash reads it: script
    # injection (GitHub docs, "Script injections"). Inputs go through `env:` instead.
    for step in all_steps(load(path)):
        assert "${{" not in step.get("run", ""), step.get("name")
        assert "${{" not in (step.get("with") or {}).get("script", ""), step.get("name")


@pytest.mark.parametrize("path", GITHUB_FILES, ids=lambda p: p.name)
def test_actions_are_pinned_by_commit_sha(path: Path) -> None:
    for step in all_steps(load(path)):
        uses = step.get("uses")
        if uses is None or uses == "./" or uses.startswith("greengate/greengate@"):
            continue  # our own action: `./` here, the release tag in examples (.github/zizmor.yml)
        assert SHA_PIN.fullmatch(uses), uses


@pytest.mark.parametrize("path", [*WORKFLOWS, *GITHUB_EXAMPLES], ids=lambda p: p.name)
def test_workflows_grant_nothing_by_default_and_keep_no_credentials(path: Path) -> None:
    workflow = load(path)
    assert workflow["permissions"] == {}
    for name, job in workflow["jobs"].items():
        assert "permissions" in job, f"job {name} must say what it needs"
    for step in all_steps(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


def test_ci_tests_every_python_lints_and_uses_the_action() -> None:
    jobs = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]
    assert jobs["tests"]["strategy"]["matrix"]["python-version"] == ["3.10", "3.11", "3.12", "3.13"]
    lint = "\n".join(s.get("run", "") for s in jobs["lint"]["steps"])
    for command in ("ruff check", "ruff format --check", "mypy", "actionlint", "zizmor"):
        assert command in lint
    gate = next(s for s in jobs["action"]["steps"] if s.get("id") == "gate")
    assert gate["uses"] == "./" and gate["with"]["policy"] == "examples/greengate.yml"


def test_action_inputs_and_outputs() -> None:
    assert ACTION["runs"]["using"] == "composite"
    inputs = set(ACTION["inputs"])
    assert inputs >= {
        "command",
        "policy",
        "policy-from",
        "job",
        "verdict",
        "country",
        "intensity",
        "python-version",
        "greengate-version",
        "fail-on",
        "working-directory",
        "upload-verdict",
        "comment",
    }
    assert set(ACTION["outputs"]) == {"status", "emissions-kg", "energy-kwh", "verdict"}
    assert ACTION["inputs"]["fail-on"]["default"] == "violation"
    setup = step("python")
    assert setup["with"]["update-environment"] is False  # the user's Python stays untouched
    for s in ACTION["runs"]["steps"]:
        assert "run" not in s or s.get("shell") == "bash", s["name"]


def test_the_measuring_step_execs_greengate() -> None:
    last = step("run")["run"].strip().replace("\\\n", "").splitlines()[-1].split()
    assert last[:5] == [
        "exec",
        '"$GG_BIN/greengate"',
        '"${args[@]}"',
        "--shown-as",
        '"$GG_COMMAND"',
    ]
    assert last[5:7] == ["--", "bash"]


# --- the action's steps, run as the runner runs them -----------------------------------------

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)


def evaluate(value: Any, inputs: Mapping[str, str], steps: Mapping[str, Any], temp: Path) -> str:
    """The few expressions the action's `env:` blocks use: inputs, step outputs, runner.temp."""

    def one(match: re.Match[str]) -> str:
        expr = match.group(1)
        if expr.startswith("inputs."):
            name = expr.removeprefix("inputs.")
            return inputs.get(name, str(ACTION["inputs"][name].get("default", "")))
        if expr == "runner.temp":
            return str(temp)
        parts = expr.split(".")
        if parts[0] == "steps" and parts[2] == "outputs":
            return str(steps.get(parts[1], {}).get(parts[3], ""))
        if parts[0] == "steps" and parts[2] == "outcome":
            return str(steps.get(parts[1], {}).get("outcome", ""))
        raise AssertionError(f"the test's evaluator does not know {expr!r}")

    return EXPRESSION.sub(one, str(value))


def read_outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it: name=value and name<<DELIMITER forms."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines()) if path.exists() else iter(())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for inner in lines:
                if inner == delimiter:
                    break
                value.append(inner)
            outputs[name] = "\n".join(value)
        else:
            name, _, val = line.partition("=")
            outputs[name] = val
    return outputs


class Runner:
    """Runs the action's bash steps one by one, the way the runner does."""

    def __init__(self, tmp: Path, inputs: dict[str, str], env: dict[str, str] | None = None):
        self.tmp, self.inputs = tmp, inputs
        self.steps: dict[str, dict[str, str]] = {
            "python": {"python-path": sys.executable},
            "install": {"bin": str(BIN)},
        }
        self.outcomes: dict[str, str] = {"install": "success"}
        self.base_env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp),
            "RUNNER_TEMP": str(tmp / "runner-temp"),
            "RUNNER_OS": "Linux",
            "GITHUB_ACTIONS": "true",
            "GITHUB_JOB": "unit-tests",
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
            "GREENGATE_CACHE_DIR": os.environ.get("GREENGATE_CACHE_DIR", str(tmp / "cache")),
            **(env or {}),
        }
        (tmp / "runner-temp").mkdir(exist_ok=True)

    def start(self, step_id: str) -> tuple[subprocess.Popen[str], Path]:
        spec = step(step_id)
        context = {
            k: {**self.steps.get(k, {}), "outcome": self.outcomes.get(k, "")}
            for k in {*self.steps, *self.outcomes}
        }
        env = {**self.base_env}
        env.update(
            {
                k: evaluate(v, self.inputs, context, self.tmp / "runner-temp")
                for k, v in spec.get("env", {}).items()
            }
        )
        output = self.tmp / f"output-{step_id}"
        env["GITHUB_OUTPUT"] = str(output)
        script = self.tmp / f"{step_id}.sh"
        script.write_text(spec["run"], encoding="utf-8")
        cwd = self.tmp / evaluate(
            spec.get("working-directory", "."), self.inputs, context, self.tmp
        )
        process = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return process, output

    def run(self, step_id: str) -> subprocess.CompletedProcess[str]:
        process, output = self.start(step_id)
        out, err = process.communicate(timeout=120)
        return self.finish(step_id, process, output, out, err)

    def finish(
        self, step_id: str, process: subprocess.Popen[str], output: Path, out: str, err: str
    ) -> subprocess.CompletedProcess[str]:
        self.steps[step_id] = read_outputs(output)
        self.outcomes[step_id] = "success" if process.returncode == 0 else "failure"
        return subprocess.CompletedProcess(process.args, process.returncode, out, err)


FAKE_GREENGATE = """#!/bin/sh
# Records how the action called greengate, then exits as asked.
printf '%s\\n' "$$" > "$FAKE_DIR/pid"
for arg in "$@"; do printf '%s\\0' "$arg"; done > "$FAKE_DIR/argv"
exit "${FAKE_EXIT:-0}"
"""


@pytest.fixture
def fake_bin(tmp_path: Path) -> Path:
    directory = tmp_path / "fake-bin"
    directory.mkdir()
    exe = directory / "greengate"
    exe.write_text(FAKE_GREENGATE)
    exe.chmod(0o755)
    return directory


def fake_run(
    tmp_path: Path, fake_bin: Path, inputs: dict[str, str], env: dict[str, str] | None = None
) -> tuple[list[str], Runner, subprocess.CompletedProcess[str], int]:
    runner = Runner(tmp_path, inputs, {"FAKE_DIR": str(fake_bin), **(env or {})})
    runner.steps["install"] = {"bin": str(fake_bin)}
    process, output = runner.start("run")
    out, err = process.communicate(timeout=60)
    done = runner.finish("run", process, output, out, err)
    argv = (fake_bin / "argv").read_text().split("\0")[:-1]
    pid = int((fake_bin / "pid").read_text())
    return argv, runner, done, pid - process.pid


# The line the action puts before the command, so an interrupt stops the script (see action.yml).
STOP_ON_INTERRUPT = "trap 'trap - INT; kill -s INT \"$$\"' INT\n"
HOSTILE_COMMAND = "echo \"$(touch pwned)\" `touch pwned2` '${{ github.token }}' %0A::error::x"


def test_inputs_reach_greengate_as_arguments_verbatim(tmp_path: Path, fake_bin: Path) -> None:
    inputs = {
        "command": HOSTILE_COMMAND,
        "policy": "ci/green gate.yml",
        "job": "build; rm -rf /",
        "country": "FRA",
        "intensity": "56",
        "verdict": "out/v.json",
    }
    argv, runner, done, pid_offset = fake_run(tmp_path, fake_bin, inputs)
    assert done.returncode == 0, done.stderr
    assert argv == [
        "run",
        "--policy", "ci/green gate.yml",
        "--verdict", "out/v.json",
        "--job", "build; rm -rf /",
        "--country", "FRA",
        "--intensity", "56",
        "--shown-as", HOSTILE_COMMAND,
        "--",
        "bash", "--noprofile", "--norc", "-eo", "pipefail",
        "-c", STOP_ON_INTERRUPT + HOSTILE_COMMAND,
    ]  # fmt: skip
    assert not list(tmp_path.glob("pwned*")), "the command must reach greengate unexpanded"
    assert pid_offset == 0, "greengate must replace the step's shell (exec) to get its signals"
    assert runner.steps["run"]["gg-verdict"] == str(tmp_path / "out" / "v.json")


def test_empty_inputs_leave_greengate_to_its_defaults(tmp_path: Path, fake_bin: Path) -> None:
    argv, runner, _, _ = fake_run(tmp_path, fake_bin, {"command": "true"})
    before = ["run", "--policy", "greengate.yml", "--verdict", "greengate-verdict.json"]
    assert argv[: argv.index("--")] == [*before, "--shown-as", "true"]
    assert "gg-summary" not in runner.steps["run"]


def test_a_stale_verdict_is_removed_before_the_run(tmp_path: Path, fake_bin: Path) -> None:
    (tmp_path / "greengate-verdict.json").write_text(verdict_to_json(passing_verdict()))
    fake_run(tmp_path, fake_bin, {"command": "true"}, {"FAKE_EXIT": "2"})
    assert not (tmp_path / "greengate-verdict.json").exists()


def test_comment_asks_greengate_for_a_markdown_summary(tmp_path: Path, fake_bin: Path) -> None:
    argv, runner, _, _ = fake_run(tmp_path, fake_bin, {"command": "true", "comment": "true"})
    summary = runner.steps["run"]["gg-summary"]
    assert summary.startswith(str(tmp_path / "runner-temp"))
    assert f"markdown={summary}" in argv


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.mark.parametrize(
    ("event", "given", "expected"),
    [
        ("pull_request", "", "origin/main"),
        ("pull_request_target", "", "origin/main"),
        ("push", "", None),
        ("pull_request", "none", None),
        ("push", "v1.2", "v1.2"),
    ],
)
def test_policy_from_defaults_to_the_pull_requests_base(
    tmp_path: Path, fake_bin: Path, event: str, given: str, expected: str | None
) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    git(tmp_path, *identity, "commit", "-q", "--allow-empty", "-m", "base")
    git(tmp_path, "update-ref", "refs/remotes/origin/main", "HEAD")
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_BASE_REF": "main" if "pull" in event else ""}
    argv, _, done, _ = fake_run(tmp_path, fake_bin, {"command": "true", "policy-from": given}, env)
    assert done.returncode == 0, done.stderr
    found = argv[argv.index("--policy-from") + 1] if "--policy-from" in argv else None
    assert found == expected
    assert "could not fetch" not in done.stderr


def test_a_missing_base_branch_is_fetched_or_reported(tmp_path: Path, fake_bin: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "feature")  # no origin: the fetch fails
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}
    argv, _, done, _ = fake_run(tmp_path, fake_bin, {"command": "true"}, env)
    assert "could not fetch origin/main" in done.stderr
    assert argv[argv.index("--policy-from") + 1] == "origin/main"  # greengate says what to do


POLICY = (
    "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - job: unit-tests\n    max_energy: 1 kWh\n"
)


def test_end_to_end_with_the_real_greengate(tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    runner = Runner(tmp_path, {"command": "echo measured > out.txt", "comment": "true"})
    done = runner.run("run")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.txt").read_text() == "measured\n"
    assert runner.run("outputs").returncode == 0
    outputs = runner.steps["outputs"]
    assert outputs["status"] == "pass"
    assert float(outputs["energy-kwh"]) > 0 and float(outputs["emissions-kg"]) > 0
    assert outputs["verdict"] == str(tmp_path / "greengate-verdict.json")
    assert outputs["artifact-name"] == "greengate-verdict-unit-tests"
    assert Path(runner.steps["run"]["gg-summary"]).read_text(encoding="utf-8").startswith("### ")
    assert "greengate" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_cancelling_the_step_signals_greengate(tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    runner = Runner(tmp_path, {"command": "touch started; sleep 30"})
    process, _ = runner.start("run")
    deadline = time.monotonic() + 20
    while not (tmp_path / "started").exists():  # greengate has started the command
        assert time.monotonic() < deadline and process.poll() is None, "the command never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)  # what the runner sends to the step's process
    _, err = process.communicate(timeout=20)
    assert process.returncode == 128 + signal.SIGTERM, err
    verdict = json.loads((tmp_path / "greengate-verdict.json").read_text())
    assert verdict["command"]["interrupted"] is True


HANDLES_SIGINT = (
    "python3 -c 'import signal, sys, time, pathlib\n"
    "signal.signal(signal.SIGINT, lambda *_: sys.exit(0))\n"
    'pathlib.Path("started").touch()\n'
    "time.sleep(30)'; touch rest-of-the-script-ran"
)


def test_an_interrupt_stops_the_rest_of_the_command_script(tmp_path: Path) -> None:
    # The runner's SIGINT reaches greengate, which signals the command's process group; the
    # command handles it and exits 0, and bash must not go on with the rest of the script.
    (tmp_path / "greengate.yml").write_text(POLICY)
    runner = Runner(tmp_path, {"command": HANDLES_SIGINT})
    process, _ = runner.start("run")
    deadline = time.monotonic() + 20
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline and process.poll() is None, "the command never started"
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert not (tmp_path / "rest-of-the-script-ran").exists(), err
    assert process.returncode == 128 + signal.SIGINT, err
    verdict = json.loads((tmp_path / "greengate-verdict.json").read_text())
    assert verdict["command"]["interrupted"] is True


def write_verdict(tmp_path: Path, text: str) -> Runner:
    runner = Runner(tmp_path, {})
    (tmp_path / "v.json").write_text(text)
    runner.steps["run"] = {"gg-verdict": str(tmp_path / "v.json")}
    return runner


def test_outputs_step_reads_the_verdict(tmp_path: Path) -> None:
    runner = write_verdict(tmp_path, verdict_to_json(failing_verdict()))
    runner.inputs["job"] = "build / linux: x86"
    assert runner.run("outputs").returncode == 0
    assert runner.steps["outputs"] == {
        "status": "fail",
        "energy-kwh": "0.00198",
        "emissions-kg": "0.0016236",
        "verdict": str(tmp_path / "v.json"),
        "artifact-name": "greengate-verdict-build-linux-x86",
    }


def test_outputs_step_without_a_verdict_says_error(tmp_path: Path) -> None:
    runner = write_verdict(tmp_path, "")
    (tmp_path / "v.json").unlink()
    assert runner.run("outputs").returncode == 0
    outputs = runner.steps["outputs"]
    assert (outputs["status"], outputs["verdict"], outputs["energy-kwh"]) == ("error", "", "")


def verdict_text(status: str, exit_code: int = 0) -> str:
    base = {"pass": passing_verdict(), "warn": warning_verdict(), "fail": failing_verdict()}
    data = json.loads(verdict_to_json(base.get(status, passing_verdict())))
    data["status"] = status
    data["command"] = json.loads(verdict_to_json(passing_verdict()))["command"]
    data["command"]["exit_code"] = exit_code
    return json.dumps(data)


@pytest.mark.parametrize(
    ("fail_on", "status", "exit_code", "expected"),
    [
        ("warn", "pass", 0, 0),
        ("warn", "warn", 0, 1),
        ("warn", "fail", 0, 1),
        ("warn", "error", 0, 3),
        ("never", "pass", 0, 0),
        ("never", "warn", 0, 0),
        ("never", "fail", 0, 0),
        ("never", "error", 0, 0),
        ("never", "pass", 3, 3),  # the command's own failure always passes through
        ("never", "fail", 137, 137),
        ("warn", "pass", 2, 2),
    ],
)
def test_fail_on(tmp_path: Path, fail_on: str, status: str, exit_code: int, expected: int) -> None:
    runner = write_verdict(tmp_path, verdict_text(status, exit_code))
    runner.inputs["fail-on"] = fail_on
    runner.steps["outputs"] = {"verdict": str(tmp_path / "v.json")}
    runner.outcomes["run"] = "failure" if expected else "success"
    assert runner.run("decide").returncode == expected


def test_fail_on_when_greengate_wrote_no_verdict(tmp_path: Path) -> None:
    runner = Runner(tmp_path, {"fail-on": "never"})
    runner.steps["outputs"] = {"verdict": ""}
    runner.outcomes["run"] = "failure"
    done = runner.run("decide")
    assert done.returncode == 2 and "before it wrote a verdict" in done.stderr


@pytest.mark.parametrize(
    ("inputs", "env", "message"),
    [
        ({"fail-on": "sometimes"}, {}, "fail-on must be violation, warn or never"),
        ({}, {"RUNNER_OS": "Windows"}, "Linux and macOS runners only"),
    ],
)
def test_install_refuses_what_it_cannot_do(
    tmp_path: Path, inputs: dict[str, str], env: dict[str, str], message: str
) -> None:
    done = Runner(tmp_path, inputs, env).run("install")
    assert done.returncode == 2 and message in done.stderr


COMMENT_HARNESS = """
const fs = require("fs");
const state = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const calls = [];
const github = {
  rest: { issues: {
    listComments: "list",
    updateComment: async (a) => calls.push(["update", a.comment_id, a.body]),
    createComment: async (a) => calls.push(["create", a.issue_number, a.body]),
  } },
  paginate: async (what, args) => {
    calls.push(["list", args.issue_number]);
    return state.comments;
  },
};
const context = { payload: state.payload, repo: { owner: "acme", repo: "widgets" } };
const core = { info: (m) => calls.push(["info", m]), warning: (m) => calls.push(["warning", m]) };
(async () => { %s })().then(() => console.log(JSON.stringify(calls)));
"""


def comment(tmp_path: Path, comments: list[dict[str, Any]], pr: bool = True) -> list[Any]:
    summary = tmp_path / "s.md"
    summary.write_text("### greengate: PASS\n")
    script = step("comment")["with"]["script"]
    (tmp_path / "harness.js").write_text(COMMENT_HARNESS % script)
    state = {"comments": comments, "payload": {"pull_request": {"number": 7}} if pr else {}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    env = {"PATH": os.environ["PATH"], "GG_SUMMARY": str(summary), "GG_JOB": "unit tests"}
    done = subprocess.run(
        ["node", str(tmp_path / "harness.js"), str(tmp_path / "state.json")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result: list[Any] = json.loads(done.stdout)
    return result


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_the_pr_comment_is_created_once_then_updated_in_place(tmp_path: Path) -> None:
    marker = "<!-- greengate:unit%20tests -->"
    first = comment(tmp_path, [{"id": 1, "body": "LGTM"}])
    assert first[-1] == ["create", 7, f"{marker}\n### greengate: PASS\n"]
    others = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "<!-- greengate:lint -->\nx"}]
    again = comment(tmp_path, [*others, {"id": 3, "body": f"{marker}\nold"}])
    assert again[-1] == ["update", 3, f"{marker}\n### greengate: PASS\n"]
    assert comment(tmp_path, [], pr=False) == [
        ["info", "greengate: not a pull request; no comment"]
    ]


# --- pre-commit ------------------------------------------------------------------------------


def test_pre_commit_hook() -> None:
    hooks = load(ROOT / ".pre-commit-hooks.yaml")
    hook = next(h for h in hooks if h["id"] == "greengate-validate")
    assert hook["entry"] == "greengate validate" and hook["language"] == "python"
    files = re.compile(hook["files"])
    for name in ("greengate.yml", "greengate.yaml", "ci/greengate.yml"):
        assert files.search(name), name
    for name in ("mygreengate.yml", "greengate.yml.bak", "greengate.json"):
        assert not files.search(name), name
    clientlib = pytest.importorskip("pre_commit.clientlib")
    clientlib.load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))  # pre-commit's own schema


# --- init --ci templates and the examples ----------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CI_KINDS))
def test_examples_are_the_templates_rendered(kind: str) -> None:
    assert EXAMPLES[kind].read_text(encoding="utf-8") == render(kind, "greengate.yml"), (
        f"regenerate {EXAMPLES[kind].name}: "
        f"python -c \"from greengate.scaffold.ci_templates import render; print(render('{kind}', "
        "'greengate.yml'), end='')\" > " + str(EXAMPLES[kind].relative_to(ROOT))
    )


@pytest.mark.parametrize("policy", ["ci/budgets.yml", "my policies/green gate.yml", "a'b\\c.yml"])
def test_templates_name_any_policy_path_safely(policy: str) -> None:
    assert (
        load_text(render("github", policy))["jobs"]["test"]["steps"][-1]["with"]["policy"] == policy
    )
    assert load_text(render("gitlab", policy))["test"]["variables"]["GREENGATE_POLICY"] == policy
    assert load_text(render("azure", policy))["variables"]["GREENGATE_POLICY"] == policy
    groovy = re.search(r"GREENGATE_POLICY = '((?:[^'\\]|\\.)*)'", render("jenkins", policy))
    assert groovy and re.sub(r"\\(.)", r"\1", groovy.group(1)) == policy


def load_text(text: str) -> Any:
    return yaml.safe_load(text)


def test_init_ci_writes_each_snippet_where_its_ci_reads_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".git").mkdir()  # a repository root
    (tmp_path / "ci").mkdir()
    monkeypatch.chdir(tmp_path / "ci")
    written = {kind: write_ci_snippet(kind, "greengate.yml") for kind in sorted(CI_KINDS)}
    assert written == {
        "azure": "greengate.azure-pipelines.yml",
        "github": os.path.join("..", ".github", "workflows", "greengate.yml"),
        "gitlab": "greengate.gitlab-ci.yml",
        "jenkins": "Jenkinsfile.greengate",
    }
    for kind, path in written.items():
        assert Path(path).read_text(encoding="utf-8") == render(kind, "ci/greengate.yml")
    with pytest.raises(UsageError, match="already exists"):
        write_ci_snippet("github", "greengate.yml")
    with pytest.raises(UsageError, match="unknown CI 'circleci'"):
        write_ci_snippet("circleci", "greengate.yml")


def test_outside_a_repository_snippets_go_beside_the_policy(tmp_path: Path) -> None:
    policy = tmp_path / "greengate.yml"
    path = write_ci_snippet("github", str(policy))
    assert Path(path).resolve() == tmp_path / ".github" / "workflows" / "greengate.yml"


def test_init_ci_through_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    first = CliRunner().invoke(cli, ["init", "--ci", "github"])
    assert first.exit_code == 0, first.output
    assert "wrote github pipeline .github/workflows/greengate.yml" in first.output
    assert Path("greengate.yml").is_file()
    # The project has its policy now: --ci adds only the pipeline, never touching the policy.
    policy = Path("greengate.yml").read_text(encoding="utf-8")
    second = CliRunner().invoke(cli, ["init", "--ci", "jenkins"])
    assert second.exit_code == 0, second.output
    assert Path("Jenkinsfile.greengate").is_file()
    assert Path("greengate.yml").read_text(encoding="utf-8") == policy
    again = CliRunner().invoke(cli, ["init", "--ci", "github"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert CliRunner().invoke(cli, ["init", "--ci", "circleci"]).exit_code == 2


def test_validate_takes_every_file_the_pre_commit_hook_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    Path("greengate.yml").write_text(POLICY)
    Path("a/greengate.yml").write_text(POLICY)
    ok = CliRunner().invoke(cli, ["validate", "greengate.yml", "a/greengate.yml"])
    assert ok.exit_code == 0, ok.output
    Path("a/greengate.yml").write_text("version: 1\nbudgets: []\n")
    bad = CliRunner().invoke(cli, ["validate", "greengate.yml", "a/greengate.yml"])
    assert bad.exit_code == 2 and "a/greengate.yml" in bad.output
