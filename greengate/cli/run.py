"""``greengate run -- CMD``: run a command, measure its whole process tree, gate it."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import click

from greengate.cli.gate_command import environment, finish, reporters_for
from greengate.cli.job_options import job_state
from greengate.cli.options import build_gate_options, gate_options
from greengate.cli.parts import build_parts
from greengate.gate.flow import prepare, run_command
from greengate.job.session import current_lap
from greengate.reporters.progress_line import ProgressLine
from greengate.verdict import JobLap


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
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED, metavar="-- CMD [ARGS]...")
def command(
    argv: tuple[str, ...],
    start_within: str | None,
    job_duration: str | None,
    wait_on_hosted: bool,
    **kwargs: Any,
) -> int:
    """Run CMD (no shell), measure its energy and emissions, and judge it against the policy.

    Exit code: CMD's own when it fails (128+N if killed by signal N, 127 not found, 126 not
    executable); otherwise 0 pass or warn, 1 over budget, 2 usage or policy error, 3 greengate
    could not measure.
    """
    options = build_gate_options(**kwargs)
    env = environment()
    settings = options.settings
    state = job_state(None, env)
    lap = current_lap(state)  # inside a started job: the verdict names the lap it ran in
    prepared = prepare(settings, env, build_parts(env, inside_job=lap is not None))
    if lap is not None:
        prepared = replace(prepared, job_lap=JobLap(lap[0], lap[1], str(state.directory)))
    if start_within:
        from greengate.cli.start_within import plan_wait, wait

        decision = plan_wait(start_within, job_duration, settings, prepared, env, wait_on_hosted)
        wait(decision, options.quiet)
    reporters = reporters_for(options, env)
    progress = None if options.quiet else ProgressLine(sys.stderr)
    result = run_command(argv, settings, prepared, progress)
    return finish(result, options, reporters, env)
