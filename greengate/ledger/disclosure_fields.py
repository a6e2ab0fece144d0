"""What a run's measurement gives the ledger for disclosures: zone, band, tiers, SCI terms."""

from __future__ import annotations

from typing import Any

from greengate.measurement import Measurement


def tiers_text(m: Measurement) -> str:
    """How each component was obtained, e.g. ``cpu=tdp,memory=coefficient`` (sorted)."""
    return ",".join(sorted(f"{c.component.value}={c.tier.value}" for c in m.components))


def disclosure_fields(m: Measurement) -> dict[str, Any]:
    """The LedgerRecord fields (schema 2) a measurement fills."""
    unit = m.functional_unit
    return {
        "grid_zone": m.intensity.zone,
        "energy_low_kwh": m.energy_low_kwh,
        "energy_high_kwh": m.energy_high_kwh,
        "tiers": tiers_text(m) or None,
        "scope": m.scope.value if m.scope is not None else None,
        "embodied_kg": m.embodied.kg if m.embodied is not None else None,
        "unit_name": unit.name if unit is not None else None,
        "unit_count": unit.count if unit is not None else None,
    }
