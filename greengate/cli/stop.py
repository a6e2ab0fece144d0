"""``greengate stop``: end the job's sampler and judge the whole job and its laps like ``run``."""

from __future__ import annotations

from typing import Any

import click

from greengate.cli.gate_command import environment, finish, reporters_for, verdict_guard
from greengate.cli.job_options import job_state, state_option
from greengate.cli.options import build_gate_options, gate_options
from greengate.cli.parts import build_job_energy, build_parts
from greengate.gate.flow import conclude_job, prepare
from greengate.job.measure import gpu_record, measure_job, rapl_record
from greengate.job.session import LAST_LAP, stop_job
from greengate.process.cancel import CancelWatch


@click.command("stop")
@gate_options
@state_option
@click.option(
    "--lap-name",
    default=LAST_LAP,
    show_default=True,
    help="Name of the last lap (from the last 'greengate lap' to now).",
)
def command(state_dir: str | None, lap_name: str, **kwargs: Any) -> int:
    """End the job's measurement, judge it against the policy and report it as 'run' does.

    The whole job is judged by the rules without 'step', each lap by the first rule whose
    'step' matches its name. Exit code: 0 pass or warn, 1 over budget, 2 usage or policy
    error (also: no 'greengate start' here), 3 the sampler died (the verdict keeps what it
    measured until then).
    """
    # The guard of `run`: a cancel while the ledger hangs still leaves a verdict.
    with CancelWatch() as watch:
        options = build_gate_options(**kwargs)
        env = environment()
        record = stop_job(job_state(state_dir, env), lap_name)  # first: the sampler ends
        prepared = prepare(options.settings, env, build_parts(env))
        reporters = reporters_for(options, env)
        counter, gpu = rapl_record(record), gpu_record(record)
        session = build_job_energy(env, prepared.policy, counter, gpu)
        measured = measure_job(record, prepared, session, options.settings.unit, counter, gpu)
        with verdict_guard(prepared, options, watch) as guard:
            guard.measured()
            result = conclude_job(
                options.settings,
                prepared,
                measured.whole,
                measured.laps,
                record.problem,
                guard,
            )
            guard.completed(result.verdict)
            return finish(result, options, reporters, env)
