"""What ``run`` and ``check`` share: options to settings, reporters, publishing, exit code."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping

import click

from greengate import exit_codes
from greengate.cli.errors import debug_requested
from greengate.cli.options import GateOptions
from greengate.gate.flow import GateResult, Prepared
from greengate.gate.guard import CommandGuard
from greengate.process.cancel import CancelWatch
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.registry import ChosenReporters, choose_reporters, reporter_class
from greengate.web.redaction import redact

# What only the end of a run needs: imported while the command runs (warm_up), else there.
END_OF_RUN = (
    "greengate.gate.judge",
    "greengate.gate.recording",
    "greengate.gate.publish",
    "greengate.ledger.sqlite",
)


def environment() -> dict[str, str]:
    """The environment, read once: the same for the run's context, its parts and reporters."""
    return dict(os.environ)


def reporters_for(options: GateOptions, env: Mapping[str, str]) -> ChosenReporters:
    """Chosen before the command runs, so an unknown ``--report`` name stops it early."""
    return choose_reporters(options.reports, env, console=not options.quiet)


def warm_up(chosen: ChosenReporters) -> None:
    """Import the judge, the ledger, the verdict file and the chosen reporters (rich for the
    console) while the command runs: a long command then hides their start-up cost."""
    try:
        for module in END_OF_RUN:
            importlib.import_module(module)
        for name in chosen.names:
            reporter_class(name)
    except Exception:  # the end of the run imports them again, and reports what fails there
        pass


def verdict_guard(prepared: Prepared, options: GateOptions, watch: CancelWatch) -> CommandGuard:
    """The guard every command that writes a verdict runs its judging and reporting in."""
    return CommandGuard(
        policy=prepared.policy,
        rule=prepared.rule,
        context=prepared.context,
        verdict_path=options.verdict,
        watch=watch,
        grace_seconds=0.0,
        report=lambda text: click.echo(f"greengate: warning: {text}", err=True),
        debug=debug_requested(),
    )


def finish(
    result: GateResult, options: GateOptions, chosen: ChosenReporters, env: Mapping[str, str]
) -> int:
    """Write the verdict and reports; the gate's exit code."""
    from greengate.gate.publish import publish

    sys.stdout.flush()

    def build(written: str | None) -> list[Reporter]:
        return chosen.build(ReportTarget(sys.stdout, sys.stderr, env, written))

    published = publish(result.verdict, verdict_path=options.verdict, reporters=build)
    for problem in published.problems:
        click.echo(f"greengate: warning: {redact(problem)}", err=True)
    if debug_requested():
        for text in published.tracebacks:
            click.echo(text, err=True, nl=False)
    elif published.tracebacks:  # a reporter's bug: say how to see it, as the handler does
        click.echo(
            "greengate: rerun with --debug or GREENGATE_DEBUG=1 for the report's traceback",
            err=True,
        )
    if result.exit_code == exit_codes.OK and not published.verdict_written:
        return exit_codes.NOT_MEASURED  # the verdict is greengate's product: losing it fails
    return result.exit_code
