"""``greengate run`` end to end, in real processes: exit codes, streams, signals, CI mode.

Every run uses ``--intensity`` (or a policy grid) and limits far from any real figure
(1 g against a few micrograms, 1e-9 g against the same), so the outcome is certain.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, Greengate
from factories import assert_valid_verdict

PY = sys.executable

POLICY = """\
version: 1
defaults:
  country: FRA
budgets:
  - name: tiny
    job: tiny
    max_emissions: 1e-9 g
  - name: tiny but only warned
    job: warned
    max_emissions: 1e-9 g
    mode: warn
  - name: roomy
    max_emissions: 1 g
"""


@pytest.fixture
def policy(tmp_path: Path) -> str:
    (tmp_path / "greengate.yml").write_text(POLICY)
    return "greengate.yml"


def rule_line(policy_file: Path, name: str) -> int:
    """The 1-based line of the rule called ``name``, read from the file."""
    lines = policy_file.read_text().splitlines()
    return next(i for i, line in enumerate(lines, 1) if line.strip() == f"- name: {name}")


def gated(
    greengate: Greengate, *command: str, options: tuple[str, ...] = (), **kw: Any
) -> CliResult:
    return greengate("run", "--intensity", "100", *options, "--", *command, **kw)


def valid_verdict(result: CliResult, name: str = "greengate-verdict.json") -> dict[str, Any]:
    verdict = result.verdict(name)
    assert_valid_verdict(verdict)
    return verdict


def assert_no_traceback(result: CliResult) -> None:
    assert "Traceback" not in result.stderr and "Traceback" not in result.out


# --- pass, fail, warn ---------------------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_within_budget_passes(greengate: Greengate) -> None:
    result = gated(greengate, PY, "-c", "pass")
    assert result.returncode == 0, result.stderr
    verdict = valid_verdict(result)
    assert (verdict["status"], verdict["rule"]["name"]) == ("pass", "roomy")
    m = verdict["measurement"]
    assert m["intensity"]["g_per_kwh"] == 100
    assert m["emissions_kg"] == pytest.approx(m["energy_kwh"] * 100 / 1000)
    assert m["energy_kwh"] > 0


@pytest.mark.usefixtures("policy")
@pytest.mark.parametrize(("options", "code"), [((), 1), (("--violation-exit-code", "42"), 42)])
def test_over_budget_fails(greengate: Greengate, options: tuple[str, ...], code: int) -> None:
    result = gated(greengate, PY, "-c", "pass", options=("--job", "tiny", *options))
    assert result.returncode == code, result.stderr
    verdict = valid_verdict(result)
    assert (verdict["status"], verdict["rule"]["name"]) == ("fail", "tiny")
    assert "FAIL" in result.stderr


@pytest.mark.usefixtures("policy")
def test_over_budget_in_warn_mode_warns_and_exits_0(greengate: Greengate) -> None:
    result = gated(greengate, PY, "-c", "pass", options=("--job", "warned"))
    assert result.returncode == 0, result.stderr
    verdict = valid_verdict(result)
    assert (verdict["status"], verdict["mode"]) == ("warn", "warn")


# --- streams ------------------------------------------------------------------------------

NOISY = (
    "import sys\n"
    "sys.stdout.buffer.write(bytes(range(256)) + b'\\r\\nno newline at the end')\n"
    "sys.stderr.write('from the command on stderr\\n')\n"
)


@pytest.mark.usefixtures("policy")
def test_the_commands_stdout_is_untouched_and_the_summary_is_on_stderr(
    greengate: Greengate,
) -> None:
    result = gated(greengate, PY, "-c", NOISY)
    assert result.returncode == 0, result.stderr
    assert result.stdout == bytes(range(256)) + b"\r\nno newline at the end"
    assert "from the command on stderr" in result.stderr
    assert "PASS" in result.stderr and "roomy" in result.stderr


@pytest.mark.usefixtures("policy")
def test_quiet_prints_nothing_of_greengates(greengate: Greengate) -> None:
    result = gated(greengate, PY, "-c", "print('only me')", options=("--quiet",))
    assert result.returncode == 0
    assert (result.out, result.stderr) == ("only me\n", "")
    valid_verdict(result)  # quiet, yet the verdict is written


# --- the command's own exit code ----------------------------------------------------------


@pytest.mark.usefixtures("policy")
def test_the_commands_failure_passes_through_even_over_budget(greengate: Greengate) -> None:
    result = gated(greengate, PY, "-c", "raise SystemExit(4)", options=("--job", "tiny"))
    assert result.returncode == 4
    verdict = valid_verdict(result)
    assert (verdict["status"], verdict["command"]["exit_code"]) == ("fail", 4)


@pytest.mark.usefixtures("policy")
def test_a_command_that_is_not_found_is_127(greengate: Greengate) -> None:
    result = gated(greengate, "greengate-test-no-such-command")
    assert result.returncode == 127
    assert valid_verdict(result)["command"]["exit_code"] == 127
    assert_no_traceback(result)


@pytest.mark.usefixtures("policy")
def test_a_command_that_is_not_executable_is_126(greengate: Greengate, tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho never\n")
    script.chmod(0o644)
    result = gated(greengate, "./script.sh")
    assert result.returncode == 126
    assert result.out == ""
    assert valid_verdict(result)["command"]["exit_code"] == 126


@pytest.mark.usefixtures("policy")
def test_a_command_killed_by_sigkill_is_137(greengate: Greengate) -> None:
    kill_self = "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"
    result = gated(greengate, PY, "-c", kill_self)
    assert result.returncode == 128 + signal.SIGKILL
    command = valid_verdict(result)["command"]
    assert (command["exit_code"], command["signal"], command["interrupted"]) == (137, 9, False)


TERM_AWARE = """\
import pathlib, signal, sys, time
here = pathlib.Path(sys.argv[1])
def on_term(signum, frame):
    (here / "command-got").write_text(str(signum))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
(here / "ready").write_text("")
time.sleep(30)
"""


@pytest.mark.usefixtures("policy")
def test_sigterm_to_greengate_reaches_the_command_and_is_recorded(tmp_path: Path) -> None:
    (tmp_path / "command.py").write_text(TERM_AWARE)
    argv = [PY, "-m", "greengate", "run", "--intensity", "100", "--", PY, "command.py", "."]
    with open(tmp_path / "out", "wb") as out, open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen(argv, cwd=tmp_path, stdout=out, stderr=err)
        try:
            deadline = time.monotonic() + 30
            while not (tmp_path / "ready").exists():
                assert proc.poll() is None, (tmp_path / "err").read_text()
                assert time.monotonic() < deadline, "the command never started"
                time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 128 + signal.SIGTERM
    assert (tmp_path / "command-got").read_text() == str(int(signal.SIGTERM))
    verdict = CliResult(code, b"", "", tmp_path).verdict()
    assert_valid_verdict(verdict)
    assert verdict["command"]["interrupted"] is True
    assert verdict["command"]["exit_code"] == 143
    assert verdict["measurement"] is not None  # measured up to the interruption


# --- errors before the command: exit 2, command not run -----------------------------------

MARKER = "import pathlib; pathlib.Path('marker').write_text('ran')"


@pytest.mark.parametrize(
    ("policy_text", "options", "says"),
    [
        (None, (), "no such policy file"),
        ("version: 1\nbudgets:\n  - max_emissions: lots\n", (), "greengate.yml:3"),
        ("version: 2\nbudgets: []\n", (), "version"),
        (POLICY, ("--country", "XYZ"), "'XYZ'"),
        (POLICY, ("--intensity", "-5"), "intensity"),
        (POLICY, ("--report", "no-such-reporter"), "no-such-reporter"),
    ],
    ids=["missing", "invalid", "future-version", "unknown-country", "bad-intensity", "reporter"],
)
def test_usage_and_policy_errors_exit_2_without_running_the_command(
    greengate: Greengate,
    tmp_path: Path,
    policy_text: str | None,
    options: tuple[str, ...],
    says: str,
) -> None:
    if policy_text is not None:
        (tmp_path / "greengate.yml").write_text(policy_text)
    result = greengate("run", *options, "--", PY, "-c", MARKER)
    assert result.returncode == 2, result.stderr
    assert not (tmp_path / "marker").exists(), "the command ran"
    assert result.stderr.startswith("greengate: error: ")
    assert says in result.stderr
    assert_no_traceback(result)
    assert not (tmp_path / "greengate-verdict.json").exists()


def test_run_without_a_command_is_a_usage_error(greengate: Greengate, policy: str) -> None:
    result = greengate("run", "--policy", policy)
    assert result.returncode == 2
    assert_no_traceback(result)


# --- GitHub Actions -----------------------------------------------------------------------

GITHUB_POLICY = """\
version: 1
defaults:
  intensity: 100 g/kWh
budgets:
  - name: build on feature branches
    job: build
    branch: "feature/*"
    max_emissions: 1e-9 g
  - name: build elsewhere
    job: build
    max_emissions: 1e-9 g
    mode: warn
  - name: everything else
    max_emissions: 1 g
"""


def read_outputs(path: Path) -> dict[str, str]:
    lines = path.read_text().splitlines()
    assert all("<<" not in line for line in lines), "simple values need no heredoc"
    return dict(line.split("=", 1) for line in lines)


@pytest.mark.parametrize(
    ("job", "head_ref", "rule", "level", "status", "code"),
    [
        ("build", "feature/x", "build on feature branches", "error", "fail", 1),
        ("build", "", "build elsewhere", "warning", "warn", 0),
        ("lint", "feature/x", "everything else", "notice", "pass", 0),
    ],
)
def test_github_actions_annotation_outputs_and_summary(
    greengate: Greengate,
    tmp_path: Path,
    job: str,
    head_ref: str,
    rule: str,
    level: str,
    status: str,
    code: int,
) -> None:
    (tmp_path / "greengate.yml").write_text(GITHUB_POLICY)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_JOB": job,
        "GITHUB_HEAD_REF": head_ref,  # empty on a push
        "GITHUB_REF_NAME": "main" if not head_ref else "17/merge",
    }
    result = greengate("run", "--", PY, "-c", "print('from the command')", env=env)
    assert result.returncode == code, result.stderr

    verdict = valid_verdict(result)
    assert (verdict["status"], verdict["rule"]["name"]) == (status, rule)
    assert verdict["context"]["job"] == job
    assert verdict["context"]["branch"] == (head_ref or "main")

    first, empty, *annotations = result.out.splitlines()
    assert (first, empty) == ("from the command", "")  # greengate's command starts a line
    assert len(annotations) == 1, result.out
    line = rule_line(tmp_path / "greengate.yml", rule)
    assert annotations[0].startswith(f"::{level} file=greengate.yml,line={line},")

    values = read_outputs(outputs)
    assert values["status"] == status
    assert values["verdict"] == "greengate-verdict.json"
    m = verdict["measurement"]
    assert float(values["emissions-kg"]) == pytest.approx(m["emissions_kg"], rel=1e-5)
    assert float(values["energy-kwh"]) == pytest.approx(m["energy_kwh"], rel=1e-5)
    assert rule in summary.read_text()


# --- options from the environment, the verdict file ---------------------------------------


def test_options_from_greengate_variables(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "p.yml").write_text(POLICY)
    (tmp_path / "out").mkdir()
    env = {
        "GREENGATE_POLICY": "policies/p.yml",
        "GREENGATE_VERDICT": "out/v.json",
        "GREENGATE_JOB": "tiny",
        "GREENGATE_INTENSITY": "100",
        "GREENGATE_VIOLATION_EXIT_CODE": "42",
        "GREENGATE_QUIET": "1",
    }
    result = greengate("run", "--", PY, "-c", "pass", env=env)
    assert result.returncode == 42, result.stderr
    assert result.stderr == ""
    verdict = valid_verdict(result, "out/v.json")
    assert verdict["policy"]["path"] == "policies/p.yml"
    assert (verdict["rule"]["name"], verdict["measurement"]["intensity"]["g_per_kwh"]) == (
        "tiny",
        100,
    )
    assert not (tmp_path / "greengate-verdict.json").exists()


@pytest.mark.usefixtures("policy")
def test_the_verdict_is_written_atomically(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "v.json").write_text("an old verdict")
    result = gated(greengate, PY, "-c", "pass", options=("--verdict", "out/v.json"))
    assert result.returncode == 0
    valid_verdict(result, "out/v.json")
    assert os.listdir(tmp_path / "out") == ["v.json"], "a temporary file was left behind"


@pytest.mark.usefixtures("policy")
@pytest.mark.parametrize(("command", "code"), [("pass", 3), ("raise SystemExit(5)", 5)])
def test_a_verdict_that_cannot_be_written_is_a_warning(
    greengate: Greengate, tmp_path: Path, command: str, code: int
) -> None:
    result = gated(greengate, PY, "-c", command, options=("--verdict", "no/such/dir/v.json"))
    assert result.returncode == code  # 3: greengate lost its product; the command's code first
    assert "greengate: warning: cannot write the verdict to no/such/dir/v.json" in result.stderr
    assert_no_traceback(result)
    assert not (tmp_path / "no").exists()


@pytest.mark.usefixtures("policy")
def test_a_verdict_path_that_is_a_directory_is_not_a_written_verdict(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "verdicts").mkdir()
    result = gated(greengate, PY, "-c", "pass", options=("--verdict", "verdicts"))
    assert "greengate: warning: cannot write the verdict to verdicts" in result.stderr
    assert result.returncode == 3
