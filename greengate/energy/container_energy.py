"""Container work in the run's energy: the same power model as the tree's own CPU-seconds.

A container's CPU-seconds are CPU-seconds of this machine like the tree's, so they go on the
same curve (or into the same RAPL share) and its anonymous memory joins the tree's resident
memory; the CPU component's band widens by what is uncertain about them (docs/energy.md).
"""

from __future__ import annotations

from dataclasses import replace

from greengate.containers.work import ContainerWork
from greengate.energy.estimate import CpuModel
from greengate.measurement import JOULES_PER_KWH, ComponentEnergy, TreeUsage
from greengate.units import significant


def with_containers(usage: TreeUsage, work: ContainerWork | None) -> TreeUsage:
    """The usage the run is charged for: the tree's, plus its containers' CPU and memory."""
    if work is None or (work.cpu_seconds <= 0 and work.memory_byte_seconds <= 0):
        return usage
    mean = work.memory_byte_seconds / usage.wall_seconds if usage.wall_seconds > 0 else 0.0
    return replace(
        usage,
        user_seconds=usage.user_seconds + work.cpu_seconds,
        mean_rss_bytes=usage.mean_rss_bytes + mean,
    )


def container_band(
    cpu: ComponentEnergy, model: CpuModel, tree: TreeUsage, work: ContainerWork
) -> ComponentEnergy:
    """The CPU component, saying how much of it the containers are and widened by their band."""
    if not work.containers:
        return cpu
    count = len(work.containers)
    # The tree's CPU-seconds in the estimate's words now include the containers' own.
    base = cpu.detail.replace(" CPU-s of the tree ", " CPU-s of the tree and its containers ", 1)
    detail = (
        f"{base}; of which {significant(work.cpu_seconds)} CPU-s in {count} "
        f"container(s) ({work.method}), beside {significant(tree.cpu_seconds)} CPU-s of the "
        "tree"
    )
    per_cpu_second = model.curve.max_watts / model.vcpus / JOULES_PER_KWH
    below = max(work.cpu_seconds - work.cpu_low_seconds, 0.0) * per_cpu_second
    above = max(work.cpu_high_seconds - work.cpu_seconds, 0.0) * per_cpu_second
    return replace(
        cpu,
        detail=detail,
        low_kwh=max(cpu.low - below, 0.0),
        high_kwh=cpu.high + above,
        coefficients=(*cpu.coefficients, ("container_cpu_s", work.cpu_seconds)),
    )
