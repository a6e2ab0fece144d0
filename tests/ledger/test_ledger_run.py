"""The ledger through a real ``greengate run``: the second run's verdict sees the first's spend."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import Greengate
from factories import assert_valid_verdict

from greengate.ledger.interface import open_ledger

POLICY = """
version: 1
budgets:
  - max_emissions: 1 kg
windows:
  - branch: main
    max_emissions: 10 kg
    per: month
"""


def test_two_runs_charge_the_same_window(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text(POLICY)
    ledger = tmp_path / "history" / "ledger.db"
    env = {"GREENGATE_LEDGER": str(ledger), "GREENGATE_BRANCH": "main", "GREENGATE_JOB": "unit"}
    windows = []
    for _ in range(2):
        result = greengate(
            "run", "--policy", "p.yml", "--intensity", "100", "--", sys.executable, "-c", "pass",
            env=env,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        verdict = result.verdict()
        assert_valid_verdict(verdict)
        (window,) = verdict["history"]["windows"]
        assert window["this_run"] == pytest.approx(verdict["measurement"]["emissions_kg"])
        windows.append(window)
    first, second = windows
    assert first["spent"] == 0 and first["this_run"] > 0
    assert second["spent"] == pytest.approx(first["this_run"])  # the first run, from the ledger
    assert second["remaining"] == pytest.approx(10 - first["this_run"] - second["this_run"])
    assert "history   window main per month on main:" in result.stderr  # the console shows it
    with open_ledger(str(ledger)) as stored:
        assert [(r.branch, r.job, r.status) for r in stored.records()] == [
            ("main", "unit", "pass")
        ] * 2


STRICT = """
version: 1
ledger_failure: fail
budgets:
  - max_emissions: {limit}
"""


@pytest.mark.parametrize(
    ("limit", "status", "code"),
    [("1e-12 g", "fail", 1), ("1 kg", "error", 3)],
)
def test_an_unusable_ledger_under_ledger_failure_fail(
    greengate: Greengate, tmp_path: Path, limit: str, status: str, code: int
) -> None:
    """Over budget, the measured overrun is a FAIL (exit 1), not an ERROR; within budget, the
    unusable ledger makes it an ERROR (exit 3). GitLab's Code Quality says which."""
    (tmp_path / "p.yml").write_text(STRICT.format(limit=limit))
    corrupt = tmp_path / "ledger.db"
    corrupt.write_bytes(b"not a database" * 100)
    result = greengate(
        "run", "--policy", "p.yml", "--intensity", "100", "--report", "gitlab=gl",
        "--", sys.executable, "-c", "pass",
        env={"GREENGATE_LEDGER": str(corrupt), "GREENGATE_JOB": "unit"},
    )  # fmt: skip
    assert result.returncode == code, result.stderr
    verdict = result.verdict()
    assert_valid_verdict(verdict)
    assert verdict["status"] == status
    assert verdict["measurement"] is not None
    assert verdict["history"]["problem"].startswith(f"ledger {corrupt}:")
    assert any(r.startswith("the ledger could not be used") for r in verdict["reasons"])
    (issue,) = json.loads((tmp_path / "gl" / "gl-code-quality-report.json").read_text())
    if status == "fail":
        assert issue["description"].startswith("Job unit: emissions ")
        assert " is over the limit of " in issue["description"]
        assert "could not" not in issue["description"]
        assert "not enforced" not in result.stderr
    else:
        assert issue["description"].startswith(
            "greengate could not judge the run: the ledger could not be used"
        )
