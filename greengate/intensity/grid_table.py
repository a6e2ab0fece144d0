"""Every grid ``greengate where`` ranks: codecarbon's countries and regions, its GCP regions,
and AWS and Azure regions from Cloud Carbon Footprint (cloud_regions.json names its source).

Read from files, never the network: codecarbon's data directory and the table shipped here.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from greengate.intensity.offline import LBS_PER_MWH_TO_G_PER_KWH, _data_dir, _load, _mix_intensity
from greengate.plan.where import GridOption

CLOUD_TABLE = Path(__file__).with_name("cloud_regions.json")
_CCF = "Cloud Carbon Footprint region factors (cloud_regions.json)"


def _countries() -> list[GridOption]:
    source = "codecarbon global_energy_mix.json (Our World in Data / Ember)"
    return [
        GridOption(
            iso3, float(entry["carbon_intensity"]), f"{source}, {entry.get('year')}", "country"
        )
        for iso3, entry in _load("global_energy_mix.json").items()
        if entry.get("carbon_intensity") is not None and len(iso3) == 3
    ]


def _regions() -> list[GridOption]:
    options = []
    for state, entry in _load("2023/usa_emissions.json").items():
        if not state.startswith("_") and isinstance(entry, dict) and "emissions" in entry:
            g = float(entry["emissions"]) * LBS_PER_MWH_TO_G_PER_KWH
            options.append(GridOption(f"USA/{state}", g, "codecarbon (EPA eGRID2023)", "region"))
    for province, mix in _load("2023/canada_energy_mix.json").items():
        if isinstance(mix, dict):
            g = _mix_intensity(mix)
            options.append(GridOption(f"CAN/{province}", g, "codecarbon (Canadian mix)", "region"))
    for zone, entry in _load("nordic_emissions.json")["data"].items():
        iso3 = {"SE": "SWE", "NO": "NOR", "FI": "FIN"}.get(zone[:2])
        if iso3:
            g = float(entry["emission_factor"])
            options.append(GridOption(f"{iso3}/{zone}", g, "codecarbon (ENTSO-E)", "region"))
    return options


def _gcp() -> list[GridOption]:
    path = _data_dir().parent / "cloud" / "impact.csv"
    with open(path, encoding="utf-8-sig", newline="") as f:
        return [
            GridOption(
                f"gcp:{row['region']}",
                float(row["impact"]),
                "codecarbon impact.csv (Google)",
                "cloud",
            )
            for row in csv.DictReader(f)
            if row.get("provider") == "gcp" and row.get("impact")
        ]


def _ccf() -> list[GridOption]:
    table = json.loads(CLOUD_TABLE.read_text(encoding="utf-8"))
    return [
        GridOption(f"{cloud}:{region}", float(g), _CCF, "cloud")
        for cloud in ("aws", "azure")
        for region, g in table[cloud].items()
    ]


def grid_options() -> list[GridOption]:
    """Every grid with a published figure that greengate ships or codecarbon does."""
    return [*_countries(), *_regions(), *_gcp(), *_ccf()]


def cloud_source() -> dict[str, object]:
    """Where the AWS and Azure figures come from (repository, commit, files, dates)."""
    source: dict[str, object] = json.loads(CLOUD_TABLE.read_text(encoding="utf-8"))["_source"]
    return source
