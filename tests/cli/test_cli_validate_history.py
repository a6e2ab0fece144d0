"""``greengate validate`` says what a run would be judged with: where runs are recorded, each
window and how much of it is spent, the regression rule and its baseline (issue 19)."""

from __future__ import annotations

import statistics
from datetime import datetime, timezone
from pathlib import Path

from conftest import Greengate

from greengate.ledger.interface import open_ledger
from greengate.units import format_emissions, format_energy

POLICY = """\
version: 1
defaults: {country: DEU}
budgets:
  - max_emissions: 1 kg
windows:
  - "main: 30 g per month"
  - "release/*: 1 kWh per 7 days"
regression: {base_branch: main, runs: 10, min_runs: 2}
"""


def test_validate_says_where_runs_go_what_windows_have_spent_and_the_baseline(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    fresh = greengate("validate", "--job", "t", "--branch", "main")
    assert fresh.returncode == 0, fresh.stderr
    assert f"runs recorded in: {tmp_path / '.greengate/ledger.db'}" in fresh.out
    assert "  no runs recorded there yet" in fresh.out
    assert not (tmp_path / ".greengate").exists()  # validate reads, never creates
    for _ in range(3):
        run = greengate("run", "-q", "--job", "t", "--branch", "main", "--", "true")
        assert run.returncode == 0, run.stderr
    with open_ledger(str(tmp_path / ".greengate/ledger.db")) as ledger:
        records = ledger.records()
    spent = sum(r.emissions_kg for r in records)
    on_main = greengate("validate", "--job", "t", "--branch", "main").out
    month = datetime.now(timezone.utc).strftime("%Y-%m-01")
    assert f"  main per month: max 30 g CO2e per branch, this period since {month}" in on_main
    assert f"'main' has spent {format_emissions(spent)} of 30 g CO2e (0%) in 3 runs" in on_main
    assert "  release/* per 7 days: max 1 kWh per branch" in on_main
    assert "not charged by branch 'main'" in on_main
    assert (
        "regression: every job, energy against the median of the last 10 passing runs on main"
        in on_main
    )
    assert "  job 't' on main: its runs are the baseline, not compared" in on_main
    feature = greengate("validate", "--job", "t", "--branch", "feature/x").out
    median = statistics.median(r.energy_kwh for r in records)
    baseline = f"  baseline of job 't' on main: median {format_energy(median)} of 3 runs; "
    assert baseline + "a run passes up to " in feature
    assert "'feature/x' has spent" not in feature
    off = greengate("validate", env={"GREENGATE_LEDGER": "off"}).out
    assert "runs recorded: no (the ledger is off)" in off
