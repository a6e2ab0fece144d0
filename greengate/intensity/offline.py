"""Grid intensity from the data codecarbon ships: no network, ever.

The JSON files are read straight from codecarbon's package directory rather than through
``import codecarbon``, which would pull in pandas and cost half a second at every start.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from greengate.errors import UsageError
from greengate.intensity.interface import IntensityProvider
from greengate.measurement import GridIntensity, PowerTimeline
from greengate.policy.model import GridSetting

LBS_PER_MWH_TO_G_PER_KWH = 453.59237 / 1000.0
# codecarbon's own fallback (carbon_intensity_per_source.json: IEA Global Energy & CO2
# Status Report 2019), so greengate and codecarbon agree when nothing is configured.
WORLD_AVERAGE_SOURCE = "world average (IEA 2019, codecarbon's fallback)"


@functools.cache
def _data_dir() -> Path:
    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(
            "codecarbon is not installed, so no bundled grid data is available",
            hint="pip install codecarbon, or give a fixed intensity with --intensity G_PER_KWH",
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "private_infra"


def _load(relative: str) -> Any:
    with open(_data_dir() / relative, encoding="utf-8") as f:
        return json.load(f)


def country_mix(iso3: str) -> dict[str, Any] | None:
    """codecarbon's yearly generation mix for a country (``fossil_TWh``, ``nuclear_TWh``,
    ``renewables_TWh``, ``total_TWh``, ``year``, ...), or None where it has none."""
    entry = _load("global_energy_mix.json").get(iso3)
    return entry if isinstance(entry, dict) else None


def world_average() -> GridIntensity:
    """The fallback used when no grid is configured."""
    per_source = _load("carbon_intensity_per_source.json")
    return GridIntensity(float(per_source["world_average"]), WORLD_AVERAGE_SOURCE, None, 2019)


def _country(iso3: str) -> GridIntensity:
    mix = _load("global_energy_mix.json")
    entry = mix.get(iso3)
    if entry is None or entry.get("carbon_intensity") is None:
        raise UsageError(
            f"codecarbon has no grid data for country {iso3!r}",
            hint="use an ISO 3166-1 alpha-3 code such as FRA, DEU or USA, "
            "or give a fixed intensity in g/kWh",
        )
    source = "codecarbon bundled data (global_energy_mix.json, Our World in Data / Ember)"
    return GridIntensity(float(entry["carbon_intensity"]), source, iso3, entry.get("year"))


# codecarbon's factors for a regional mix (core/emissions.py, _region_energy_mix_to_emissions_rate,
# after responsibleproblemsolving/energy-usage): only fossil sources count. Copied rather than
# imported because importing codecarbon costs half a second; the verdict must agree with it.
_FOSSIL_G_PER_KWH = {"coal": 995.725971, "petroleum": 816.6885263, "naturalGas": 743.8415916}


def _mix_intensity(mix: dict[str, float]) -> float:
    """g/kWh of a provincial generation mix, computed exactly as codecarbon does."""
    total = float(mix.get("total") or 0.0)
    if total <= 0:
        return 0.0
    return sum(mix.get(source, 0.0) / total * g for source, g in _FOSSIL_G_PER_KWH.items())


_NORDIC_ZONE_PREFIX = {"SWE": "SE", "NOR": "NO", "FIN": "FI"}  # ENTSO-E bidding zone codes


def _region(iso3: str, region: str) -> GridIntensity:
    key = region.strip().lower()
    zone = f"{iso3}/{region}"
    if iso3 == "USA":
        data = _load("2023/usa_emissions.json")
        if key in data and not key.startswith("_"):
            g = float(data[key]["emissions"]) * LBS_PER_MWH_TO_G_PER_KWH
            return GridIntensity(g, "codecarbon bundled data (EPA eGRID2023)", zone, 2023)
    elif iso3 == "CAN":
        data = _load("2023/canada_energy_mix.json")
        if key in data:
            g = _mix_intensity(data[key])
            return GridIntensity(g, "codecarbon bundled data (Canadian provincial mix)", zone, 2023)
    elif iso3 in _NORDIC_ZONE_PREFIX:
        zones = _load("nordic_emissions.json")["data"]
        code = region.strip().upper()
        # The file holds every Nordic zone; only the country's own are its regions (as in
        # codecarbon's _NORDIC_REGIONS_BY_COUNTRY), so SWE/NO1 is refused, not Norway's figure.
        if code in zones and code.startswith(_NORDIC_ZONE_PREFIX[iso3]):
            z = zones[code]
            return GridIntensity(
                float(z["emission_factor"]),
                "codecarbon bundled data (ENTSO-E)",
                zone,
                z.get("year"),
            )
    elif iso3 == "CHN":
        provinces = _load("2023/china_provincial_emissions.json")["data"]
        for code, p in provinces.items():
            if key == code.lower() or key in p.get("names", []):
                return GridIntensity(
                    float(p["emission_factor"]),
                    "codecarbon bundled data (China provincial)",
                    zone,
                    p.get("year"),
                )
    raise UsageError(
        f"codecarbon has no grid data for region {region!r} of {iso3}",
        hint="regions exist for USA (states), CAN (provinces), SWE/NOR/FIN (bidding zones) "
        "and CHN (provinces); or drop the region to use the country's average",
    )


class OfflineIntensity(IntensityProvider):
    """Fixed figure, else codecarbon's country/region data, else the world average.

    One figure per year, so the run's span does not change it; each setting is looked up
    once and remembered (``check`` before the run, ``intensity`` after it).
    """

    name = "offline"

    def __init__(self) -> None:
        self._known: dict[GridSetting, GridIntensity] = {}

    def check(self, setting: GridSetting) -> None:
        """Raise UsageError now for a zone codecarbon does not know."""
        self.lookup(setting)

    def intensity(
        self,
        setting: GridSetting,
        start: datetime,
        end: datetime,
        timeline: PowerTimeline | None = None,
    ) -> GridIntensity:
        """The setting's yearly figure, whatever the span."""
        return self.lookup(setting)

    def lookup(self, setting: GridSetting) -> GridIntensity:
        """Resolve ``setting``; raises UsageError for a zone codecarbon does not know."""
        if setting not in self._known:
            self._known[setting] = self._resolve(setting)
        return self._known[setting]

    def _resolve(self, setting: GridSetting) -> GridIntensity:
        if setting.g_per_kwh is not None:
            return GridIntensity(setting.g_per_kwh, "fixed figure from the configuration")
        if setting.country is None:
            return world_average()
        iso3 = setting.country.upper()
        if setting.region:
            return _region(iso3, setting.region)
        return _country(iso3)
