"""``greengate ledger list|export|import|prune``: read and maintain the budget history."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.disclosure.documents import FORMATS, disclosure, instruments
from greengate.disclosure.esrs import Scope
from greengate.durations import DurationError, parse_age
from greengate.errors import UsageError
from greengate.files.atomic import write_text_atomic
from greengate.iso_time import parse_iso
from greengate.ledger.codecarbon_csv import read_emissions_csv
from greengate.ledger.export import rows_to_json, to_csv
from greengate.ledger.history import ledger_location
from greengate.ledger.interface import Ledger, open_ledger
from greengate.ledger.records import RecordFilter
from greengate.ledger.sql import SqlLedger
from greengate.ledger.windows import named_period
from greengate.policy.scope2 import Scope2
from greengate.units import format_count, format_emissions, format_energy

ledger_option = click.option(
    "--ledger",
    "location",
    metavar="PATH|URL",
    help="The ledger (default: $GREENGATE_LEDGER, else .greengate/ledger.db).",
)


def open_from(location: str | None) -> Ledger:
    """The ledger named by --ledger, else by the environment, else the default file."""
    chosen = location or ledger_location(os.environ, None)
    if chosen is None:
        raise UsageError("the ledger is off (GREENGATE_LEDGER=off)", hint="pass --ledger PATH|URL")
    return open_ledger(chosen)


def write_output(path: str, text: str, what: str = "export") -> None:
    """``-o FILE``: written whole or not at all; a path that cannot be written is an error."""
    try:
        write_text_atomic(path, text)
    except OSError as e:
        raise UsageError(f"cannot write the {what} to {path}: {e.strerror or e}") from None


def sql_only(ledger: Ledger, what: str) -> SqlLedger:
    """The ledger as the SQL backend the aggregate reports query."""
    if not isinstance(ledger, SqlLedger):  # pragma: no cover - every backend is SQL today
        raise UsageError(f"ledger {ledger.location}: {what} needs an SQL ledger")
    return ledger


def since_time(text: str | None) -> datetime | None:
    """``--since``: an ISO date/time (UTC unless given) or an age like ``30d``."""
    if text is None:
        return None
    if text.strip().endswith("d"):
        return datetime.now(timezone.utc) - _age("--since", text)
    try:
        moment = parse_iso(text)
        # In UTC now: at year 1 or 9999 an offset crosses the end of the calendar.
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(
            timezone.utc
        )
    except ValueError:
        raise UsageError(
            f"--since {text!r}: expected a date (2026-07-01) or an age (30d)"
        ) from None
    except OverflowError:
        raise UsageError(
            f"--since {text!r}: outside the calendar in UTC (years 1 to 9999)"
        ) from None


def _age(option: str, text: str) -> timedelta:
    try:
        return parse_age(text)
    except DurationError as e:
        raise UsageError(f"{option}: {e}") from None


def period_filter(period: str | None) -> RecordFilter:
    """``--period 2026-Q3`` as a filter."""
    if period is None:
        return RecordFilter()
    try:
        start, end = named_period(period)
    except ValueError as e:
        raise UsageError(f"--period: {e}") from None
    return RecordFilter(since=start, until=end)


@click.group("ledger")
def command() -> None:
    """Read and maintain the budget history (docs/history.md)."""


@command.command("list")
@ledger_option
@click.option("--branch", help="Only runs on this branch.")
@click.option("--job", help="Only runs of this job.")
@click.option("--since", help="Only runs since a date (2026-07-01) or an age (30d).")
@click.option("--limit", type=AsciiIntRange(min=1), default=50, show_default=True)
def list_runs(
    location: str | None, branch: str | None, job: str | None, since: str | None, limit: int
) -> int:
    """The newest runs, oldest first."""
    with open_from(location) as ledger:
        where = RecordFilter(branch=branch, job=job, since=since_time(since), limit=limit)
        records = list(ledger.records(where))
    if not records:
        click.echo("no runs recorded for this selection")
        return 0
    # A header and aligned columns (issue 19): figures right-aligned so their units line up.
    rows = [
        (
            f"{r.recorded_at:%Y-%m-%d %H:%M}",
            r.status.value,
            r.repository or "-",
            r.branch or "-",
            r.job or "-",
            format_energy(r.energy_kwh),
            format_emissions(r.emissions_kg),
            "rerun" if r.rerun else "",
        )
        for r in records
    ]
    header = ("recorded (UTC)", "status", "repository", "branch", "job", "energy", "emissions")
    table = [(*header, ""), *rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        cells = [
            cell.rjust(width) if i >= 5 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=False))
        ]
        click.echo("  ".join([*cells, row[-1]]).rstrip())
    return 0


@command.command("export")
@ledger_option
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "json", *FORMATS]),
    default="csv",
    help="csv/json: runs and totals; esrs (JSON), esrs-csv: ESRS E1-5/E1-6 figures; "
    "sci (JSON), sci-csv: the SCI disclosure per job (docs/esrs.md).",
)
@click.option("--period", help="2026, 2026-Q3 or 2026-07 (UTC); default: everything.")
@click.option("--repository", help="Boundary: only this repository's runs (default: all).")
@click.option(
    "--policy",
    "policy_path",
    metavar="PATH",
    help="Where esrs reads the scope2 instruments (default: greengate.yml if there is one).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File (default stdout).")
def export(
    location: str | None,
    form: str,
    period: str | None,
    repository: str | None,
    policy_path: str | None,
    output: str | None,
) -> int:
    """Runs plus totals per repository, branch and job (location-based scope 2), or a
    disclosure: ESRS E1 energy and Scope 2, SCI per job."""
    where = replace(period_filter(period), repository=repository)
    scope2, read = instruments(policy_path) if form.startswith("esrs") else (Scope2(), None)
    with open_from(location) as ledger:
        if form in FORMATS:
            scope = Scope(where.since, where.until, repository, read)
            text = disclosure(form, ledger, where, scope, scope2)
        elif form == "csv":
            text = to_csv(ledger.export_rows(where), ledger.totals(where))
        else:
            totals = ledger.totals(where)
            text = rows_to_json(ledger.export_rows(where), totals, where.since, where.until)
    if output:
        write_output(output, text)
    else:
        click.echo(text, nl=False)
    return 0


@command.command("import")
@ledger_option
@click.argument("csv_path", metavar="EMISSIONS_CSV", type=click.Path(dir_okay=False))
@click.option("--branch", help="The branch to file the runs under.")
@click.option("--repository", help="The repository to file the runs under.")
def import_csv(
    location: str | None, csv_path: str, branch: str | None, repository: str | None
) -> int:
    """Add the runs of a codecarbon emissions.csv (project name as the job)."""
    records = read_emissions_csv(csv_path, branch=branch, repository=repository)
    with open_from(location) as ledger:
        count = ledger.insert_many(records)
    click.echo(f"imported {format_count(count, 'run')} from {csv_path}")
    return 0


@command.command("prune")
@ledger_option
@click.option("--older-than", "age", required=True, help="An age like 400d.")
def prune(location: str | None, age: str) -> int:
    """Delete runs older than an age (keep at least a year for annual reports)."""
    before = datetime.now(timezone.utc) - _age("--older-than", age)
    with open_from(location) as ledger:
        count = ledger.prune(before)
    click.echo(f"pruned {format_count(count, 'run')} recorded before {before:%Y-%m-%d}")
    return 0
