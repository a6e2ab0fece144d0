"""The exact figures behind each chart, as HTML tables (for screen readers, print and copying)."""

from __future__ import annotations

from collections.abc import Sequence

from greengate.report.model import Baseline, BurnDown, JobFigures, Series, Spread
from greengate.report.svg import amount, esc
from greengate.units import format_count


def table(chart_id: str, caption: str, head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """One table, numbers right-aligned, linked back to its chart."""
    header = "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f'<table id="{chart_id}-table"><caption>{esc(caption)} '
        f'<a href="#{chart_id}">(chart)</a></caption><thead><tr>{header}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def timeline_table(
    chart_id: str, caption: str, kind: str, slots: Sequence[str], series: Sequence[Series]
) -> str:
    """Slots down, series across: the sum and its runs in each cell."""
    rows = []
    for i, slot in enumerate(slots):
        cells = [slot]
        for s in series:
            value = s.emissions_kg[i] if kind == "emissions" else s.energy_kwh[i]
            cells.append(f"{amount(kind, value)} ({s.runs[i]})" if s.runs[i] else "")
        rows.append(cells)
    return table(chart_id, caption, ["", *(f"{s.name} (runs)" for s in series)], rows)


def burndown_table(chart_id: str, b: BurnDown) -> str:
    """Each day of a window so far: its runs and the spend at its end."""
    rows = [
        [d.isoformat(), str(runs), amount(b.quantity, spent)]
        for d, runs, spent in zip(b.days, b.runs, b.spent, strict=False)
    ]
    caption = f"Window {b.window}: {b.branch}, limit {amount(b.quantity, b.limit)}"
    return table(chart_id, caption, ["day", "runs", "spent so far"], rows)


def baseline_table(chart_id: str, b: Baseline) -> str:
    """The baseline's figures, then each run drawn against it."""
    median = amount("energy", b.median_kwh) if b.median_kwh is not None else "none"
    allowed = amount("energy", b.allowed_kwh) if b.allowed_kwh is not None else "none"
    caption = (
        f"{b.job} on {b.base_branch}: median {median} of {format_count(b.runs, 'run')} "
        f"({b.needed} needed to judge), allowed increase {allowed}"
    )
    rows = [
        [
            f"{p.recorded_at:%Y-%m-%d %H:%M}",
            p.branch,
            "baseline" if p.baseline else ("above the band" if p.status == "fail" else "within"),
            amount("energy", p.energy_kwh),
        ]
        for p in b.points
    ]
    return table(chart_id, caption, ["time (UTC)", "branch", "against the band", "energy"], rows)


def jobs_table(chart_id: str, caption: str, jobs: Sequence[JobFigures]) -> str:
    """Top jobs with their sums and rerun waste."""
    rows = [
        [
            j.repository,
            j.job,
            str(j.runs),
            amount("energy", j.energy_kwh),
            amount("emissions", j.emissions_kg),
            str(j.reruns),
            amount("emissions", j.rerun_emissions_kg),
        ]
        for j in jobs
    ]
    head = ["repository", "job", "runs", "energy", "emissions", "reruns", "rerun waste"]
    return table(chart_id, caption, head, rows)


def spread_table(chart_id: str, caption: str, spreads: Sequence[Spread]) -> str:
    """Each job's five-number summary of energy per run."""
    rows = [
        [s.job, str(s.runs), *(amount("energy", v) for v in (s.low, s.q1, s.median, s.q3, s.high))]
        for s in spreads
    ]
    head = ["job", "runs", "lowest", "lower quartile", "median", "upper quartile", "highest"]
    return table(chart_id, caption, head, rows)
