"""The energy extension point: what the gate is handed (a run's energy) and what that is
built from (one source per hardware counter).

``cli/parts.py`` chooses and builds both; the gate only calls the methods below, so a test
or another front end (``start``/``lap``/``stop``) hands in its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, ClassVar

from greengate.measurement import Component, ComponentEnergy, EnergyResult, Scope, TreeUsage

if TYPE_CHECKING:
    from greengate.containers.work import ContainerWork
    from greengate.process.supervisor import TreeSample


class CounterError(Exception):
    """A hardware counter could not be read: fall back to an estimate, recording ``reason``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class EnergySource(ABC):
    """Reads the energy of one component during one run (a hardware counter: RAPL, NVML).

    ``begin`` is called just before the command starts, ``observe`` from the sampler thread
    with the tree's live pids while it runs, ``energy`` once at the end. ``begin`` and
    ``energy`` raise :class:`CounterError` when the counter cannot be read: the run then
    falls back to an estimate and records the reason as the component's ``fallback``.
    """

    component: Component
    #: how the counter is named to a person, e.g. "RAPL" in "RAPL counters unreadable: ..."
    name: ClassVar[str]

    @abstractmethod
    def begin(self) -> None:
        """Take the starting reading."""

    @abstractmethod
    def observe(self, pids: Collection[int]) -> None:
        """Fold in the counters' movement while the command runs; never raises."""

    @abstractmethod
    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        """Energy of this component from ``begin`` until now, for this usage."""


class ContainerSource(ABC):
    """The work a run hands to a container engine (docker run, builds): begun before the
    command starts (its environment may need to point the engine's clients elsewhere),
    finished once at the end."""

    @abstractmethod
    def command_env(self) -> dict[str, str]:
        """Variables the command's environment needs set; called once, before it starts."""

    @abstractmethod
    def finish(self) -> ContainerWork | None:
        """The run's containers and what they used; None where it used none."""


#: Builds the CPU counter for a scope; None where the machine has no such counter at all.
CpuCounter = Callable[[Scope], EnergySource | None]
#: Builds the GPU counter for a scope, just before the command starts; None: no GPU.
GpuCounter = Callable[[Scope], EnergySource | None]
#: Builds the container accounting for a scope; None: nothing to follow (machine scope, whose
#: figure already holds every container's work, or no engine here).
Containers = Callable[[Scope], ContainerSource | None]


class RunEnergy(ABC):
    """The energy of one run, as the gate uses it: begun, fed samples, finished."""

    @abstractmethod
    def begin(self) -> None:
        """Take the starting readings, just before the command starts."""

    @abstractmethod
    def observe(self, sample: TreeSample) -> float:
        """Fold in one sample (sampler thread); the CPU energy so far in kWh, for progress."""

    def live(self, sample: TreeSample) -> EnergyResult | None:
        """What ``finish`` would say had the run ended at ``sample`` (the stop check's figure,
        asked after ``observe``); None where no live figure can be made (yet)."""
        return None

    def command_env(self) -> dict[str, str]:
        """Variables the command's environment needs set (after ``begin``); none by default."""
        return {}

    @abstractmethod
    def finish(self, usage: TreeUsage) -> EnergyResult:
        """The run's components, embodied term and timeline, from the tree's exact usage."""
