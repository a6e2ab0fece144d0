"""``greengate check --measurement FILE``: gate a measurement made elsewhere."""

from __future__ import annotations

from typing import Any

import click

from greengate.cli.gate_command import environment, finish, reporters_for, verdict_guard
from greengate.cli.options import build_gate_options, gate_options
from greengate.cli.parts import build_parts
from greengate.gate.flow import check_measurement, prepare
from greengate.process.cancel import CancelWatch
from greengate.verdict_file.measurement_input import read_measurement


@click.command("check")
@gate_options
@click.option(
    "--measurement",
    required=True,
    envvar="GREENGATE_MEASUREMENT",
    help="A greengate verdict JSON, or codecarbon's emissions.csv (its last row).",
)
def command(measurement: str, **kwargs: Any) -> int:
    """Judge a measurement made elsewhere against the policy (same verdict and exit codes)."""
    # The guard of `run`: a cancel while the ledger hangs still leaves a verdict.
    with CancelWatch() as watch:
        options = build_gate_options(**kwargs)
        env = environment()
        settings = options.settings
        prepared = prepare(settings, env, build_parts(env))
        reporters = reporters_for(options, env)
        measured = read_measurement(measurement)
        with verdict_guard(prepared, options, watch) as guard:
            guard.measured()
            result = check_measurement(measured, settings, prepared, guard)
            guard.completed(result.verdict)
            return finish(result, options, reporters, env)
