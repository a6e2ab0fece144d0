"""``greengate report``: a period's totals, top jobs, trend and rerun waste, as rich tables."""

from __future__ import annotations

from dataclasses import replace

import click
from rich.console import Console
from rich.table import Table

from greengate.cli.ledger import ledger_option, open_from, period_filter
from greengate.ledger.summary import Summary, summarise
from greengate.units import format_emissions, format_energy


def render(summary: Summary, title: str, console: Console) -> None:
    """The summary as three tables."""
    totals = Table(title=title)
    for column in ("runs", "energy", "emissions", "reruns", "rerun waste"):
        totals.add_column(column, justify="right")
    share = summary.rerun_emissions_kg / summary.emissions_kg if summary.emissions_kg else 0.0
    totals.add_row(
        str(summary.runs),
        format_energy(summary.energy_kwh),
        format_emissions(summary.emissions_kg),
        str(summary.reruns),
        f"{format_emissions(summary.rerun_emissions_kg)} ({share:.0%})",
    )
    console.print(totals)
    top = Table(title="Top jobs by emissions")
    for column in ("repository", "job", "runs", "energy", "emissions"):
        top.add_column(
            column, justify="right" if column in ("runs", "energy", "emissions") else "left"
        )
    for job in summary.top_jobs:
        top.add_row(
            job.repository or "?",
            job.job or "?",
            str(job.runs),
            format_energy(job.energy_kwh),
            format_emissions(job.emissions_kg),
        )
    console.print(top)
    trend = Table(title="Trend")
    trend.add_column("month")
    trend.add_column("emissions", justify="right")
    for month, kg in summary.trend:
        trend.add_row(month, format_emissions(kg))
    console.print(trend)


@click.command("report")
@ledger_option
@click.option("--period", help="2026, 2026-Q3 or 2026-07 (UTC); default: everything.")
@click.option("--branch", help="Only runs on this branch.")
@click.option("--job", help="Only runs of this job.")
@click.option("--top", type=click.IntRange(min=1), default=5, show_default=True)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Write the trend report as one self-contained HTML file (docs/report.md).",
)
@click.option(
    "--policy",
    envvar="GREENGATE_POLICY",
    help="Policy whose windows and regression rule the HTML report draws "
    "(default: greengate.yml when it exists).",
)
def command(
    location: str | None,
    period: str | None,
    branch: str | None,
    job: str | None,
    top: int,
    html_path: str | None,
    policy: str | None,
) -> int:
    """Summarise a period of the budget history on the console, or as an HTML report."""
    where = replace(period_filter(period), branch=branch, job=job)
    if html_path is not None:
        from greengate.cli.report_html import write_html_report

        click.echo(write_html_report(location, where, period, policy, html_path, top))
        return 0
    with open_from(location) as ledger:
        records = ledger.records(where)
    render(summarise(records, top), f"greengate report: {period or 'all time'}", Console())
    return 0
