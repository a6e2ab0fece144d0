"""The verdict file's ``history`` section: windows, regression, rerun, the ledger's problem."""

from __future__ import annotations

from typing import Any

from greengate.verdict import History, RegressionResult, Status, WindowResult
from greengate.verdict_file.json_values import opt_float, parse_time


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
        "status": w.status.value,
        "enforced": w.enforced,
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
        "status": r.status.value,
        "enforced": r.enforced,
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


def history_from_dict(d: dict[str, Any], enforced: bool) -> History:
    """A History from the ``history`` section; ``enforced`` stands in where a file before
    1.2 did not say (the verdict's mode was enforce)."""
    r = d["regression"]
    return History(
        ledger=d["ledger"],
        record_id=d["record_id"],
        rerun=d["rerun"],
        windows=tuple(
            WindowResult(
                label=w["label"],
                branch=w["branch"],
                since=parse_time(w["since"]),
                quantity=w["quantity"],
                spent=float(w["spent"]),
                this_run=float(w["this_run"]),
                limit=float(w["limit"]),
                status=Status(w["status"]),
                enforced=w.get("enforced", enforced),
            )
            for w in d["windows"]
        ),
        regression=None
        if r is None
        else RegressionResult(
            job=r["job"],
            base_branch=r["base_branch"],
            runs=r["runs"],
            needed=r["needed"],
            measured_kwh=float(r["measured_kwh"]),
            median_kwh=opt_float(r["median_kwh"]),
            allowed_kwh=opt_float(r["allowed_kwh"]),
            status=Status(r["status"]),
            enforced=r.get("enforced", enforced),
        ),
        problem=d["problem"],
    )
