"""A small ledger whose every chart figure is known, for the report and badge tests.

Imported by the tests in tests/report/ (pytest puts this directory on ``sys.path``).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledger"))
from test_ledger_backends import ledger_url, make_record  # noqa: F401  (fixture)

from greengate.ledger.interface import open_ledger
from greengate.ledger.records import LedgerRecord
from greengate.policy.loader import load_policy_text
from greengate.policy.model import Policy

NOW = datetime(2026, 7, 20, 12, 0, tzinfo=timezone.utc)
JULY = datetime(2026, 7, 1, tzinfo=timezone.utc)
POLICY_TEXT = """\
version: 1
budgets: [{max_emissions: 10 kg}]
windows:
  - "main: 30 kg per month"
  - {branch: "feature/*", max_energy: 100 kWh, per: 7 days}
regression: {base_branch: main, runs: 10, min_runs: 5}
"""


def policy() -> Policy:
    """The known ledger's policy."""
    return load_policy_text(POLICY_TEXT, "greengate.yml")


def train_energy(day: int) -> float:
    """Energy of main's train run on 1 July + ``day``."""
    return 2.0 + 0.1 * (day % 3)


def known_records() -> list[LedgerRecord]:
    """main/train daily 1-20 July (and a rerun), main/lint 16-20 July, two feature runs."""
    records = [
        make_record(
            recorded_at=JULY + timedelta(days=d, hours=10),
            energy_kwh=train_energy(d),
            emissions_kg=1.0,
            commit=f"c{d}",
        )
        for d in range(20)
    ]
    records.append(
        make_record(recorded_at=JULY + timedelta(days=4, hours=11), commit="c4", rerun=True)
    )
    records += [
        make_record(
            recorded_at=JULY + timedelta(days=15 + d, hours=9),
            job="lint",
            energy_kwh=0.2,
            emissions_kg=0.1,
        )
        for d in range(5)
    ]
    records += [
        make_record(
            recorded_at=JULY + timedelta(days=17 + d, hours=14),
            branch="feature/x",
            base_branch="main",
            energy_kwh=kwh,
            emissions_kg=1.0,
        )
        for d, kwh in enumerate((2.05, 5.0))
    ]
    return records


def fill(location: str) -> None:
    """Store the known records at ``location``."""
    with open_ledger(location) as ledger:
        ledger.insert_many(known_records())
