"""The grid-intensity extension point."""

from __future__ import annotations

from abc import ABC, abstractmethod

from greengate.measurement import GridIntensity
from greengate.policy.model import GridSetting


class IntensityProvider(ABC):
    """Turns a grid setting (country, region or fixed figure) into an intensity."""

    @abstractmethod
    def intensity(self, setting: GridSetting) -> GridIntensity:
        """The intensity for this setting; raises GreengateError for an unknown zone."""
