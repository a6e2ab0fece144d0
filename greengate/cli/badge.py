"""``greengate badge``: an SVG badge (or shields.io endpoint JSON) from the ledger."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.cli.ledger import ledger_option, open_from, sql_only, write_output
from greengate.cli.report_html import report_policy


@click.command("badge")
@ledger_option
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False), help="File to write."
)
@click.option("--json", "as_json", is_flag=True, help="Write shields.io endpoint-badge JSON.")
@click.option(
    "--branch",
    help="The branch whose window colours the badge (default: the first "
    "window's plain branch name, else all branches).",
)
@click.option("--repository", help="Only runs of this repository (a shared ledger).")
@click.option(
    "--policy",
    envvar="GREENGATE_POLICY",
    help="Policy whose window colours the badge (default: greengate.yml if present).",
)
@click.option(
    "--days",
    type=AsciiIntRange(min=1, max=3660),
    default=30,
    show_default=True,
    help="Span summed when no window applies.",
)
@click.option("--label", default="carbon", show_default=True)
def command(
    location: str | None,
    output: str,
    as_json: bool,
    branch: str | None,
    repository: str | None,
    policy: str | None,
    days: int,
    label: str,
) -> int:
    """Write a badge, 'carbon | 1.2 kg / 30 days', coloured by the budget window's use."""
    from greengate.report.badge import badge_json, badge_svg, make_badge

    chosen, _ = report_policy(policy)
    with open_from(location) as ledger:
        badge = make_badge(
            sql_only(ledger, "a badge"),
            chosen,
            branch,
            datetime.now(timezone.utc),
            repository=repository,
            days=days,
            label=label,
        )
    write_output(output, badge_json(badge) if as_json else badge_svg(badge), "badge")
    click.echo(f"wrote {output}: {badge.label} | {badge.message} ({badge.colour})")
    return 0
