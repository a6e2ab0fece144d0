"""ESRS E1 figures from the ledger: E1-5 energy and its mix, E1-6 gross Scope 2, both methods.

Built from per-zone sums the ledger computes in SQL (greengate.ledger.disclosure), the grid
mixes codecarbon ships and the policy's ``scope2`` instruments. Every figure carries what it
was computed from (zones, runs, methods, sources) so an auditor can trace it to its runs.
References: docs/esrs.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from greengate.disclosure.grid_mix import Mix, grid_mix
from greengate.ledger.disclosure import MethodCount, ZoneEnergy
from greengate.policy.scope2 import Scope2

G_PER_TONNE = 1e6
KWH_PER_MWH = 1e3
STANDARD = "ESRS E1 Climate change (Commission Delegated Regulation (EU) 2023/2772)"
XBRL_LOCATION = "esrs:GrossLocationBasedScope2GreenhouseGasEmissions"
XBRL_MARKET = "esrs:GrossMarketBasedScope2GreenhouseGasEmissions"


@dataclass(frozen=True)
class Scope:
    """What an export covers: its period and its boundary."""

    since: datetime | None
    until: datetime | None  # exclusive
    repository: str | None  # None: every repository in the ledger
    policy: str | None  # where the scope2 instruments were read from; None: none read


@dataclass(frozen=True)
class Band:
    """A figure with its low and high ends."""

    central: float
    low: float
    high: float

    def scaled(self, factor: float) -> dict[str, float]:
        """The three figures times ``factor``, as the document shows them."""
        return {
            "central": self.central * factor,
            "low": self.low * factor,
            "high": self.high * factor,
        }


def _market_zone(z: ZoneEnergy, scope2: Scope2) -> tuple[Band, dict[str, Any]]:
    """Market-based grams for one zone's runs, and how each share was counted."""
    instruments = [i for i in scope2.instruments if i.covers(z.zone)]
    covered = sum(i.coverage for i in instruments)
    energies = (z.energy_kwh, z.energy_low_kwh, z.energy_high_kwh)
    locations = (z.location_g, z.location_low_g, z.location_high_g)
    grams = [sum(i.coverage * i.g_per_kwh * e for i in instruments) for e in energies]
    rest = max(0.0, 1.0 - covered)
    residual = scope2.residual(z.zone)
    if residual is not None:
        grams = [g + rest * e * residual.g_per_kwh for g, e in zip(grams, energies, strict=True)]
        remainder = {
            "share": rest,
            "basis": "residual mix",
            "g_per_kwh": residual.g_per_kwh,
            "source": residual.source,
        }
    else:
        grams = [g + rest * loc for g, loc in zip(grams, locations, strict=True)]
        remainder = {
            "share": rest,
            "basis": "location-based: no residual mix declared for this grid",
            "g_per_kwh": z.location_g / z.energy_kwh if z.energy_kwh > 0 else None,
            "source": "each run's grid average intensity, as recorded in the ledger",
        }
    used = [
        {
            "kind": i.kind.value,
            "zone": i.zone,
            "coverage": i.coverage,
            "g_per_kwh": i.g_per_kwh,
            "source": i.source,
            "energy_mwh": i.coverage * z.energy_kwh / KWH_PER_MWH,
            "tco2e": i.coverage * i.g_per_kwh * z.energy_kwh / G_PER_TONNE,
        }
        for i in instruments
    ]
    return Band(*grams), {"instruments": used, "remainder": remainder if rest > 0 else None}


def _mix_of(mix: Mix | None, mwh: float) -> dict[str, Any] | None:
    if mix is None:
        return None
    return {
        "fossil_share": mix.fossil,
        "nuclear_share": mix.nuclear,
        "renewable_share": mix.renewable,
        "year": mix.year,
        "source": mix.source,
        "fossil_mwh": mwh * mix.fossil,
        "nuclear_mwh": mwh * mix.nuclear,
        "renewable_mwh": mwh * mix.renewable,
    }


def _method(m: MethodCount) -> dict[str, Any]:
    return {
        "source": m.source,
        "scope": m.scope,
        "tiers": m.tiers.split(",") if m.tiers else None,
        "runs": m.runs,
        "energy_mwh": m.energy_kwh / KWH_PER_MWH,
    }


def _basis(scope2: Scope2, zones: list[ZoneEnergy]) -> str:
    """In words: what the market-based figure rests on."""
    if not scope2.instruments and not scope2.residual_mixes:
        return (
            "no contractual instruments or residual mix declared: the market-based figure "
            "equals the location-based one (GHG Protocol Scope 2 Guidance, ch. 6)"
        )
    parts = []
    if any(i.covers(z.zone) for i in scope2.instruments for z in zones):
        parts.append("contractual instruments declared in the policy for the energy they cover")
    if any(scope2.residual(z.zone) for z in zones):
        parts.append("the declared residual mix for the rest of those grids")
    parts.append("the location-based figure where a grid has neither")
    return "; ".join(parts)


def esrs_document(
    zones: list[ZoneEnergy], methods: list[MethodCount], scope2: Scope2, scope: Scope
) -> dict[str, Any]:
    """The ESRS E1-5 / E1-6 document (JSON-ready) for the zones' runs."""
    runs = sum(z.runs for z in zones)
    energy = Band(
        *(
            sum(getattr(z, f) for z in zones)
            for f in ("energy_kwh", "energy_low_kwh", "energy_high_kwh")
        )
    )
    location = Band(
        *(
            sum(getattr(z, f) for z in zones)
            for f in ("location_g", "location_low_g", "location_high_g")
        )
    )
    split = {"fossil_mwh": 0.0, "nuclear_mwh": 0.0, "renewable_mwh": 0.0, "unknown_mix_mwh": 0.0}
    market_g = [0.0, 0.0, 0.0]
    per_zone = []
    for z in zones:
        mwh = z.energy_kwh / KWH_PER_MWH
        mix = _mix_of(grid_mix(z.zone), mwh)
        if mix is None:
            split["unknown_mix_mwh"] += mwh
        else:
            for key in ("fossil_mwh", "nuclear_mwh", "renewable_mwh"):
                split[key] += mix[key]
        market, how = _market_zone(z, scope2)
        market_g = [
            a + b for a, b in zip(market_g, (market.central, market.low, market.high), strict=True)
        ]
        per_zone.append(
            {
                "zone": z.zone,
                "runs": z.runs,
                "first_run_id": z.first_id,
                "last_run_id": z.last_id,
                "energy_mwh": mwh,
                "mix": mix,
                "scope2_location_based_tco2e": z.location_g / G_PER_TONNE,
                "scope2_market_based_tco2e": market.central / G_PER_TONNE,
                "market_based": how,
                "runs_without_band": z.runs_without_band,
            }
        )
    market = Band(*market_g)
    return {
        "standard": STANDARD,
        "period": {
            "start": scope.since.isoformat() if scope.since else None,
            "end": scope.until.isoformat() if scope.until else None,
            "first_run_at": min(z.first_at for z in zones).isoformat() if zones else None,
            "last_run_at": max(z.last_at for z in zones).isoformat() if zones else None,
        },
        "boundary": {
            "repository": scope.repository or "all",
            "activity": "electricity drawn by the CI runs greengate measured (purchased: Scope 2)",
        },
        "runs": runs,
        "units": {"energy": "MWh", "emissions": "t CO2e"},
        "energy_consumption_mwh": energy.central / KWH_PER_MWH,
        "energy_consumption_band_mwh": energy.scaled(1 / KWH_PER_MWH),
        "energy_mix_mwh": split,
        "energy_mix_basis": "the grid's yearly generation mix (codecarbon's bundled per-country "
        "data) where the run's grid is a country it knows; else unknown_mix_mwh",
        "scope2_location_based_tco2e": location.central / G_PER_TONNE,
        "scope2_location_based_band_tco2e": location.scaled(1 / G_PER_TONNE),
        "scope2_market_based_tco2e": market.central / G_PER_TONNE,
        "scope2_market_based_band_tco2e": market.scaled(1 / G_PER_TONNE),
        "scope2_market_based_basis": _basis(scope2, zones),
        "instruments_policy": scope.policy,
        "xbrl": {
            XBRL_LOCATION: location.central / G_PER_TONNE,
            XBRL_MARKET: market.central / G_PER_TONNE,
        },
        "references": {
            "energy_consumption_mwh": "ESRS E1-5, para. 37",
            "scope2_location_based_tco2e": "ESRS E1-6, para. 44(b); AR 47",
            "scope2_market_based_tco2e": "ESRS E1-6, para. 44(b); AR 47",
            "scope2_methods": "GHG Protocol Scope 2 Guidance (2015): dual reporting",
        },
        "uncertainty": "low/high: the energy estimate's band per run (its tiers' coefficients), "
        "summed; runs recorded before greengate kept a band count at their central figure "
        f"({sum(z.runs_without_band for z in zones)} here)",
        "methods": [_method(m) for m in methods],
        "zones": per_zone,
    }
