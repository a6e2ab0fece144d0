"""The command line: click only, thin. Parses options, builds core objects, maps errors to codes."""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from greengate import __version__
from greengate.cli.errors import handle_errors


class LazyGroup(click.Group):
    """Imports a subcommand's module only when it runs: ``greengate run`` pays for nothing else."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module = importlib.import_module(self._lazy[cmd_name])
            command: click.Command = module.command
            return command
        return super().get_command(ctx, cmd_name)


SUBCOMMANDS = {
    name: f"greengate.cli.{name}"
    for name in (
        "run",
        "check",
        "validate",
        "init",
        "ledger",
        "report",
        "badge",
        "profiles",
        "start",
        "lap",
        "stop",
    )
}


@click.group(
    cls=LazyGroup,
    lazy=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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


def main() -> None:
    """Entry point of the ``greengate`` console script."""
    with handle_errors(debug="--debug" in sys.argv[1:2]):
        cli.main(prog_name="greengate")
