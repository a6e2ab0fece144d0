"""The disclosures as CSV for spreadsheets: one row per figure, with its unit and reference.

Written by greengate.files.spreadsheet, the one CSV writer: job names, zones and sources come
from pull requests and policies, so formulas are defused and line breaks quoted there.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from greengate.files import spreadsheet

FIELDS = ("section", "key", "item", "value", "unit", "reference")


def _sheet(rows: Iterable[tuple[Any, ...]]) -> str:
    return spreadsheet.line(FIELDS) + spreadsheet.lines(rows)


def esrs_csv(doc: dict[str, Any]) -> str:
    """The ESRS document's figures, one per row."""
    refs = doc["references"]
    period = f"{doc['period']['start'] or ''}..{doc['period']['end'] or ''}"
    rows: list[tuple[Any, ...]] = [
        ("summary", "", "period", period, "", ""),
        ("summary", "", "boundary", doc["boundary"]["repository"], "", ""),
        ("summary", "", "runs", doc["runs"], "", ""),
        (
            "summary",
            "",
            "energy_consumption_mwh",
            doc["energy_consumption_mwh"],
            "MWh",
            refs["energy_consumption_mwh"],
        ),
    ]
    for bound in ("low", "high"):
        rows.append(
            (
                "summary",
                "",
                f"energy_consumption_{bound}_mwh",
                doc["energy_consumption_band_mwh"][bound],
                "MWh",
                "",
            )
        )
    for key, value in doc["energy_mix_mwh"].items():
        rows.append(("summary", "", f"energy_{key}", value, "MWh", refs["energy_consumption_mwh"]))
    for method in ("location", "market"):
        name = f"scope2_{method}_based_tco2e"
        rows.append(("summary", "", name, doc[name], "t CO2e", refs[name]))
        for bound in ("low", "high"):
            rows.append(
                (
                    "summary",
                    "",
                    f"scope2_{method}_based_{bound}_tco2e",
                    doc[f"scope2_{method}_based_band_tco2e"][bound],
                    "t CO2e",
                    "",
                )
            )
    rows.append(
        (
            "summary",
            "",
            "scope2_market_based_basis",
            doc["scope2_market_based_basis"],
            "",
            refs["scope2_methods"],
        )
    )
    for z in doc["zones"]:
        zone = z["zone"] or "unknown"
        rows += [
            (
                "zone",
                zone,
                "runs",
                z["runs"],
                "",
                f"run ids {z['first_run_id']}..{z['last_run_id']}",
            ),
            ("zone", zone, "energy_mwh", z["energy_mwh"], "MWh", ""),
            (
                "zone",
                zone,
                "scope2_location_based_tco2e",
                z["scope2_location_based_tco2e"],
                "t CO2e",
                "",
            ),
            (
                "zone",
                zone,
                "scope2_market_based_tco2e",
                z["scope2_market_based_tco2e"],
                "t CO2e",
                "",
            ),
        ]
        for i in z["market_based"]["instruments"]:
            rows.append(("instrument", zone, i["kind"], i["coverage"], "share", i["source"]))
        rest = z["market_based"]["remainder"]
        if rest is not None:
            rows.append(("remainder", zone, rest["basis"], rest["share"], "share", rest["source"]))
    for m in doc["methods"]:
        tiers = ",".join(m["tiers"]) if m["tiers"] else "not recorded"
        rows.append(
            (
                "method",
                m["source"],
                f"{m['scope'] or 'scope not recorded'}: {tiers}",
                m["runs"],
                "runs",
                "",
            )
        )
    return _sheet(rows)


def sci_csv(doc: dict[str, Any]) -> str:
    """One row per job's SCI figure and terms."""
    rows: list[tuple[Any, ...]] = []
    for j in doc["jobs"]:
        key = f"{j['repository'] or '?'}:{j['job'] or '?'}:{j['software_boundary']['scope'] or '?'}"
        unit = j["functional_unit"]["name"]
        rows += [
            (
                "sci",
                key,
                "sci_g_per_unit",
                j["sci_g_per_unit"],
                f"g CO2e per {unit}",
                doc["specification"],
            ),
            ("sci", key, "R", j["functional_unit"]["count"], unit, ""),
            ("sci", key, "E_kwh", j["E_kwh"], "kWh", ""),
            ("sci", key, "I_g_per_kwh", j["I_g_per_kwh"], "g CO2e/kWh", "location-based"),
            ("sci", key, "M_g", j["M_g"], "g CO2e", ""),
            ("sci", key, "runs", j["runs"], "", ""),
        ]
    return _sheet(rows)
