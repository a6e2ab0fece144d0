"""What the gate is handed: its energy, its grid intensity, its ledger and its clock.

The gate never builds these itself. ``cli/parts.py`` chooses and builds them (RAPL and NVML
counters, the offline grid data, the ledger backend of the location's scheme, the system
clock); a test or another front end hands in its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from greengate.energy.interface import RunEnergy
from greengate.intensity.interface import IntensityProvider
from greengate.policy.model import Policy

if TYPE_CHECKING:
    from greengate.ledger.interface import Ledger

#: The time now, timezone-aware (UTC).
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class GateParts:
    """The outside world of one gated run."""

    energy: Callable[[Policy], RunEnergy]  # the run's energy, built for the applied policy
    intensity: IntensityProvider
    ledger: Callable[[str], Ledger]  # opens the ledger at a location (path or URL)
    clock: Clock
