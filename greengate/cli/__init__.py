"""The command line: click only, thin. Parses options, builds core objects, maps errors to codes.

Every subcommand returns its exit code; the root group runs them all inside the one handler
(``greengate.cli.errors.handle_errors``), so ``greengate``, ``python -m greengate`` and
click's test runner exit the same way.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, NoReturn

import click

from greengate import __version__
from greengate.cli.errors import Session, carry_broken_pipe, handle_errors
from greengate.reporters.ci_commands import guard_standard_streams


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


class GreengateGroup(LazyGroup):
    """The root group: the one error handler around parsing and every subcommand."""

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        with carry_broken_pipe():  # --help and --version print while the context is made
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with carry_broken_pipe():
            return super().invoke(ctx)

    def main(  # type: ignore[override]  # returns the code instead of NoReturn
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        """Run the command line; exit with its code, or return it when not standalone."""
        # First: in CI every line printed from here on (click's own too) is defused.
        guard_standard_streams()
        session = Session()

        def dispatch() -> int:
            # standalone_mode=False: click hands errors and the command's value back to us.
            code = super(GreengateGroup, self).main(
                args, prog_name, complete_var, standalone_mode=False, obj=session, **extra
            )
            if not isinstance(code, int):
                # A command that forgot its code would exit 0 whatever it decided.
                raise TypeError(f"a greengate command returned {code!r}, not its exit code")
            return code

        code = handle_errors(session, dispatch)
        if standalone_mode:
            sys.exit(code)
        return code


def _debug_flag(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    # Eager, so a bug while resolving the subcommand already knows --debug was given.
    session = ctx.find_object(Session)
    if session is not None and value:
        session.debug_flag = True
    return value


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
        "when",
        "where",
    )
}


@click.group(
    cls=GreengateGroup,
    lazy=SUBCOMMANDS,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="greengate")
@click.option(
    "--debug",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_debug_flag,
    help="Show tracebacks for greengate's own errors (or set GREENGATE_DEBUG=1).",
)
def cli() -> None:
    """Measure a command's energy and emissions and gate CI on a carbon budget."""


def main() -> int:
    """Entry point of the ``greengate`` console script: the exit code of the command line."""
    code: int = cli.main(prog_name="greengate", standalone_mode=False)
    return code


def console() -> NoReturn:
    """The ``greengate`` console script and ``python -m greengate``: main(), then exit."""
    from greengate.cli.exiting import exit_now

    exit_now(main())
