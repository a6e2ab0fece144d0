"""``greengate validate [POLICY]...``: check policy files and say what they would do."""

from __future__ import annotations

import os

import click

from greengate.cli.validate_history import history_lines, now_utc
from greengate.errors import PolicyError, UsageError
from greengate.intensity.interface import zero_figure_note
from greengate.intensity.offline import OfflineIntensity
from greengate.policy.describe import describe_match, describe_policy
from greengate.policy.loader import load_policy
from greengate.units import format_intensity


@click.command("validate")
# Several files for the pre-commit hook, which passes every changed policy at once.
@click.argument("policies", nargs=-1, metavar="[POLICY]...")
@click.option("--job", metavar="NAME", help="Also say which rule a run of job NAME gets.")
@click.option("--branch", metavar="NAME", help="Also say which rule a run on branch NAME gets.")
def command(policies: tuple[str, ...], job: str | None, branch: str | None) -> int:
    """Check each POLICY (default greengate.yml, or $GREENGATE_POLICY) and describe it.

    Exit code: 0 valid, 2 invalid (each problem named by file, line, column and key).
    """
    # Read by hand: click would split a nargs=-1 argument's variable at whitespace.
    default = os.environ.get("GREENGATE_POLICY") or "greengate.yml"
    for policy in policies or (default,):
        loaded = load_policy(policy)
        # An unknown country or region must fail here too, not first in CI.
        try:
            grid = OfflineIntensity().lookup(loaded.defaults.grid)
        except UsageError as e:
            raise PolicyError(e.message, file=policy, key_path="defaults", hint=e.hint) from None
        for line in describe_policy(loaded):
            click.echo(line)
        year = f", {grid.year}" if grid.year else ""
        click.echo(f"grid intensity: {format_intensity(grid.g_per_kwh)} ({grid.source}{year})")
        zero = zero_figure_note(grid)
        if zero is not None:
            click.echo(f"warning: {zero}")
        for line in history_lines(loaded, os.environ, job, branch, now_utc()):
            click.echo(line)
        if job is not None or branch is not None:
            click.echo(describe_match(loaded, job, branch))
    return 0
