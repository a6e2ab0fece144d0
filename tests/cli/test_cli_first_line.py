"""The first line tells the truth in a CI log (issue 18).

A command that failed is within its budget (it used next to nothing), but a green ``PASS``
headline, a ``PASS`` notice and a ``✅`` summary read as "all is well" on a red step. Each
report says first that the command failed, then the budget's status. Real processes, real
files, as a CI log shows them: not on a terminal.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import Greengate

PY = sys.executable
POLICY = "version: 1\nbudgets:\n  - name: roomy\n    max_emissions: 1 g\n"


@pytest.fixture
def github(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "greengate.yml").write_text(POLICY)
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "outputs.txt"),
    }


@pytest.mark.parametrize(
    ("command", "code", "said"),
    [
        ((PY, "-c", "raise SystemExit(1)"), 1, "the command failed (exit 1)"),
        (("no-such-command-gg",), 127, "command not found (exit 127)"),
        (
            (PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"),
            137,
            "the command was killed by signal 9 (exit 137)",
        ),
    ],
)
def test_a_failed_command_is_the_first_thing_every_report_says(
    greengate: Greengate,
    tmp_path: Path,
    github: dict[str, str],
    command: tuple[str, ...],
    code: int,
    said: str,
) -> None:
    result = greengate("run", "--intensity", "100", "--", *command, env=github)
    assert result.returncode == code  # the command's own code reaches the user
    assert result.verdict()["status"] == "pass"  # the budget verdict itself is unchanged

    first = result.stderr.splitlines()[0]
    assert first.startswith(f" EXIT {code}  greengate: {said}; budget PASS, rule 'roomy'")
    assert not first.startswith(" PASS ")

    annotations = [line for line in result.out.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert annotations[0].startswith("::warning file=greengate.yml,line=3,")
    assert f"title=greengate%3A {said}; budget PASS::" in annotations[0]

    heading = (tmp_path / "summary.md").read_text("utf-8").splitlines()[0]
    assert heading == f"### ❌ greengate: {said}; budget PASS"
    assert "status=pass" in (tmp_path / "outputs.txt").read_text()


def test_a_command_that_succeeds_keeps_the_green_headline(
    greengate: Greengate, tmp_path: Path, github: dict[str, str]
) -> None:
    result = greengate("run", "--intensity", "100", "--", PY, "-c", "pass", env=github)
    assert result.returncode == 0
    assert result.stderr.startswith(" PASS  greengate: rule 'roomy' (greengate.yml:3)")
    assert "::notice file=greengate.yml,line=3,title=greengate%3A PASS::" in result.out
    heading = (tmp_path / "summary.md").read_text("utf-8").splitlines()[0]
    assert heading == "### ✅ greengate: PASS"


def test_quiet_still_says_a_command_was_not_found(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    result = greengate("run", "--quiet", "--intensity", "100", "--", "no-such-command-gg")
    assert result.returncode == 127
    assert result.stderr == "greengate: no-such-command-gg: command not found\n"


def test_quiet_says_nothing_for_a_command_that_ran(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    result = greengate("run", "--quiet", "--intensity", "100", "--", PY, "-c", "exit(3)")
    assert (result.returncode, result.stderr) == (3, "")


def test_not_on_a_terminal_rows_are_not_wrapped(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    long_arg = "x" * 150  # the command row alone is wider than 80 columns
    env = {"COLUMNS": ""}  # unset: rich would fall back to 80 columns
    result = greengate("run", "--intensity", "100", "--", PY, "-c", "pass", long_arg, env=env)
    assert result.returncode == 0
    rows = result.stderr.splitlines()
    # Every line after the headline starts a labelled row: no continuation lines.
    assert all(re.match(r"  [a-z]+ +\S", row) for row in rows[1:]), result.stderr
    energy = next(row for row in rows if row.startswith("  energy"))
    assert re.search(r"; range \S+ \S+ to \S+ \S+$", energy)  # numbers keep their units


def test_columns_still_wraps_where_a_user_asks(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    result = greengate("run", "--intensity", "100", "--", PY, "-c", "pass", env={"COLUMNS": "60"})
    assert max(len(line) for line in result.stderr.splitlines()[1:]) <= 60
