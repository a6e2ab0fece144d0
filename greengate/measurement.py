"""What a run used and what that cost: the data the energy layer hands to the judge."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a live grid's data: its own module, built only with grid: (start-up)
    from greengate.containers.work import ContainerWork
    from greengate.live_intensity import LiveIntensity

JOULES_PER_KWH = 3.6e6


@dataclass(frozen=True)
class TreeUsage:
    """Resources used by the command's whole process tree.

    ``cpu_seconds`` is exact for every process greengate reaped (``wait4`` rusage)
    plus what still-running descendants had used when the command ended.
    """

    wall_seconds: float
    user_seconds: float
    system_seconds: float
    # processes the tree ran, at least: reaped by greengate, seen in a sample, or lingering
    processes: int
    lingering: int  # descendants still alive when the command ended (not waited for)
    peak_rss_bytes: int  # peak resident memory of the tree (sampled sum, or largest child)
    mean_rss_bytes: float  # time-weighted mean resident memory of the tree

    @property
    def cpu_seconds(self) -> float:
        return self.user_seconds + self.system_seconds


class Scope(str, Enum):
    """What share of the machine a run is charged for (docs/energy.md)."""

    PROCESS = "process"  # the command's tree: its CPU-seconds on the power curve
    MACHINE = "machine"  # the whole (virtual) machine for the run's duration, idle included


class Tier(str, Enum):
    """How a component's energy was obtained, best first."""

    COUNTER = "counter"  # a hardware energy counter: RAPL, NVML
    PROFILE = "profile"  # a runner profile's utilisation power curve, scaled to the vCPUs
    TDP = "tdp"  # codecarbon's TDP table, scaled by the socket's threads
    DEFAULT = "default"  # codecarbon's constant for a CPU missing from its table
    COEFFICIENT = "coefficient"  # a published per-unit coefficient (memory: W per GB)
    IMPORTED = "imported"  # measured elsewhere (greengate check)
    UNAVAILABLE = "unavailable"  # no figure: counted as zero, with the reason


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
    tier: Tier = Tier.IMPORTED
    low_kwh: float | None = None  # uncertainty band; None: no band known (same as kwh)
    high_kwh: float | None = None
    coefficients: tuple[tuple[str, float], ...] = ()  # named figures the estimate used
    fallback: str | None = None  # why a better tier was not used, when one was tried

    @property
    def low(self) -> float:
        return self.kwh if self.low_kwh is None else self.low_kwh

    @property
    def high(self) -> float:
        return self.kwh if self.high_kwh is None else self.high_kwh


@dataclass(frozen=True)
class Embodied:
    """The SCI ``M`` term: the hardware's manufacturing emissions charged to this run.

    ``kg = total_kg x time_share x resource_share`` (SCI, ISO/IEC 21031:2024).
    """

    total_kg: float  # embodied emissions of the hardware the profile describes
    lifetime_years: float
    time_share: float  # run duration / lifetime
    resource_share: float  # the run's share of that hardware
    source: str
    low_factor: float = 0.5  # the band, as factors of the central figure
    high_factor: float = 1.5

    @property
    def kg(self) -> float:
        return self.total_kg * self.time_share * self.resource_share

    @property
    def low_kg(self) -> float:
        return self.kg * self.low_factor

    @property
    def high_kg(self) -> float:
        return self.kg * self.high_factor


@dataclass(frozen=True)
class FunctionalUnit:
    """SCI's ``R``: what the run produced, e.g. 412 tests (``--unit tests=412``)."""

    name: str
    count: float


@dataclass(frozen=True)
class PowerTimeline:
    """Sampled power of the run, downsampled to a bounded number of equal buckets."""

    interval_s: float  # width of each bucket
    watts: tuple[float, ...]  # mean power in each bucket, oldest first


@dataclass(frozen=True)
class GridIntensity:
    """Carbon intensity of the electricity, and where the figure came from."""

    g_per_kwh: float
    source: str  # e.g. "codecarbon bundled data (Our World in Data)", "--intensity", "policy"
    zone: str | None = None  # e.g. "FRA", "USA/california"
    year: int | None = None
    live: LiveIntensity | None = None  # a live provider's data, or its failure (grid:)


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
    scope: Scope | None = None  # None: imported, scope unknown
    profile: str | None = None  # the runner profile the estimate used, if any
    embodied: Embodied | None = None
    include_embodied: bool = False  # budgets and emissions_kg count the embodied term
    functional_unit: FunctionalUnit | None = None
    timeline: PowerTimeline | None = None
    containers: ContainerWork | None = None  # work the run handed to a container engine

    @property
    def it_energy_kwh(self) -> float:
        """Energy drawn by the hardware itself, before the data centre's overhead."""
        return sum(c.kwh for c in self.components)

    @property
    def energy_kwh(self) -> float:
        """Energy including data-centre overhead (IT energy x PUE); budgets use this."""
        return self.it_energy_kwh * self.pue

    @property
    def energy_low_kwh(self) -> float:
        return sum(c.low for c in self.components) * self.pue

    @property
    def energy_high_kwh(self) -> float:
        return sum(c.high for c in self.components) * self.pue

    @property
    def operational_kg(self) -> float:
        """Emissions of the electricity (SCI's E x I), without the embodied term."""
        return self.energy_kwh * self.intensity.g_per_kwh / 1000.0

    @property
    def embodied_kg(self) -> float:
        """The embodied term, counted or not (0.0 without a profile that knows it)."""
        return self.embodied.kg if self.embodied is not None else 0.0

    def _counted_embodied(self, which: str) -> float:
        if not self.include_embodied or self.embodied is None:
            return 0.0
        return float(getattr(self.embodied, which))

    @property
    def emissions_kg(self) -> float:
        """What budgets compare: operational, plus embodied when the policy includes it."""
        return self.operational_kg + self._counted_embodied("kg")

    @property
    def emissions_low_kg(self) -> float:
        g = self.intensity.g_per_kwh / 1000.0
        return self.energy_low_kwh * g + self._counted_embodied("low_kg")

    @property
    def emissions_high_kg(self) -> float:
        g = self.intensity.g_per_kwh / 1000.0
        return self.energy_high_kwh * g + self._counted_embodied("high_kg")

    @property
    def sci_g(self) -> float:
        """SCI numerator in g CO2e: E x I + M (embodied always counts in SCI)."""
        return (self.operational_kg + self.embodied_kg) * 1000.0

    @property
    def sci_per_unit_g(self) -> float | None:
        """SCI per functional unit, when the user named one (``--unit``)."""
        unit = self.functional_unit
        if unit is None or unit.count <= 0:
            return None
        return self.sci_g / unit.count

    def component(self, which: Component) -> ComponentEnergy | None:
        return next((c for c in self.components if c.component is which), None)


@dataclass(frozen=True)
class EnergyResult:
    """What a run's energy hands the gate: the energy half of its Measurement."""

    components: tuple[ComponentEnergy, ...]
    scope: Scope
    profile: str | None
    pue: float
    embodied: Embodied | None
    timeline: PowerTimeline | None
    notes: tuple[str, ...]
    containers: ContainerWork | None = None  # counted in the CPU and memory components

    @property
    def caveats(self) -> tuple[str, ...]:
        """Its notes, then why a component is unavailable and why a better tier was not used."""
        unavailable = (c.detail for c in self.components if c.method == "unavailable")
        fallbacks = (f"{c.component.value}: {c.fallback}" for c in self.components if c.fallback)
        return (*self.notes, *unavailable, *fallbacks)

    def measured(
        self,
        intensity: GridIntensity,
        usage: TreeUsage,
        *,
        notes: tuple[str, ...],
        include_embodied: bool,
        functional_unit: FunctionalUnit | None,
        source: str = "greengate run",
    ) -> Measurement:
        """The Measurement these figures make at ``intensity``, with ``notes`` (the caller's
        and, where it wants them, :attr:`caveats`)."""
        return Measurement(
            components=self.components,
            pue=self.pue,
            intensity=intensity,
            usage=usage,
            source=source,
            notes=notes,
            scope=self.scope,
            profile=self.profile,
            embodied=self.embodied,
            include_embodied=include_embodied,
            functional_unit=functional_unit,
            timeline=self.timeline,
            containers=self.containers,
        )
