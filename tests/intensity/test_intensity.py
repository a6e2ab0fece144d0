"""Offline grid intensity, checked against codecarbon's own data files and its own code.

Expected figures are read from the JSON files codecarbon ships, never typed in, so the tests
keep holding when codecarbon updates its data.
"""

from __future__ import annotations

import importlib.util
import json
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from factories import T0

from greengate.errors import UsageError
from greengate.intensity.offline import OfflineIntensity
from greengate.measurement import GridIntensity
from greengate.policy.model import GridSetting


@cache
def codecarbon_data(relative: str) -> Any:
    spec = importlib.util.find_spec("codecarbon")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    return json.loads((root / "data" / "private_infra" / relative).read_text(encoding="utf-8"))


def intensity(
    country: str | None = None, region: str | None = None, g: float | None = None
) -> GridIntensity:
    setting = GridSetting(country=country, region=region, g_per_kwh=g)
    return OfflineIntensity().intensity(setting, T0, T0 + timedelta(hours=1))


def codecarbon_g_per_kwh(country: str, region: str | None = None) -> float:
    """What codecarbon itself computes for 1 kWh at this location, in g/kWh."""
    from codecarbon.core.emissions import Emissions
    from codecarbon.core.units import Energy
    from codecarbon.external.geography import GeoMetadata
    from codecarbon.input import DataSource

    geo = GeoMetadata(country_iso_code=country, region=region)
    kg = Emissions(DataSource()).get_private_infra_emissions(Energy(kWh=1.0), geo)
    return float(kg) * 1000.0


LBS_PER_MWH_IN_G_PER_KWH = 453.59237 / 1000  # 1 lb = 453.59237 g (exact, by definition)
COUNTRIES = sorted(codecarbon_data("global_energy_mix.json"))
US_STATES = sorted(k for k in codecarbon_data("2023/usa_emissions.json") if not k.startswith("_"))
PROVINCES = sorted(codecarbon_data("2023/canada_energy_mix.json"))
NORDIC_ZONES = sorted(codecarbon_data("nordic_emissions.json")["data"])
CHINA = codecarbon_data("2023/china_provincial_emissions.json")["data"]


def test_there_is_data_to_test() -> None:
    assert len(COUNTRIES) > 100 and len(US_STATES) > 40 and PROVINCES and NORDIC_ZONES and CHINA


def test_every_country_has_codecarbons_yearly_figure() -> None:
    mix = codecarbon_data("global_energy_mix.json")
    for iso3 in COUNTRIES:
        got = intensity(iso3)
        assert got.g_per_kwh == float(mix[iso3]["carbon_intensity"]), iso3
        assert (got.zone, got.year) == (iso3, mix[iso3].get("year"))


@pytest.mark.parametrize("iso3", ["FRA", "DEU", "USA", "IND"])
def test_country_agrees_with_codecarbon_itself(iso3: str) -> None:
    assert intensity(iso3).g_per_kwh == pytest.approx(codecarbon_g_per_kwh(iso3))


def test_country_code_is_case_insensitive() -> None:
    assert intensity("fra") == intensity("FRA")


def test_no_grid_is_codecarbons_world_average() -> None:
    got = intensity()
    world = codecarbon_data("carbon_intensity_per_source.json")["world_average"]
    assert got.g_per_kwh == float(world)
    assert got.year == 2019 and "world average" in got.source
    assert got.zone is None


def test_a_fixed_figure_wins_over_the_country() -> None:
    got = intensity("FRA", g=123.5)
    assert (got.g_per_kwh, got.zone) == (123.5, None)
    assert "fixed" in got.source


def test_every_us_state_converts_egrid_pounds_per_mwh() -> None:
    data = codecarbon_data("2023/usa_emissions.json")
    assert data["_unit"]["emissions"] == "lbs/MWh"
    for state in US_STATES:
        got = intensity("USA", state)
        assert got.g_per_kwh == pytest.approx(data[state]["emissions"] * LBS_PER_MWH_IN_G_PER_KWH)
        assert got.zone == f"USA/{state}"


@pytest.mark.parametrize("region", ["california", "new york"])
def test_us_state_agrees_with_codecarbon_itself(region: str) -> None:
    assert intensity("USA", region).g_per_kwh == pytest.approx(codecarbon_g_per_kwh("USA", region))


def test_region_names_are_case_insensitive() -> None:
    assert intensity("USA", "California").g_per_kwh == intensity("USA", "california").g_per_kwh


def test_every_nordic_bidding_zone_has_its_factor() -> None:
    zones = codecarbon_data("nordic_emissions.json")["data"]
    country = {"SE": "SWE", "NO": "NOR", "FI": "FIN"}
    for code in NORDIC_ZONES:
        iso3 = country[code[:2]]
        got = intensity(iso3, code.lower())
        assert got.g_per_kwh == float(zones[code]["emission_factor"])
        assert got.g_per_kwh == pytest.approx(codecarbon_g_per_kwh(iso3, code))


@pytest.mark.parametrize(("country", "zone"), [("SWE", "NO1"), ("NOR", "SE3"), ("FIN", "SE1")])
def test_a_zone_of_another_nordic_country_is_refused(country: str, zone: str) -> None:
    # codecarbon itself takes only the country's own zones (and falls back to the country).
    assert zone in NORDIC_ZONES
    with pytest.raises(UsageError, match=zone):
        intensity(country, zone)


def test_china_provinces_by_code_or_name() -> None:
    for code, province in CHINA.items():
        by_code = intensity("CHN", code)
        assert by_code.g_per_kwh == float(province["emission_factor"])
        for name in province.get("names", []):
            assert intensity("CHN", name).g_per_kwh == by_code.g_per_kwh
    code, province = next(iter(CHINA.items()))
    name = province["names"][0]
    assert intensity("CHN", name).g_per_kwh == pytest.approx(codecarbon_g_per_kwh("CHN", name))


def test_every_canadian_province_resolves() -> None:
    for province in PROVINCES:
        got = intensity("CAN", province)
        assert got.zone == f"CAN/{province}"
        assert 0 < got.g_per_kwh < 1000


@pytest.mark.parametrize("province", ["british columbia", "ontario", "alberta"])
def test_canadian_province_agrees_with_codecarbon_itself(province: str) -> None:
    got = intensity("CAN", province).g_per_kwh
    assert got == pytest.approx(codecarbon_g_per_kwh("CAN", province), rel=1e-6)


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("XYZ", None),  # no such country
        ("USA", "atlantis"),  # no such state
        ("USA", "_unit"),  # the file's metadata keys are not states
        ("CAN", "atlantis"),
        ("SWE", "SE9"),
        ("CHN", "atlantis"),
        ("FRA", "bretagne"),  # codecarbon has no regions for France
    ],
)
def test_an_unknown_zone_is_a_usage_error(country: str, region: str | None) -> None:
    with pytest.raises(UsageError) as info:
        intensity(country, region)
    assert info.value.exit_code == 2
    assert info.value.hint  # says what to use instead
    assert (region or country) in str(info.value)


def test_check_refuses_an_unknown_zone_before_any_run() -> None:
    with pytest.raises(UsageError, match="XYZ"):
        OfflineIntensity().check(GridSetting(country="XYZ"))


def test_a_setting_is_resolved_once_per_provider() -> None:
    provider = OfflineIntensity()
    setting = GridSetting(country="FRA")
    before = provider.lookup(setting)  # what check() resolves before the run
    # ... is the very answer intensity() gives after it: looked up once, not twice
    assert provider.intensity(setting, T0, T0 + timedelta(hours=2)) is before
    assert before == intensity("FRA")
