"""Ledger data as plain JSON/CSV: the verdict's history section and period exports.

Exports are location-based scope-2 figures (the grid average where each run happened),
with totals per repository, branch and job, for a GHG Protocol / CSRD annex.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from greengate.ledger.records import (
    History,
    LedgerRecord,
    RegressionResult,
    Total,
    WindowResult,
)

CSV_FIELDS = (
    "id",
    "recorded_at",
    "repository",
    "workflow",
    "job",
    "branch",
    "commit",
    "run_id",
    "run_attempt",
    "energy_kwh",
    "emissions_kg",
    "intensity_g_per_kwh",
    "status",
    "rerun",
    "source",
)


def _window(w: WindowResult) -> dict[str, Any]:
    return {
        "label": w.label,
        "branch": w.branch,
        "since": w.since.isoformat(),
        "quantity": w.quantity,
        "spent": w.spent,
        "this_run": w.this_run,
        "limit": w.limit,
        "remaining": w.remaining,
        "status": w.status,
    }


def _regression(r: RegressionResult) -> dict[str, Any]:
    return {
        "job": r.job,
        "base_branch": r.base_branch,
        "runs": r.runs,
        "needed": r.needed,
        "measured_kwh": r.measured_kwh,
        "median_kwh": r.median_kwh,
        "allowed_kwh": r.allowed_kwh,
        "delta": r.delta,
        "status": r.status,
        "summary": r.describe(),
    }


def history_to_dict(h: History) -> dict[str, Any]:
    """The verdict file's ``history`` section."""
    return {
        "ledger": h.ledger,
        "record_id": h.record_id,
        "rerun": h.rerun,
        "windows": [_window(w) for w in h.windows],
        "regression": _regression(h.regression) if h.regression else None,
        "problem": h.problem,
    }


def _row(r: LedgerRecord) -> dict[str, Any]:
    return {
        "id": r.id,
        "recorded_at": r.recorded_at.isoformat(),
        "repository": r.repository,
        "workflow": r.workflow,
        "job": r.job,
        "branch": r.branch,
        "commit": r.commit,
        "run_id": r.run_id,
        "run_attempt": r.run_attempt,
        "energy_kwh": r.energy_kwh,
        "emissions_kg": r.emissions_kg,
        "intensity_g_per_kwh": r.intensity_g_per_kwh,
        "status": r.status,
        "rerun": r.rerun,
        "source": r.source,
    }


def to_csv(rows: Iterable[Sequence[Any]], totals: Iterable[Total]) -> str:
    """One row per run (as Ledger.export_rows gives them), then one ``total`` row per group.

    A total row puts its run count in ``run_id`` and its rerun count in ``rerun``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("row", *CSV_FIELDS))
    writer.writerows(rows)  # straight from the cursor: no object per run
    blank: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    for t in totals:
        row = {**blank, "repository": t.repository, "branch": t.branch, "job": t.job}
        row.update(run_id=t.runs, energy_kwh=t.energy_kwh, emissions_kg=t.emissions_kg)
        row.update(rerun=t.reruns)
        writer.writerow(("total", *row.values()))
    return out.getvalue()


def to_json(
    records: list[LedgerRecord],
    totals: Iterable[Total],
    since: datetime | None,
    until: datetime | None,
) -> str:
    """Runs and totals as one JSON document, with the period and the accounting basis."""
    document = {
        "period": {
            "start": since.isoformat() if since else None,
            "end": until.isoformat() if until else None,
        },
        "basis": "scope 2, location-based: each run's energy x its grid's average intensity",
        "units": {"energy": "kWh", "emissions": "kg CO2e"},
        "totals": [t.__dict__ for t in totals],
        "runs": [_row(r) for r in records],
    }
    return json.dumps(document, indent=2) + "\n"
