"""``greengate where --energy "10 kWh"``: that energy's emissions on other grids, ranked."""

from __future__ import annotations

import os

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.errors import UsageError
from greengate.files.json_text import dump_json
from greengate.intensity.grid_table import cloud_source, grid_options
from greengate.plan.typical import typical_energy_kwh
from greengate.plan.where import rank
from greengate.policy.loader import load_policy
from greengate.units import (
    UnitError,
    format_emissions,
    format_energy,
    format_intensity,
    parse_energy,
)


@click.command("where")
@click.option("--energy", help="The job's energy, e.g. '10 kWh' (bare number = kWh).")
@click.option("--job", help="Use the median energy of this job's recent runs in the ledger.")
@click.option("--policy", default=None, envvar="GREENGATE_POLICY", help="Policy (for ledger:).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option("--top", type=AsciiIntRange(1), default=None, help="Show only the N cleanest.")
@click.option(
    "--kind",
    type=click.Choice(("country", "region", "cloud")),
    multiple=True,
    help="Only these kinds of grid (repeatable).",
)
def command(
    energy: str | None,
    job: str | None,
    policy: str | None,
    as_json: bool,
    top: int | None,
    kind: tuple[str, ...],
) -> int:
    """The same energy's emissions on other grids and cloud regions, cleanest first."""
    if (energy is None) == (job is None):
        raise UsageError("give --energy or --job (one of them)", hint='e.g. --energy "10 kWh"')
    if energy is not None:
        try:
            kwh = parse_energy(energy)
        except UnitError as error:
            raise UsageError(f"--energy: {error}") from None
    else:
        kwh = typical_energy_kwh(str(job), os.environ, load_policy(policy) if policy else None)
    ranked = [p for p in rank(kwh, grid_options()) if not kind or p.option.kind in kind]
    if top:
        ranked = ranked[:top]
    if as_json:
        rows = [
            {
                "grid": p.option.label,
                "kind": p.option.kind,
                "intensity_g_per_kwh": p.option.g_per_kwh,
                "emissions_kg": p.emissions_kg,
                "source": p.option.source,
            }
            for p in ranked
        ]
        click.echo(dump_json(rows, indent=1))
        return 0
    click.echo(f"{format_energy(kwh)} on {len(ranked)} grids, cleanest first:")
    width = max((len(p.option.label) for p in ranked), default=10)
    for p in ranked:
        click.echo(
            f"  {p.option.label:<{width}}  {format_intensity(p.option.g_per_kwh):>18}  "
            f"{format_emissions(p.emissions_kg):>16}  ({p.option.kind})"
        )
    source = cloud_source()
    click.echo(
        f"AWS/Azure: {source['repository']} at {source['commit']}; others: codecarbon's data"
    )
    return 0
