"""``greengate where --energy "10 kWh"``: that energy's emissions on other grids, ranked."""

from __future__ import annotations

import os

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.errors import UsageError
from greengate.files.json_text import dump_json
from greengate.intensity.grid_table import cloud_source, grid_options
from greengate.plan.typical import typical_energy_kwh
from greengate.plan.where import rank, unranked
from greengate.policy.loader import load_policy
from greengate.units import (
    UnitError,
    format_emissions,
    format_energy,
    format_intensity,
    parse_energy,
)

DEFAULT_TOP = 10
ZERO_NOTE = (
    "the bundled figure is 0 g CO2e/kWh (the data lists no fossil generation), "
    "which no figure here can be compared with"
)


@click.command("where")
@click.option("--energy", help="The job's energy, e.g. '10 kWh' (bare number = kWh).")
@click.option("--job", help="Use the median energy of this job's recent runs in the ledger.")
@click.option("--policy", default=None, envvar="GREENGATE_POLICY", help="Policy (for ledger:).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@click.option(
    "--top",
    type=AsciiIntRange(1),
    default=None,
    help=f"Show the N cleanest (default {DEFAULT_TOP}; with --json, every grid with a figure).",
)
@click.option("--all", "show_all", is_flag=True, help="Show every grid.")
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
    show_all: bool,
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
    options = [o for o in grid_options() if not kind or o.kind in kind]
    ranked, zero = rank(kwh, options), unranked(options)
    shown = ranked if show_all or (as_json and top is None) else ranked[: top or DEFAULT_TOP]
    if as_json:
        rows = [
            {
                "grid": p.option.label,
                "kind": p.option.kind,
                "intensity_g_per_kwh": p.option.g_per_kwh,
                "emissions_kg": p.emissions_kg,
                "source": p.option.source,
            }
            for p in shown
        ]
        click.echo(dump_json(rows, indent=1))
        return 0
    head = f"the {len(shown)} cleanest of" if len(shown) < len(ranked) else "on"
    click.echo(f"{format_energy(kwh)} {head} {len(ranked)} grids, cleanest first:")
    width = max((len(p.option.label) for p in shown), default=10)
    for p in shown:
        click.echo(
            f"  {p.option.label:<{width}}  {format_intensity(p.option.g_per_kwh):>18}  "
            f"{format_emissions(p.emissions_kg):>16}  ({p.option.kind})"
        )
    if len(shown) < len(ranked):
        click.echo(f"  ... {len(ranked) - len(shown)} more: --all lists every grid")
    if zero:
        labels = ", ".join(o.label for o in zero)
        click.echo(f"not ranked: {labels}: {ZERO_NOTE}")
    source = cloud_source()
    click.echo(
        f"AWS/Azure: {source['repository']} at {source['commit']}; others: codecarbon's data"
    )
    return 0
