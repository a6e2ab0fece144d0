"""``greengate init [PATH]``: write a commented starter policy, never over an existing file."""

from __future__ import annotations

import click

from greengate.cli.errors import handle_errors
from greengate.scaffold import NewFile, starter_policy, write_new_files


def _files(policy_path: str) -> list[NewFile]:
    """What ``init`` creates; an option for a CI system would append its pipeline file here."""
    return [NewFile(policy_path, starter_policy(policy_path), "starter policy")]


@click.command("init")
@click.argument("path", default="greengate.yml", metavar="[PATH]")
@click.pass_context
def command(ctx: click.Context, path: str) -> None:
    """Write a commented starter policy to PATH (default greengate.yml).

    Refuses to overwrite an existing file (exit code 2).
    """
    with handle_errors(debug=bool((ctx.find_root().obj or {}).get("debug"))):
        files = _files(path)
        write_new_files(files)
        for new in files:
            click.echo(f"wrote {new.what} {new.path}")
        click.echo(f"next: edit the limits, then run `greengate validate {path}`")
