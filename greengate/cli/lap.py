"""``greengate lap NAME``: close the job's current lap under a step's name."""

from __future__ import annotations

import click

from greengate.cli.job_options import job_state, state_option
from greengate.job.session import close_lap


@click.command("lap")
@state_option
@click.argument("name")
def command(state_dir: str | None, name: str) -> int:
    """Close the current lap of the job as NAME (the step that just ran); returns at once.

    Exit code: 0, or 2 when no 'greengate start' ran with this state directory.
    """
    lap = close_lap(job_state(state_dir), name)
    if lap.note:
        click.echo(f"greengate: warning: lap {name!r}: {lap.note}", err=True)
    return 0
