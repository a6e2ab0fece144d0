"""``greengate run -- CMD``: run a command, measure its whole process tree, gate it."""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import click

from greengate.cli.ascii_numbers import AsciiFloat
from greengate.cli.errors import debug_requested
from greengate.cli.gate_command import environment, finish, reporters_for, warm_up
from greengate.cli.options import build_gate_options, gate_options
from greengate.cli.parts import build_parts
from greengate.cli.streams import tolerate_closed_streams
from greengate.durations import MAX_SECONDS
from greengate.gate.flow import prepare, run_command
from greengate.gate.guard import CommandGuard
from greengate.gate.limit_watch import STOP_SIGNALS
from greengate.job.location import JOB_FILE, default_state_dir
from greengate.process.cancel import DEFAULT_GRACE_SECONDS, CancelWatch
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.progress_line import ProgressLine
from greengate.reporters.registry import ChosenReporters


def _grace(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # Bounded as every duration is: 1e308 s would overflow the timer's wait on a cancel.
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise click.BadParameter(f"{value:g} is not a number of seconds from 0 to {MAX_SECONDS:g}")
    return value


@click.command(
    "run",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
)
@gate_options
@click.option(
    "--start-within",
    envvar="GREENGATE_START_WITHIN",
    metavar="DURATION",
    help="Wait up to DURATION (e.g. 6h) for a cleaner grid, when it saves carbon_aware.min_saving.",
)
@click.option(
    "--duration",
    "job_duration",
    envvar="GREENGATE_DURATION",
    metavar="DURATION",
    help="How long CMD runs, for --start-within (default: the hour it starts in).",
)
@click.option(
    "--wait-on-hosted",
    is_flag=True,
    envvar="GREENGATE_WAIT_ON_HOSTED",
    help="Let --start-within wait on a hosted CI runner (refused by default).",
)
@click.option(
    "--grace-period",
    "grace_seconds",
    type=AsciiFloat(),
    default=DEFAULT_GRACE_SECONDS,
    show_default=True,
    envvar="GREENGATE_GRACE_PERIOD",
    callback=_grace,
    metavar="SECONDS",
    help="On cancel (SIGINT/SIGTERM/SIGHUP), SIGKILL the command's tree this long after the "
    "first signal. The default fits GitHub's and Azure's SIGKILL 10 s after their SIGINT.",
)
@click.option(
    "--stop-at-limit",
    is_flag=True,
    envvar="GREENGATE_STOP_AT_LIMIT",
    help="Stop CMD while it runs once its live energy or emissions crosses an enforced limit "
    "(the rule's, or what is left of a window): the stop signal, SIGKILL after the grace "
    "period. Also the rule key stop_at_limit: true.",
)
@click.option(
    "--stop-signal",
    type=click.Choice(sorted(STOP_SIGNALS), case_sensitive=False),
    default="TERM",
    show_default=True,
    envvar="GREENGATE_STOP_SIGNAL",
    help="The signal a stop at the limit sends first (training scripts checkpoint on it).",
)
@click.option(
    "--shown-as",
    "shown",
    metavar="TEXT",
    help="How the verdict and reports show CMD when CMD only wraps what was written (the "
    "GitHub Action passes its command input, which it runs as bash -c); default: CMD.",
)
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD [ARGS]...")
def command(
    argv: tuple[str, ...],
    start_within: str | None,
    job_duration: str | None,
    wait_on_hosted: bool,
    grace_seconds: float,
    stop_at_limit: bool,
    stop_signal: str,
    shown: str | None,
    **kwargs: Any,
) -> int:
    """Run CMD (no shell), measure its energy and emissions, and judge it against the policy.

    Exit code: CMD's own when it fails (128+N if killed by signal N, 127 not found, 126 not
    executable); otherwise 0 pass or warn, 1 over budget, 2 usage or policy error, 3 greengate
    could not measure.
    """
    tolerate_closed_streams()
    # Installed before anything else, kept to the end: a cancel signal is never the default
    # action (death without a verdict) while there is a command outcome to keep.
    with CancelWatch() as watch:
        options = build_gate_options(**kwargs)
        env = environment()
        settings = replace(
            options.settings,
            grace_seconds=grace_seconds,
            stop_at_limit=stop_at_limit,
            stop_signal=STOP_SIGNALS[stop_signal.upper()],
        )
        directory, lap = default_state_dir(env), None
        if (directory / JOB_FILE).is_file():  # inside a started job: the verdict names its lap
            from greengate.job.session import current_lap  # the sampler's code: only then
            from greengate.job.state import JobState

            lap = current_lap(JobState(directory))
        prepared = prepare(settings, env, build_parts(env, inside_job=lap is not None))
        if lap is not None:
            from greengate.laps import JobLap  # only inside a started job

            prepared = replace(prepared, job_lap=JobLap(lap[0], lap[1], str(directory)))
        if start_within:
            from greengate.cli.start_within import plan_wait, wait

            decision = plan_wait(
                start_within, job_duration, settings, prepared, env, wait_on_hosted
            )
            wait(decision, options.quiet)
        reporters = reporters_for(options, env)
        progress = None if options.quiet else ProgressLine(sys.stderr)
        guard = CommandGuard(
            policy=prepared.policy,
            rule=prepared.rule,
            context=prepared.context,
            verdict_path=options.verdict,
            watch=watch,
            grace_seconds=grace_seconds,
            report=lambda text: click.echo(f"greengate: warning: {text}", err=True),
            debug=debug_requested(),
        )
        warn = live_warning(reporters, env)
        with guard:
            result = run_command(
                argv,
                settings,
                prepared,
                progress,
                guard,
                while_running=lambda: warm_up(reporters),
                warn=warn,
                shown=shown,
            )
            guard.completed(result.verdict)
            command = result.verdict.command
            if options.quiet and command is not None and command.start_error is not None:
                # As a shell says it, whatever else is quiet: "sh: 1: nosuch: not found".
                click.echo(f"greengate: {command.argv[0]}: {command.start_error}", err=True)
            return finish(result, options, reporters, env)


def live_warning(chosen: ChosenReporters, env: Mapping[str, str]) -> Callable[[str], None]:
    """A line on stderr while the command runs (the progress line keeps its own bottom row),
    and where the CI shows one, an annotation."""
    built: list[Reporter] = []

    def warn(text: str) -> None:
        click.echo(f"greengate: {text}", err=True)
        if not built:
            built.extend(chosen.build(ReportTarget(sys.stdout, sys.stderr, env)))
        for reporter in built:
            # An annotation must never stop the watch; the line above already says it.
            with contextlib.suppress(Exception):
                reporter.notice(text)

    return warn
