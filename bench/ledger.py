"""Ledger cost at scale: a run's history work and a full export, with 100,000 records.

    python bench/ledger.py [--records 100000] [--ledger PATH|postgresql://...]

Targets (the budget-history issue): a run's ledger work <= 50 ms, export of all <= 2 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone

from greengate.context import RunContext
from greengate.judge import judge
from greengate.ledger.export import to_csv
from greengate.ledger.history import record_run
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import LedgerRecord
from greengate.measurement import Component, ComponentEnergy, GridIntensity, Measurement
from greengate.policy.loader import load_policy_text

POLICY = """
version: 1
budgets: [{max_emissions: 1 t}]
windows:
  - {branch: main, max_emissions: 100 t, per: quarter}
  - {branch: "*", max_energy: 1000 MWh, per: 30 days}
regression: {base_branch: main, runs: 10}
"""
NOW = datetime.now(timezone.utc)


def fill(location: str, count: int) -> None:
    rng = random.Random(1)
    records = [
        LedgerRecord(
            recorded_at=NOW - timedelta(minutes=i * 5),  # a year of runs, newest first
            repository=f"acme/repo{i % 5}",
            workflow="ci",
            job=f"job{i % 20}",
            branch="main" if i % 3 else f"feature/{i % 50}",
            base_branch=None if i % 3 else "main",
            commit=f"{i // 4:040x}",
            run_id=str(i),
            run_attempt="1",
            energy_kwh=rng.uniform(0.5, 1.5),
            emissions_kg=rng.uniform(0.1, 0.5),
            intensity_g_per_kwh=300.0,
            status="pass",
        )
        for i in range(count)
    ]
    with open_ledger(location) as ledger:
        for start in range(0, count, 10_000):
            ledger.insert_many(records[start : start + 10_000])


def run_work(location: str, runs: int) -> list[float]:
    policy = load_policy_text(POLICY, "bench.yml")
    took = []
    for i in range(runs):
        measurement = Measurement(
            (ComponentEnergy(Component.CPU, 1.0, "bench", "bench"),), 1.0, GridIntensity(300, "b")
        )
        context = RunContext(
            job="job3", branch="feature/x", base_branch="main", repository="acme/repo3",
            commit=f"bench{i}",
        )  # fmt: skip
        verdict = judge(
            policy=policy, rule=policy.budgets[0], context=context,
            measurement=measurement, command=None,
        )  # fmt: skip
        started = time.perf_counter()
        judged = record_run(verdict, policy, location)  # open, baseline, charge, append, close
        took.append(time.perf_counter() - started)
        assert judged.history is not None and judged.history.problem is None
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--ledger", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    location = args.ledger or os.path.join(tempfile.mkdtemp(), "ledger.db")
    started = time.perf_counter()
    fill(location, args.records)
    print(f"filled {args.records} records in {time.perf_counter() - started:.1f} s ({location})")
    took = sorted(run_work(location, args.runs))
    print(
        f"a run's ledger work ({args.runs} runs): median {statistics.median(took) * 1000:.1f} ms, "
        f"p95 {took[int(len(took) * 0.95) - 1] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms "
        "(target <= 50 ms)"
    )
    started = time.perf_counter()
    with open_ledger(location) as ledger:
        text = to_csv(ledger.export_rows(), ledger.totals())
    records = text.count("\nrun,")
    print(
        f"export of {records} records to CSV ({len(text) / 1e6:.1f} MB): "
        f"{time.perf_counter() - started:.2f} s (target <= 2 s)"
    )


if __name__ == "__main__":
    main()
