"""The ledger through a real ``greengate run``: the second run's verdict sees the first's spend."""

from __future__ import annotations

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
