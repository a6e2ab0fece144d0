"""The grid-intensity extension point: where (a grid setting) and when (the run) in, g/kWh out.

``cli/parts.py`` chooses the provider and hands it to the gate. The gate consults it three
times in a run: ``check`` before the command starts (so a setting the provider cannot serve
stops the run early), ``begin`` as the command starts (a live provider may start its
look-up then, beside the command) and ``intensity`` once the run's end is known.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import ClassVar

from greengate.measurement import GridIntensity, PowerTimeline
from greengate.policy.model import GridSetting


class IntensityProvider(ABC):
    """Turns a grid setting (country, region or fixed figure) and a run's span into an intensity."""

    #: how the provider is named to a person and in the registry, e.g. "offline"
    name: ClassVar[str]

    def check(self, setting: GridSetting) -> None:  # noqa: B027 - optional hook
        """Before the command runs: raise GreengateError for a setting it cannot serve."""

    def begin(self, setting: GridSetting, start: datetime) -> None:  # noqa: B027 - optional hook
        """The command has started: a live provider may start its look-up (no waiting here)."""

    def so_far(self, setting: GridSetting, start: datetime, now: datetime) -> GridIntensity | None:
        """While the command runs (the stop check, once a second at most): the figure
        ``intensity`` would give for [start, now] from what is at hand, never waiting on the
        network; None while that is not known yet."""
        return self.intensity(setting, start, now)

    @abstractmethod
    def intensity(
        self,
        setting: GridSetting,
        start: datetime,
        end: datetime,
        timeline: PowerTimeline | None = None,
    ) -> GridIntensity:
        """The intensity of the electricity used from ``start`` to ``end`` (UTC), weighted by
        the run's power ``timeline`` where a provider has more than one figure for the span;
        raises GreengateError for an unknown zone."""


def zero_figure_note(intensity: GridIntensity) -> str | None:
    """What to tell a person charged a bundled figure of 0 g/kWh (issue 19: ``--country CAF``
    gave 0 emissions without a word); None for any other figure, or one they gave."""
    if intensity.g_per_kwh != 0 or not intensity.source.startswith("codecarbon"):
        return None
    return (
        f"grid: codecarbon's bundled figure for {intensity.zone or 'this grid'} is "
        "0 g CO2e/kWh (its data lists no fossil generation there), so every emissions figure "
        "reads 0; give your grid's figure with --intensity or defaults.intensity"
    )
