"""The embodied term (SCI's M): the hardware's manufacturing emissions charged to one run."""

from __future__ import annotations

from greengate.energy.estimate import CpuModel
from greengate.energy.profiles import EMBODIED_KG_PER_VCPU, LIFETIME_YEARS, RunnerProfile
from greengate.measurement import Embodied, Scope, TreeUsage

SECONDS_PER_YEAR = 365 * 24 * 3600
# Embodied emissions for a machine no profile describes: the per-vCPU share of the cloud
# server the profiles use (Boavizta via Eco CI), with a wide band.
FALLBACK_EMBODIED_BAND = (0.25, 3.0)
PROFILE_EMBODIED_BAND = (0.5, 1.5)  # a life-cycle estimate of known hardware


def embodied_share(
    scope: Scope, profile: RunnerProfile | None, model: CpuModel, usage: TreeUsage
) -> Embodied | None:
    """The run's share: its time of the hardware's life, times the machine (machine scope)
    or the tree's share of its vCPUs (process scope); None without a figure or a run."""
    if usage.wall_seconds <= 0:
        return None
    if scope is Scope.MACHINE:
        share = 1.0
    else:
        share = min(usage.cpu_seconds / (model.vcpus * usage.wall_seconds), 1.0)
    if profile is None:
        total, lifetime, band = (
            EMBODIED_KG_PER_VCPU * model.vcpus,
            LIFETIME_YEARS,
            FALLBACK_EMBODIED_BAND,
        )
        source = (
            "assumed: the per-thread share of a cloud server (Boavizta via Eco CI); "
            "no embodied data for this machine"
        )
    elif profile.embodied_kg is None:
        return None
    else:
        total, lifetime, band = (
            profile.embodied_kg,
            profile.lifetime_years,
            PROFILE_EMBODIED_BAND,
        )
        source = f"profile {profile.name}: {profile.source}"
    return Embodied(
        total_kg=total,
        lifetime_years=lifetime,
        time_share=usage.wall_seconds / (lifetime * SECONDS_PER_YEAR),
        resource_share=share,
        source=source,
        low_factor=band[0],
        high_factor=band[1],
    )
