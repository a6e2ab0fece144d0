"""ESRS and SCI exports of a year of runs: summed in SQL, beside summing records in Python.

    python bench/disclosure.py [--records 100000] [--rounds 5] [--ledger PATH|postgresql://...]

Fills a ledger with a year of runs across four grids (one without a zone, as runs recorded
before schema 2 are), bands, tiers and functional units, then times each disclosure format
(open, GROUP BYs, document, text) and, in the same rounds, the alternative the design
rejected: every record as a Python object (``Ledger.records``) and the Scope 2 figure summed
from them. Both give the same location-based figure or the bench stops.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from greengate.disclosure.documents import FORMATS, disclosure
from greengate.disclosure.esrs import Scope
from greengate.ledger.interface import Ledger, open_ledger
from greengate.ledger.records import LedgerRecord, RecordFilter
from greengate.policy.loader import load_policy_text
from greengate.verdict import Status

NOW = datetime.now(timezone.utc)
ZONES = ("FRA", "DEU", "USA/california", None)
POLICY = """
version: 1
budgets: [{max_energy: 1 kWh}]
scope2:
  instruments:
    - {kind: certificate, zone: DEU, coverage: 0.5, source: bench}
  residual_mix:
    - {zone: DEU, intensity: 600 g/kWh, source: bench}
"""


def fill(location: str, count: int) -> None:
    rng = random.Random(1)
    records = []
    for i in range(count):
        energy = rng.uniform(0.5, 1.5)
        records.append(
            LedgerRecord(
                recorded_at=NOW - timedelta(minutes=i * 5),
                repository=f"acme/repo{i % 5}",
                workflow="ci",
                job=f"job{i % 20}",
                branch="main",
                base_branch=None,
                commit=None,
                run_id=str(i),
                run_attempt="1",
                energy_kwh=energy,
                emissions_kg=energy * 0.3,
                intensity_g_per_kwh=300.0,
                status=Status.PASS,
                grid_zone=ZONES[i % 4],
                energy_low_kwh=energy * 0.8,
                energy_high_kwh=energy * 1.3,
                tiers="cpu=profile,memory=coefficient",
                scope="machine",
                embodied_kg=0.001,
                unit_name="tests" if i % 2 else None,
                unit_count=400.0 if i % 2 else None,
            )
        )
    with open_ledger(location) as ledger:
        for start in range(0, count, 10_000):
            ledger.insert_many(records[start : start + 10_000])


def in_python(ledger: Ledger) -> float:
    """The location-based t CO2e from every record as an object: the rejected design."""
    return sum(r.energy_kwh * r.intensity_g_per_kwh for r in ledger.records()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--ledger", help="default: a fresh SQLite file in a temp dir")
    args = parser.parse_args()
    location = args.ledger or os.path.join(tempfile.mkdtemp(), "ledger.db")
    fill(location, args.records)
    scope2 = load_policy_text(POLICY, "bench.yml").scope2
    scope = Scope(None, None, None, "bench.yml")
    where = RecordFilter()
    work: dict[str, Callable[[Ledger], object]] = {
        form: (lambda ledger, f=form: disclosure(f, ledger, where, scope, scope2))
        for form in FORMATS
    }
    work["records in Python"] = in_python
    took: dict[str, list[float]] = {name: [] for name in work}
    results: dict[str, object] = {}
    for _ in range(args.rounds):
        for name, job in work.items():
            started = time.perf_counter()
            with open_ledger(location) as ledger:
                results[name] = job(ledger)
            took[name].append(time.perf_counter() - started)
    sql = json.loads(str(results["esrs"]))["scope2_location_based_tco2e"]
    if abs(sql - float(results["records in Python"])) > 1e-9 * max(abs(sql), 1):  # type: ignore[arg-type]
        sys.exit(f"the SQL figure {sql} differs from the records' sum")
    print(f"{args.records} runs, {args.rounds} rounds interleaved; median (min) wall time")
    for name, times in took.items():
        print(f"  {name:<18} {statistics.median(times):.3f} s ({min(times):.3f} s)")


if __name__ == "__main__":
    main()
