"""``greengate start``: begin measuring the whole job (machine scope) and return at once."""

from __future__ import annotations

import click

from greengate.cli.job_options import duration_option, job_state, state_option
from greengate.job.session import DEFAULT_MAX_DURATION_S, start_job


@click.command("start")
@state_option
@click.option(
    "--max-duration",
    default="6h",
    show_default=True,
    callback=duration_option,
    envvar="GREENGATE_MAX_DURATION",
    help="The sampler ends by itself after this long (3s, 45m, 6h), stopped or not.",
)
@click.option("--restart", is_flag=True, help="Discard a job still being measured here.")
@click.option(
    "--interval",
    default="1s",
    callback=duration_option,
    hidden=True,
    help="Seconds between samples (tests and benchmarks).",
)
def command(
    state_dir: str | None, max_duration: float | None, restart: bool, interval: float | None
) -> int:
    """Start measuring this machine for the whole CI job, across its steps.

    Leaves a small detached sampler; close laps with 'greengate lap NAME' after the heavy
    steps and judge the job with 'greengate stop' (run it even when a step failed).
    Exit code: 0 started, 2 a job is already being measured here (see --restart).
    """
    state = job_state(state_dir)
    job = start_job(
        state,
        max_duration_s=max_duration or DEFAULT_MAX_DURATION_S,
        interval_s=interval or 1.0,
        restart=restart,
    )
    click.echo(
        f"greengate: measuring the job (sampler pid {job.pid}, state {state.directory}); "
        "close laps with 'greengate lap NAME', end with 'greengate stop'",
        err=True,
    )
    return 0
