"""``greengate validate [POLICY]``: check a policy file and say what it would do."""

from __future__ import annotations

import click

from greengate.cli.errors import handle_errors
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
        for line in describe_policy(loaded):
            click.echo(line)
        if job is not None or branch is not None:
            click.echo(describe_match(loaded, job, branch))
