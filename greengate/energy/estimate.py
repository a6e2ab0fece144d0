"""CPU and memory energy estimated from usage on a power curve (tiers 2 and 3, docs/energy.md).

One formula serves every curve. For a VM of ``n`` vCPUs drawing ``P(u)`` watts at
utilisation ``u``:

- machine scope charges the VM for the run: the integral of ``P(u_machine)`` over time;
- process scope charges the tree its own share: each of its CPU-seconds at the per-vCPU power
  of the fully loaded VM share, ``cpu_s x P(1) / n`` (idle power included pro rata). The
  figure is proportional to the tree's CPU time, whatever the wall time and whatever else the
  machine does, so it varies run to run exactly as the CPU time does (issue 3's stability
  target). Evaluating a concave curve at the tree's own utilisation instead ties the figure
  to the wall time: on a loaded machine that measured 4.3 % run-to-run variation against the
  CPU time's 0.3 % (BENCHMARKS.md). The concave low-load overhead belongs to the machine, and
  machine scope counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

from greengate.energy.hardware import DEFAULT_WATTS_PER_THREAD, Hardware
from greengate.energy.profiles import PowerCurve, RunnerProfile
from greengate.measurement import JOULES_PER_KWH, Component, ComponentEnergy, Scope, Tier
from greengate.units import format_power, significant

GB = 1024**3
# Cloud Carbon Footprint's memory coefficient (REFERENCE.md section 4): the power of memory,
# instead of codecarbon's guess of 5 W per DIMM, which is unknowable on a shared VM.
WATTS_PER_GB_MEMORY = 0.392
# Bands (low and high factors of the central figure). A TDP is a thermal rating, not a
# measurement: real package power under load lies between about half and all of it, and
# the table's fuzzy model match adds its own error. codecarbon's 4 W per thread for an
# unknown CPU can be off by several times either way. CCF's memory coefficient is one
# figure for every DIMM generation.
TDP_BAND = (0.5, 1.5)
DEFAULT_BAND = (0.33, 3.0)
MEMORY_BAND = (0.5, 2.0)
# Idle power of a CPU as a share of its TDP, for the TDP tier's machine-scope curve: the
# same order as codecarbon's machine mode (10 % of TDP at zero load).
TDP_IDLE_SHARE = 0.1


@dataclass(frozen=True)
class CpuModel:
    """The CPU power model of one run: a curve for ``vcpus`` vCPUs and how good it is."""

    curve: PowerCurve  # watts of the whole (virtual) machine against its utilisation
    vcpus: int
    tier: Tier
    band: tuple[float, float]
    method: str
    source: str  # the coefficients' origin, in words

    def process_joules(self, cpu_seconds: float, wall_seconds: float) -> float:
        """The tree's share: its CPU-seconds at the full-load power per vCPU (module docstring)."""
        if wall_seconds <= 0 or cpu_seconds <= 0:
            return 0.0
        # A tree cannot use more than every vCPU for the whole run; clamp clock skew.
        cpu = min(cpu_seconds, self.vcpus * wall_seconds)
        return cpu * self.curve.max_watts / self.vcpus

    def component(self, joules: float, detail: str, fallback: str | None) -> ComponentEnergy:
        kwh = joules / JOULES_PER_KWH
        return ComponentEnergy(
            Component.CPU,
            kwh,
            self.method,
            detail,
            tier=self.tier,
            low_kwh=kwh * self.band[0],
            high_kwh=kwh * self.band[1],
            coefficients=(
                ("vcpus", float(self.vcpus)),
                ("idle_watts", self.curve.idle_watts),
                ("max_watts", self.curve.max_watts),
            ),
            fallback=fallback,
        )


def profile_model(profile: RunnerProfile) -> CpuModel:
    """The model of a runner profile (tier 2)."""
    return CpuModel(
        profile.curve,
        profile.vcpus,
        Tier.PROFILE,
        profile.band,
        f"profile-curve:{profile.name}",
        f"profile {profile.name}: {profile.source}",
    )


def tdp_model(hardware: Hardware) -> CpuModel:
    """codecarbon's TDP per thread x the threads visible here, never the whole socket."""
    full = hardware.watts_per_thread * hardware.threads
    curve = PowerCurve(((0.0, full * TDP_IDLE_SHARE), (1.0, full)))
    if hardware.tdp_watts is None:
        return CpuModel(
            curve,
            hardware.threads,
            Tier.DEFAULT,
            DEFAULT_BAND,
            "cpu-seconds-x-thread-power",
            f"codecarbon's default {format_power(DEFAULT_WATTS_PER_THREAD)} per thread "
            f"({hardware.cpu_model!r} is not in its TDP table)",
        )
    return CpuModel(
        curve,
        hardware.threads,
        Tier.TDP,
        TDP_BAND,
        "cpu-seconds-x-thread-power",
        f"codecarbon TDP table: {hardware.tdp_match!r} {format_power(hardware.tdp_watts)} over "
        f"{hardware.socket_threads} threads per socket, for the {hardware.threads} threads here",
    )


def memory_energy(
    scope: Scope,
    wall_seconds: float,
    mean_rss_bytes: float,
    machine_bytes: int,
    included_in: str | None,
) -> ComponentEnergy:
    """Memory: 0.392 W/GB over the tree's mean RSS (process) or the machine's RAM (machine)."""
    if included_in is not None:
        return ComponentEnergy(
            Component.MEMORY,
            0.0,
            "included-in-profile",
            f"included in {included_in}'s curve (SPECpower measures the whole server share)",
            tier=Tier.PROFILE,
        )
    if scope is Scope.MACHINE:
        gb, what = machine_bytes / GB, "GB of the machine's memory"
    else:
        gb, what = mean_rss_bytes / GB, "GB mean resident memory of the tree"
    kwh = gb * WATTS_PER_GB_MEMORY * wall_seconds / JOULES_PER_KWH
    return ComponentEnergy(
        Component.MEMORY,
        kwh,
        "rss-x-watts-per-gb" if scope is Scope.PROCESS else "ram-x-watts-per-gb",
        f"{significant(gb)} {what} x {WATTS_PER_GB_MEMORY} W/GB (Cloud Carbon Footprint) "
        f"x {significant(wall_seconds)} s",
        tier=Tier.COEFFICIENT,
        low_kwh=kwh * MEMORY_BAND[0],
        high_kwh=kwh * MEMORY_BAND[1],
        coefficients=(("gb", gb), ("watts_per_gb", WATTS_PER_GB_MEMORY)),
    )
