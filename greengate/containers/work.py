"""What the run's containers used: the data the container accounting hands the energy layer."""

from __future__ import annotations

from dataclasses import dataclass

BUILD = "build"  # the image name given to a build step's container (classic or BuildKit)
MEASURE_JOB = (
    "measure the whole job with greengate start / lap / stop (machine scope), "
    "which includes the containers' work"
)


@dataclass(frozen=True)
class ContainerUse:
    """One container (or build step) the run caused, and what its cgroup says it used."""

    id: str  # the engine's container id, or BuildKit's name for a step's cgroup
    image: str  # the image it ran, or ``build`` for a build step
    cpu_seconds: float
    peak_memory_bytes: int | None  # None: the memory controller could not be read
    memory_byte_seconds: float  # anonymous memory integrated over the run (for its energy)


@dataclass(frozen=True)
class ContainerWork:
    """The run's containers: their total CPU-seconds with a band, memory, and caveats."""

    containers: tuple[ContainerUse, ...]
    cpu_seconds: float  # what is charged: the containers' own plus their share of any tail
    cpu_low_seconds: float
    cpu_high_seconds: float
    memory_byte_seconds: float
    method: str  # e.g. "cgroup v1 cpuacct"
    notes: tuple[str, ...] = ()  # what is missing, and how to measure it


def missing_work(started: int, reason: str) -> ContainerWork:
    """The run used containers whose cgroups cannot be read: no figure, and why."""
    note = (
        f"the command started {started} container(s) or build(s) whose cgroups cannot be read "
        f"({reason}): their work is missing from this figure; {MEASURE_JOB}"
    )
    return ContainerWork((), 0.0, 0.0, 0.0, 0.0, "unavailable", (note,))
