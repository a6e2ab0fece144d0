"""What a run used and what that cost: the data the energy layer hands to the judge."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class TreeUsage:
    """Resources used by the command's whole process tree.

    ``cpu_seconds`` is exact for every process greengate reaped (``wait4`` rusage)
    plus what still-running descendants had used when the command ended.
    """

    wall_seconds: float
    user_seconds: float
    system_seconds: float
    processes: int  # processes accounted: reaped plus lingering
    lingering: int  # descendants still alive when the command ended (not waited for)
    peak_rss_bytes: int  # peak resident memory of the tree (sampled sum, or largest child)
    mean_rss_bytes: float  # time-weighted mean resident memory of the tree

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds


class Component(str, Enum):
    """A part of the machine whose energy is reported separately."""

    CPU = "cpu"
    MEMORY = "memory"
    GPU = "gpu"


@dataclass(frozen=True)
class ComponentEnergy:
    """Energy of one component and how it was obtained."""

    component: Component
    kwh: float
    method: str  # short machine-readable id, e.g. "cpu-seconds-x-thread-power", "nvml-counter"
    detail: str  # the same in words, with its coefficients


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of the electricity, and where the figure came from."""

    g_per_kwh: float
    source: str  # e.g. "codecarbon bundled data (Our World in Data)", "--intensity", "policy"
    zone: str | None = None  # e.g. "FRA", "USA/california"
    year: int | None = None


@dataclass(frozen=True)
class Measurement:
    """Energy and emissions of one run (or of a measurement made elsewhere)."""

    components: tuple[ComponentEnergy, ...]
    pue: float
    intensity: GridIntensity
    usage: TreeUsage | None = None  # None for measurements imported by ``greengate check``
    source: str = (
        "greengate run"  # what produced it: "greengate run", "codecarbon emissions.csv", ...
    )
    notes: tuple[str, ...] = ()  # caveats a person should read (fallbacks, approximations)

    @property
    def it_energy_kwh(self) -> float:
        """Energy drawn by the hardware itself, before the data centre's overhead."""
        return sum(c.kwh for c in self.components)

    @property
    def energy_kwh(self) -> float:
        """Energy including data-centre overhead (IT energy x PUE); budgets use this."""
        return self.it_energy_kwh * self.pue

    @property
    def emissions_kg(self) -> float:
        return self.energy_kwh * self.intensity.g_per_kwh / 1000.0

    def component(self, which: Component) -> ComponentEnergy | None:
        return next((c for c in self.components if c.component is which), None)
