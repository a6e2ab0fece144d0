"""``greengate when --duration 45m --within 8h``: the cleanest start in a window."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any

import click

from greengate.cli.grid_options import WHEN_GRID_OPTIONS, pop_grid_override
from greengate.durations import DurationError, parse_duration
from greengate.errors import UsageError
from greengate.files.json_text import dump_json
from greengate.plan.forecast import plan_start
from greengate.plan.when import StartPlan
from greengate.policy.loader import load_policy
from greengate.reporters.github import output_entry
from greengate.units import format_duration, format_emissions, format_intensity, significant


def _seconds(value: str, name: str, bare: str = "m") -> float:
    try:
        return parse_duration(value, bare=bare)
    except DurationError as error:
        raise UsageError(f"{name}: {error}") from None


def _lines(plan: StartPlan, grid: Any, saved: str | None) -> list[str]:
    local = plan.start.astimezone()
    lines = [
        f"best start: {local.isoformat(timespec='minutes')} (in {format_duration(plan.delay_s)})"
        if plan.delay_s > 0
        else "best start: now",
        f"intensity now:  {format_intensity(plan.intensity_now)} "
        f"(mean over {format_duration(plan.duration_s)})",
        f"intensity best: {format_intensity(plan.intensity_best)}",
        f"saving: {significant(plan.saving_pct)} %" + (f" ({saved} for this job)" if saved else ""),
        f"forecast: {grid.provider.value} {grid.zone} ({grid.signal.value}), until "
        f"{plan.forecast_end.astimezone().isoformat(timespec='minutes')}",
    ]
    return lines


@click.command("when")
@click.option("--duration", required=True, help="How long the job runs, e.g. 45m (bare = minutes).")
@click.option("--within", required=True, help="How far ahead it may start, e.g. 8h.")
@click.option("--policy", default="greengate.yml", show_default=True, envvar="GREENGATE_POLICY")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--job", help="Say the grams saved with this job's median energy (ledger).")
@click.option(
    "--format", "fmt", type=click.Choice(("text", "github", "at", "sbatch")), default="text"
)
def command(
    duration: str, within: str, policy: str, as_json: bool, job: str | None, fmt: str, **kwargs: Any
) -> int:
    """The start time in the window that minimises the mean intensity over the job's duration."""
    duration_s, within_s = _seconds(duration, "--duration"), _seconds(within, "--within")
    now = datetime.now(timezone.utc)
    applied = load_policy(policy)
    override = pop_grid_override(kwargs)
    plan, grid = plan_start(applied, override, os.environ, now, duration_s, within_s)
    saved_kg = None
    if job:
        from greengate.plan.typical import typical_energy_kwh

        kwh = typical_energy_kwh(job, os.environ, applied)
        saved_kg = kwh * (plan.intensity_now - plan.intensity_best) / 1000.0
    data = {
        "start": plan.start.astimezone().isoformat(timespec="seconds"),
        "delay_seconds": round(plan.delay_s),
        "intensity_now": round(plan.intensity_now, 3),
        "intensity_best": round(plan.intensity_best, 3),
        "saving_pct": round(plan.saving_pct, 2),
        "provider": grid.provider.value,
        "zone": grid.zone,
        "signal": grid.signal.value,
        "duration_seconds": round(plan.duration_s),
        **({"saved_kg": saved_kg} if saved_kg is not None else {}),
    }
    if as_json:
        click.echo(dump_json(data))
    elif fmt == "at":
        click.echo(f"at -t {plan.start.astimezone():%Y%m%d%H%M}")
    elif fmt == "sbatch":
        click.echo(f"sbatch --begin {plan.start.astimezone():%Y-%m-%dT%H:%M}")
    elif fmt == "github":
        path = os.environ.get("GITHUB_OUTPUT")
        if not path:
            raise UsageError("--format github needs GITHUB_OUTPUT (a GitHub Actions step)")
        with open(path, "a", encoding="utf-8") as f:  # appended, as the runner expects
            f.write("".join(output_entry(k, str(v)) for k, v in data.items()))
        click.echo("\n".join(_lines(plan, grid, None)))
    else:
        saved = format_emissions(saved_kg) if saved_kg is not None else None
        click.echo("\n".join(_lines(plan, grid, saved)))
    return 0


for _option in reversed(WHEN_GRID_OPTIONS):
    command = _option(command)
