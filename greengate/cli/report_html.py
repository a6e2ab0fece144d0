"""The ``--html`` half of ``greengate report``: choose the policy, build, write atomically."""

from __future__ import annotations

import os
from datetime import datetime, timezone

from greengate.cli.ledger import open_from, sql_only, write_output
from greengate.ledger.records import RecordFilter
from greengate.policy.loader import load_policy
from greengate.policy.model import Policy
from greengate.units import format_count

DEFAULT_POLICY = "greengate.yml"


def report_policy(path: str | None) -> tuple[Policy | None, str | None]:
    """The named policy (errors if it is bad), else greengate.yml if present, else a note."""
    if path is not None:
        return load_policy(path), None
    if os.path.exists(DEFAULT_POLICY):
        return load_policy(DEFAULT_POLICY), None
    return None, (
        f"budget windows and the regression baseline: no policy ({DEFAULT_POLICY} not found "
        "here; pass --policy)"
    )


def write_html_report(
    location: str | None,
    where: RecordFilter,
    period: str | None,
    policy_path: str | None,
    path: str,
    top: int,
) -> str:
    """Write the report to ``path``; returns the line to print."""
    from greengate.report.build import build_report
    from greengate.report.html import render_html

    policy, note = report_policy(policy_path)
    with open_from(location) as ledger:
        report = build_report(
            sql_only(ledger, "the HTML report"),
            where,
            policy,
            datetime.now(timezone.utc),
            period=period,
            top=top,
            policy_note=note,
        )
    write_output(path, render_html(report), "report")
    if not report.totals.runs:
        return f"wrote {path}: the ledger holds no runs for this selection (an empty report)"
    return f"wrote {path}: {format_count(report.totals.runs, 'run')} ({report.scope})"
