"""The one place a run's outside world is chosen and built, then handed to the gate."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from greengate.containers.engine import container_source
from greengate.energy.gpu import nvml_counter
from greengate.energy.hardware import HardwareDetector, cache_dir
from greengate.energy.interface import EnergySource, RunEnergy
from greengate.energy.rapl import POWERCAP, rapl_counter
from greengate.energy.session import EnergySession
from greengate.gate.parts import GateParts
from greengate.intensity.grid_provider import GridIntensityProvider
from greengate.measurement import Scope
from greengate.policy.model import Policy

if TYPE_CHECKING:
    from greengate.ledger.interface import Ledger


def utc_now() -> datetime:
    """The system clock, in UTC."""
    return datetime.now(timezone.utc)


def open_ledger(location: str) -> Ledger:
    """The ledger backend the location's scheme names (ledger.interface.BACKENDS)."""
    from greengate.ledger.interface import open_ledger as open_backend  # at the end of a run

    return open_backend(location)


def build_parts(env: Mapping[str, str], inside_job: bool = False) -> GateParts:
    """RAPL and NVML counters with the estimate behind them, codecarbon's offline grid data
    (and the policy's live grid provider, if it has one), the ledger backend its location's
    scheme names, and the system clock.

    ``inside_job``: ``run`` inside a job started with ``greengate start``, whose machine is
    already measured: the run's own command in process scope unless the policy names one."""
    # Overridable for containers that bind-mount the host's /sys elsewhere, and for tests.
    powercap = Path(env.get("GREENGATE_POWERCAP_DIR") or POWERCAP)

    def energy(policy: Policy) -> RunEnergy:
        settings = policy.energy
        if inside_job and settings.scope is None:
            settings = replace(settings, scope=Scope.PROCESS)
        return EnergySession(
            settings,
            env,
            HardwareDetector(cache_dir()),
            policy.defaults.pue,
            cpu_counter=rapl_counter(powercap),
            gpu_counter=nvml_counter(env),
            containers=container_source(env),
        )

    return GateParts(
        energy=energy,
        intensity=GridIntensityProvider(env, cache_dir()),
        ledger=open_ledger,
        clock=utc_now,
    )


def build_job_energy(
    env: Mapping[str, str],
    policy: Policy,
    cpu: EnergySource | None,
    gpu: EnergySource | None = None,
) -> EnergySession:
    """A job's energy (start/lap/stop): machine scope, fed the sampler's record; ``cpu`` and
    ``gpu``: the RAPL and NVML counters the sampler followed, where it did."""
    return EnergySession(
        replace(policy.energy, scope=Scope.MACHINE),
        env,
        HardwareDetector(cache_dir()),
        policy.defaults.pue,
        cpu_counter=lambda scope: cpu,
        gpu_counter=lambda scope: gpu,
    )
