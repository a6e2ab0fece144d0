"""What ``run`` and ``check`` share: options to settings, reporters, publishing, exit code."""

from __future__ import annotations

import os
import sys

import click

from greengate.cli.errors import debug_requested
from greengate.cli.options import GateOptions
from greengate.gate.flow import GateResult
from greengate.gate.publish import publish
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.registry import build_reporters


def reporters_for(options: GateOptions) -> list[Reporter]:
    """Built before the command runs, so an unknown ``--report`` name stops it early."""
    target = ReportTarget(sys.stdout, sys.stderr, dict(os.environ))
    return build_reporters(options.reports, target, console=not options.quiet)


def finish(result: GateResult, options: GateOptions, reporters: list[Reporter]) -> None:
    """Write the verdict and reports, then exit with the gate's code."""
    sys.stdout.flush()
    published = publish(result.verdict, verdict_path=options.verdict, reporters=reporters)
    for problem in published.problems:
        click.echo(f"greengate: warning: {problem}", err=True)
    if debug_requested(click.get_current_context(silent=True)):
        for text in published.tracebacks:
            click.echo(text, err=True, nl=False)
    code = result.exit_code
    if code == 0 and not published.verdict_written:
        code = 3  # the verdict is greengate's product; losing it is greengate's failure
    sys.exit(code)
