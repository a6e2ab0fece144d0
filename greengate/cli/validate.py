"""``greengate validate [POLICY]``: check a policy file and say what it would do."""

from __future__ import annotations

import click

from greengate.cli.errors import handle_errors
from greengate.errors import PolicyError, UsageError
from greengate.intensity.offline import OfflineIntensity
from greengate.policy.describe import describe_match, describe_policy
from greengate.policy.loader import load_policy


@click.command("validate")
@click.argument("policy", default="greengate.yml", envvar="GREENGATE_POLICY", metavar="[POLICY]")
@click.option("--job", metavar="NAME", help="Also say which rule a run of job NAME gets.")
@click.option("--branch", metavar="NAME", help="Also say which rule a run on branch NAME gets.")
@click.pass_context
def command(ctx: click.Context, policy: str, job: str | None, branch: str | None) -> None:
    """Check POLICY (default greengate.yml, or $GREENGATE_POLICY) and describe it.

    Exit code: 0 valid, 2 invalid (each problem named by file, line, column and key).
    """
    # Handled here as well as in main() so the exit code is the same under click's runner.
    with handle_errors(debug=bool((ctx.find_root().obj or {}).get("debug"))):
        loaded = load_policy(policy)
        # An unknown country or region must fail here too, not first in CI.
        try:
            grid = OfflineIntensity().intensity(loaded.defaults.grid)
        except UsageError as e:
            raise PolicyError(e.message, file=policy, key_path="defaults", hint=e.hint) from None
        for line in describe_policy(loaded):
            click.echo(line)
        year = f", {grid.year}" if grid.year else ""
        click.echo(f"grid intensity: {grid.g_per_kwh:.4g} g CO2e/kWh ({grid.source}{year})")
        if job is not None or branch is not None:
            click.echo(describe_match(loaded, job, branch))
