"""``run --start-within``: plan, decide (plan/start_within.py), then wait with a countdown."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone

import click

from greengate.durations import DurationError, parse_duration
from greengate.errors import GreengateError, UsageError
from greengate.gate.flow import GateSettings, Prepared
from greengate.plan.forecast import plan_start
from greengate.plan.start_within import WaitDecision, decide_wait
from greengate.plan.when import StartPlan
from greengate.units import format_duration

IDLE_SHARE = 0.1  # codecarbon's machine mode at 0 % load: TDP x (0.1 + 0.9 x load^3)


def _machine(prepared: Prepared, env: Mapping[str, str]) -> tuple[float | None, str | None]:
    """The machine's idle watts (None: unknown) and, on a hosted runner, its name."""
    from greengate.energy.hardware import HardwareDetectionError, HardwareDetector, cpuinfo_fields
    from greengate.energy.runner_detection import choose_profile
    from greengate.files.cache import cache_dir

    vcpus = os.cpu_count() or 1
    choice = choose_profile(
        prepared.policy.energy.profile, env, cpuinfo_fields().get("model name", ""), vcpus
    )
    hosted = None
    if env.get("GITHUB_ACTIONS") == "true" and env.get("RUNNER_ENVIRONMENT") == "github-hosted":
        hosted = "GitHub-hosted runner"
    elif choice.reason.startswith("GitLab.com hosted runner"):
        hosted = "GitLab.com hosted runner"
    profile = choice.profile
    if profile is not None:
        return profile.curve.idle_watts * profile.pue, hosted
    detector = HardwareDetector(cache_dir(env))
    try:
        detector.start()
        hardware = detector.result()
    except HardwareDetectionError:
        return None, hosted
    return hardware.watts_per_thread * hardware.threads * IDLE_SHARE, hosted


def _job_kwh(prepared: Prepared, env: Mapping[str, str]) -> float | None:
    job = prepared.context.job
    if not job:
        return None
    from greengate.plan.typical import typical_energy_kwh

    try:
        return typical_energy_kwh(job, env, prepared.policy)
    except GreengateError:
        return None


def _wait_mean(plan: StartPlan, prepared: Prepared, env: Mapping[str, str]) -> float | None:
    """Mean forecast intensity while the machine idles (now until the start)."""
    if plan.delay_s <= 0:
        return None
    try:
        waiting, _ = plan_start(prepared.policy, None, env, plan.now, plan.delay_s, 0)
    except GreengateError:
        return plan.intensity_now
    return waiting.intensity_now


def plan_wait(
    within: str,
    duration: str | None,
    settings: GateSettings,
    prepared: Prepared,
    env: Mapping[str, str],
    allow_hosted: bool,
) -> WaitDecision:
    """Decide how long ``run --start-within`` waits."""
    try:
        within_s = parse_duration(within, bare="m")
        duration_s = parse_duration(duration, bare="m") if duration else None
    except DurationError as error:
        raise UsageError(f"--start-within/--duration: {error}") from None
    now = datetime.now(timezone.utc)
    job_s = duration_s or 3600.0  # without --duration: the mean of the hour it starts in
    plan, _ = plan_start(prepared.policy, settings.grid, env, now, job_s, within_s)
    idle_watts, hosted = _machine(prepared, env)
    return decide_wait(
        plan,
        prepared.policy.carbon_aware.min_saving,
        idle_watts=idle_watts,
        job_kwh=_job_kwh(prepared, env),
        wait_g_per_kwh=_wait_mean(plan, prepared, env),
        hosted_runner=hosted,
        allow_hosted=allow_hosted,
    )


def wait(decision: WaitDecision, quiet: bool) -> None:
    """Sleep until the start, a countdown line on a terminal, one line otherwise."""
    if not quiet:
        click.echo(f"greengate: {decision.reason}", err=True)
    if decision.wait_s <= 0:
        return
    until = time.monotonic() + decision.wait_s
    start_at = datetime.now().astimezone() + timedelta(seconds=decision.wait_s)
    tty = sys.stderr.isatty() and not quiet
    while (left := until - time.monotonic()) > 0:
        if tty:
            click.echo(
                f"\rgreengate: starting at {start_at:%H:%M} in {format_duration(left)}  ",
                err=True,
                nl=False,
            )
        time.sleep(min(left, 1.0 if tty else 60.0))
    if tty:
        click.echo("", err=True)
