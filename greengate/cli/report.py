"""``greengate report``: a period's totals, top jobs, trend and rerun waste, as short lists."""

from __future__ import annotations

from dataclasses import replace

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.cli.ledger import ledger_option, open_from, period_filter
from greengate.cli.listing import labelled, output_width, wrapped
from greengate.ledger.summary import Summary, summarise
from greengate.units import format_count, format_emissions, format_energy


def render(summary: Summary, title: str, width: int) -> list[str]:
    """The summary as three short lists: totals, the top jobs, the trend by month."""
    share = summary.rerun_emissions_kg / summary.emissions_kg if summary.emissions_kg else 0.0
    lines = [
        title,
        *labelled(
            [
                ("runs", str(summary.runs)),
                ("energy", format_energy(summary.energy_kwh)),
                ("emissions", format_emissions(summary.emissions_kg)),
                (
                    "rerun waste",
                    f"{format_emissions(summary.rerun_emissions_kg)} ({share:.0%}) in "
                    f"{format_count(summary.reruns, 'rerun')}",
                ),
            ],
            width,
        ),
        "",
        "Top jobs by emissions",
    ]
    for rank, job in enumerate(summary.top_jobs, 1):
        name = f"{job.repository or '?'} {job.job or '?'}"
        figures = (
            f"{format_emissions(job.emissions_kg)}, {format_energy(job.energy_kwh)} in "
            f"{format_count(job.runs, 'run')}"
        )
        lines += wrapped(f"{name}: {figures}", width, first=f"  {rank}. ", rest="     ")
    if not summary.top_jobs:
        lines.append("  none")
    lines += ["", "Trend"]
    lines += labelled([(month, format_emissions(kg)) for month, kg in summary.trend], width)
    if not summary.trend:
        lines.append("  none")
    return lines


@click.command("report")
@ledger_option
@click.option("--period", help="2026, 2026-Q3 or 2026-07 (UTC); default: everything.")
@click.option("--branch", help="Only runs on this branch.")
@click.option("--job", help="Only runs of this job.")
@click.option("--top", type=AsciiIntRange(min=1), default=5, show_default=True)
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
    title = f"greengate report: {period or 'all time'}"
    click.echo("\n".join(render(summarise(records, top), title, output_width())))
    return 0
