"""The aggregates a disclosure (ESRS E1, SCI) is built from: one GROUP BY each, in SQL.

Summed in the database so a year of 100,000 runs never becomes 100,000 Python objects.
Runs recorded before schema 2 have no zone, band, tiers or SCI terms: they fall in the
unknown groups (a band of zero width, no mix, no embodied figure), and the document says
how many they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from greengate.ledger.records import RecordFilter
from greengate.ledger.rows import conditions

# A run without a band (recorded before schema 2) counts its central figure at both ends.
_LOW = "COALESCE(energy_low_kwh, energy_kwh)"
_HIGH = "COALESCE(energy_high_kwh, energy_kwh)"


@dataclass(frozen=True)
class ZoneEnergy:
    """The runs of one grid zone in the period: energy, location-based grams, where they are."""

    zone: str | None  # None: not recorded (older runs, or a fixed --intensity)
    runs: int
    energy_kwh: float
    energy_low_kwh: float
    energy_high_kwh: float
    location_g: float  # sum of energy x the run's grid intensity: kWh x g/kWh
    location_low_g: float
    location_high_g: float
    runs_without_band: int
    first_id: int
    last_id: int
    first_at: datetime
    last_at: datetime


@dataclass(frozen=True)
class MethodCount:
    """How many runs (and how much energy) one way of measuring accounts for."""

    source: str  # "greengate run", "codecarbon emissions.csv", ...
    scope: str | None  # process, machine; None: not recorded
    tiers: str | None  # e.g. "cpu=tdp,memory=coefficient"; None: not recorded
    runs: int
    energy_kwh: float


@dataclass(frozen=True)
class SciGroup:
    """One job's runs with one functional unit, boundary and method: SCI's sums."""

    repository: str | None
    job: str | None
    unit_name: str | None  # None: no --unit; R is then one run
    scope: str | None
    tiers: str | None
    runs: int
    energy_kwh: float  # E
    operational_g: float  # E x I, summed per run
    embodied_kg: float  # M, over the runs that know it
    runs_without_embodied: int
    unit_count: float  # R, summed; 0 without a unit


def zones_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """Per grid zone: runs, energy and its band, location-based grams, first and last run."""
    condition, params = conditions(where, mark, time)
    sql = (
        f"SELECT grid_zone, COUNT(*), SUM(energy_kwh), SUM({_LOW}), SUM({_HIGH}), "
        f"SUM(energy_kwh * intensity_g_per_kwh), SUM({_LOW} * intensity_g_per_kwh), "
        f"SUM({_HIGH} * intensity_g_per_kwh), "
        "SUM(CASE WHEN energy_low_kwh IS NULL THEN 1 ELSE 0 END), MIN(id), MAX(id), "
        f"MIN(recorded_at), MAX(recorded_at) FROM runs{condition} GROUP BY grid_zone"
    )
    return sql, params


def zones_from_rows(rows: list[Any], from_time: Callable[[Any], datetime]) -> list[ZoneEnergy]:
    """ZoneEnergy per row of zones_sql, by zone (unknown last: NULL sorts apart per database)."""
    zones = []
    for r in rows:
        e, low, high, g, g_low, g_high = (float(x) for x in r[2:8])
        zones.append(
            ZoneEnergy(
                r[0] or None,
                int(r[1]),
                e,
                low,
                high,
                g,
                g_low,
                g_high,
                runs_without_band=int(r[8]),
                first_id=int(r[9]),
                last_id=int(r[10]),
                first_at=from_time(r[11]),
                last_at=from_time(r[12]),
            )
        )
    return sorted(zones, key=lambda z: (z.zone is None, z.zone or ""))


def methods_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """Runs and energy per (source, scope, tiers)."""
    condition, params = conditions(where, mark, time)
    sql = (
        f"SELECT source, scope, tiers, COUNT(*), SUM(energy_kwh) FROM runs{condition} "
        "GROUP BY source, scope, tiers"
    )
    return sql, params


def methods_from_rows(rows: list[Any]) -> list[MethodCount]:
    """MethodCount per row of methods_sql, most runs first."""
    found = [MethodCount(r[0], r[1], r[2], int(r[3]), float(r[4])) for r in rows]
    return sorted(found, key=lambda m: (-m.runs, m.source, m.scope or "", m.tiers or ""))


def sci_sql(
    where: RecordFilter, mark: str, time: Callable[[datetime], Any]
) -> tuple[str, tuple[Any, ...]]:
    """SCI's sums per (repository, job, unit, scope, tiers)."""
    condition, params = conditions(where, mark, time)
    sql = (
        "SELECT repository, job, unit_name, scope, tiers, COUNT(*), SUM(energy_kwh), "
        "SUM(energy_kwh * intensity_g_per_kwh), COALESCE(SUM(embodied_kg), 0), "
        "SUM(CASE WHEN embodied_kg IS NULL THEN 1 ELSE 0 END), COALESCE(SUM(unit_count), 0) "
        f"FROM runs{condition} GROUP BY repository, job, unit_name, scope, tiers"
    )
    return sql, params


def sci_from_rows(rows: list[Any]) -> list[SciGroup]:
    """SciGroup per row of sci_sql, by repository, job and unit."""
    groups = [
        SciGroup(
            repository=r[0] or None,
            job=r[1] or None,
            unit_name=r[2],
            scope=r[3],
            tiers=r[4],
            runs=int(r[5]),
            energy_kwh=float(r[6]),
            operational_g=float(r[7]),
            embodied_kg=float(r[8]),
            runs_without_embodied=int(r[9]),
            unit_count=float(r[10]),
        )
        for r in rows
    ]
    fields = ("repository", "job", "unit_name", "scope", "tiers")
    return sorted(groups, key=lambda g: tuple(getattr(g, f) or "" for f in fields))
