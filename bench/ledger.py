"""Ledger cost at scale: a run's history work and a full export, with 100,000 records.

    python bench/ledger.py [--records 100000] [--rounds 5] [--ledger PATH|postgresql://...]
                           [--no-fill]

Targets (the budget-history issue): a run's ledger work <= 50 ms, export of all <= 2 s
(issue 4: CSV and JSON). Each export is timed as today's code and as it was before issue 4
(csv.writer on every row; JSON through LedgerRecord objects and json.dumps), rounds
interleaved, and both must give the same text.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from common import GREENGATE, timed

from greengate.context import RunContext
from greengate.gate.history import HistoryFacts, LedgerUnavailable, questions
from greengate.gate.judge import judge
from greengate.gate.recording import judge_and_record
from greengate.ledger.export import CSV_FIELDS, rows_to_json, to_csv
from greengate.ledger.interface import Ledger, open_ledger
from greengate.ledger.records import LedgerRecord, Total
from greengate.measurement import Component, ComponentEnergy, GridIntensity, Measurement
from greengate.policy.loader import load_policy_text
from greengate.verdict import Status, Verdict

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
            status=Status.PASS,
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

        def decide(history: HistoryFacts | LedgerUnavailable | None) -> Verdict:
            return judge(
                policy=policy, rule=policy.budgets[0], context=context,  # noqa: B023
                measurement=measurement, command=None, history=history,  # noqa: B023
            )  # fmt: skip

        started = time.perf_counter()
        now = datetime.now(timezone.utc)
        asked = questions(policy, context, now)
        # open, lock, read spends and baseline, judge, append, close
        judged = judge_and_record(decide, asked, location, open_ledger, now)
        took.append(time.perf_counter() - started)
        assert judged.history is not None and judged.history.problem is None
    return took


def before_csv(rows: Iterable[Sequence[Any]], totals: Iterable[Total]) -> str:
    """to_csv as it was before issue 4: csv.writer on every row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("row", *CSV_FIELDS))
    writer.writerows(rows)
    blank: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    for t in totals:
        row = {**blank, "repository": t.repository, "branch": t.branch, "job": t.job}
        row.update(run_id=t.runs, energy_kwh=t.energy_kwh, emissions_kg=t.emissions_kg)
        row.update(rerun=t.reruns)
        writer.writerow(("total", *row.values()))
    return out.getvalue()


def before_json(records: list[LedgerRecord], totals: Iterable[Total]) -> str:
    """to_json as it was before issue 4 (no period): a dict per run, json.dumps(indent=2)."""
    runs = [
        {
            "id": r.id, "recorded_at": r.recorded_at.isoformat(), "repository": r.repository,
            "workflow": r.workflow, "job": r.job, "branch": r.branch, "commit": r.commit,
            "run_id": r.run_id, "run_attempt": r.run_attempt, "energy_kwh": r.energy_kwh,
            "emissions_kg": r.emissions_kg, "intensity_g_per_kwh": r.intensity_g_per_kwh,
            "status": r.status, "rerun": r.rerun, "source": r.source,
        }
        for r in records
    ]  # fmt: skip
    document = {
        "period": {"start": None, "end": None},
        "basis": "scope 2, location-based: each run's energy x its grid's average intensity",
        "units": {"energy": "kWh", "emissions": "kg CO2e"},
        "totals": [t.__dict__ for t in totals],
        "runs": runs,
    }
    return json.dumps(document, indent=2) + "\n"


# What the CLI's export does with an open ledger, before and after issue 4.
EXPORTS: dict[str, Callable[[Ledger], str]] = {
    "CSV before": lambda ledger: before_csv(ledger.export_rows(), ledger.totals()),
    "CSV after": lambda ledger: to_csv(ledger.export_rows(), ledger.totals()),
    "JSON before": lambda ledger: before_json(ledger.records(), ledger.totals()),
    "JSON after": lambda ledger: rows_to_json(ledger.export_rows(), ledger.totals(), None, None),
}


def time_exports(location: str, rounds: int) -> None:
    """Median wall and CPU time of each export (open, rows, totals, text), rounds interleaved.

    CPU time is this process's own: on a busy machine it says what the export costs, where
    wall time also says how long it waited for a core.
    """
    took: dict[str, list[tuple[float, float]]] = {name: [] for name in EXPORTS}
    texts: dict[str, str] = {}
    for _ in range(rounds):
        for name, export in EXPORTS.items():
            started, cpu = time.perf_counter(), time.process_time()
            with open_ledger(location) as ledger:
                texts[name] = export(ledger)
            took[name].append((time.perf_counter() - started, time.process_time() - cpu))
    for form in ("CSV", "JSON"):
        if texts[f"{form} before"] != texts[f"{form} after"]:
            sys.exit(f"{form}: the export's text differs from before issue 4")
    for name, times in took.items():
        walls, cpus = [w for w, _ in times], [c for _, c in times]
        print(
            f"export to {name:<11} ({len(texts[name]) / 1e6:.1f} MB): "
            f"median {statistics.median(walls):.2f} s (min {min(walls):.2f}), "
            f"CPU {statistics.median(cpus):.2f} s, of {rounds} (target <= 2 s)"
        )


def time_command(location: str, rounds: int) -> None:
    """``greengate ledger export -o FILE``, start-up and writing included."""
    out = Path(tempfile.mkdtemp()) / "export"
    for form in ("csv", "json"):
        argv = [GREENGATE, "ledger", "export", "--ledger", location, "--format", form]
        runs = [timed([*argv, "-o", str(out)], Path.cwd()) for _ in range(rounds)]
        if any(rc for _, _, rc in runs):
            sys.exit(f"{' '.join(argv)} failed")
        walls, cpus = [wall for wall, _, _ in runs], [cpu for _, cpu, _ in runs]
        print(
            f"greengate ledger export --format {form}: median {statistics.median(walls):.2f} s "
            f"(min {min(walls):.2f}), CPU {statistics.median(cpus):.2f} s, of {rounds} "
            "(the command, start-up included)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5, help="of each export (default 5)")
    parser.add_argument("--ledger", help="default: a fresh SQLite file in a temp dir")
    parser.add_argument("--no-fill", action="store_true", help="time an already filled ledger")
    args = parser.parse_args()
    location = args.ledger or os.path.join(tempfile.mkdtemp(), "ledger.db")
    if not args.no_fill:
        started = time.perf_counter()
        fill(location, args.records)
        print(f"filled {args.records} records in {time.perf_counter() - started:.1f} s")
    took = sorted(run_work(location, args.runs))
    print(
        f"a run's ledger work ({args.runs} runs): median {statistics.median(took) * 1000:.1f} ms, "
        f"p95 {took[int(len(took) * 0.95) - 1] * 1000:.1f} ms, max {took[-1] * 1000:.1f} ms "
        "(target <= 50 ms)"
    )
    time_exports(location, args.rounds)
    time_command(location, max(args.rounds // 2, 1))


if __name__ == "__main__":
    main()
