"""The command line: click only, thin. Parses options, builds core objects, maps errors to codes."""

from __future__ import annotations

import sys

import click

from greengate import __version__
from greengate.cli.errors import handle_errors


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="greengate")
@click.option(
    "--debug",
    is_flag=True,
    envvar="GREENGATE_DEBUG",
    help="Show tracebacks for greengate's own errors.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Measure a command's energy and emissions and gate CI on a carbon budget."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _register() -> None:
    # Imported here so each subcommand module stays independent of the group.
    from greengate.cli import check, init, run, validate

    for module in (run, check, validate, init):
        cli.add_command(module.command)


_register()


def main() -> None:
    """Entry point of the ``greengate`` console script."""
    with handle_errors(debug="--debug" in sys.argv[1:2]):
        cli.main(prog_name="greengate")
