"""``--grid-*`` options (and GREENGATE_GRID_* variables) over the policy's ``grid:`` section."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from greengate.policy.grid_settings import GridOverride

PROVIDER_CHOICES = (
    "electricitymaps",
    "watttime",
    "uk-carbon-intensity",
    "carbon-aware-sdk",
    "energy-charts",
    "offline",
)

_GRID_SOURCE = [
    click.option(
        "--grid-provider",
        type=click.Choice(PROVIDER_CHOICES),
        envvar="GREENGATE_GRID_PROVIDER",
        help="Live grid provider (overrides the policy's grid.provider); offline: none.",
    ),
    click.option(
        "--grid-zone",
        envvar="GREENGATE_GRID_ZONE",
        help="The provider's zone, e.g. DE, CAISO_NORTH, OX1, eastus (overrides grid.zone).",
    ),
    click.option(
        "--grid-signal",
        type=click.Choice(("average", "marginal")),
        envvar="GREENGATE_GRID_SIGNAL",
        help="average or marginal (overrides grid.signal).",
    ),
    click.option("--grid-url", envvar="GREENGATE_GRID_URL", help="Provider scheme and host."),
]

GRID_OPTIONS = [
    *_GRID_SOURCE,
    click.option(
        "--grid-timeout",
        envvar="GREENGATE_GRID_TIMEOUT",
        metavar="DURATION",
        help="Most the lookup may add after the command ends, e.g. '3 s'.",
    ),
    click.option(
        "--grid-fallback",
        type=click.Choice(("bundled", "error")),
        envvar="GREENGATE_GRID_FALLBACK",
        help="What a provider failure does (overrides grid.fallback).",
    ),
]

# ``when`` looks a forecast up before anything runs, and the bundled yearly figure has no
# forecast to fall back on: no "after the command ends", no --grid-fallback (issue 19).
WHEN_GRID_OPTIONS = [
    *_GRID_SOURCE,
    click.option(
        "--grid-timeout",
        envvar="GREENGATE_GRID_TIMEOUT",
        metavar="DURATION",
        help="Most the forecast lookup may take, e.g. '3 s'.",
    ),
]


def pop_grid_override(kwargs: dict[str, Any]) -> GridOverride | None:
    """The ``--grid-*`` values out of click's keyword arguments; None when none was given."""
    names = ("provider", "zone", "signal", "url", "timeout", "fallback")
    given = {name: kwargs.pop(f"grid_{name}", None) for name in names}
    if all(value is None for value in given.values()):
        return None  # offline: the grid settings' code is never loaded (start-up)
    from greengate.policy.grid_settings import GridOverride

    return GridOverride(**given)
