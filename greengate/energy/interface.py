"""The energy extension point: one source per component, turning usage into kWh."""

from __future__ import annotations

from abc import ABC, abstractmethod

from greengate.measurement import Component, ComponentEnergy, TreeUsage


class EnergySource(ABC):
    """Estimates or reads the energy of one component during one run.

    ``begin`` is called just before the command starts (read a counter there);
    ``energy`` may be called many times (live progress) and once at the end.
    """

    component: Component

    def begin(self) -> None:  # noqa: B027 - optional hook: most sources need no starting reading
        """Take a starting reading; the default source needs none."""

    @abstractmethod
    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        """Energy of this component from ``begin`` until now, for this usage."""
