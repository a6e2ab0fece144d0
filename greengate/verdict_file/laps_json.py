"""The verdict file's job keys (schema 1.2): ``laps`` of a start/lap/stop job, ``job_lap``."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from greengate.laps import JobLap, LapVerdict
from greengate.verdict import LimitCheck, Status


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def laps_to_list(
    laps: tuple[LapVerdict, ...],
    iso: Callable[[datetime], str],
    check: Callable[[LimitCheck], dict[str, Any]],
) -> list[dict[str, Any]]:
    """Each lap as the verdict file lays it out (docs/verdict.md, "laps")."""
    return [
        {
            "name": lap.name,
            "start": iso(lap.started_at),
            "end": iso(lap.ended_at),
            "duration_s": _finite(lap.duration_seconds),
            "energy_kwh": _finite(lap.energy_kwh),
            "emissions_kg": _finite(lap.emissions_kg),
            "band": {
                "energy_low_kwh": _finite(lap.energy_low_kwh),
                "energy_high_kwh": _finite(lap.energy_high_kwh),
                "emissions_low_kg": _finite(lap.emissions_low_kg),
                "emissions_high_kg": _finite(lap.emissions_high_kg),
            },
            "status": lap.status.value,
            "rule": lap.rule,
            "limits": [check(c) for c in lap.checks],
            "reasons": list(lap.reasons),
            "note": lap.note,
        }
        for lap in laps
    ]


def laps_from_list(
    data: list[dict[str, Any]],
    parse_time: Callable[[str], datetime],
    check: Callable[[dict[str, Any]], LimitCheck],
) -> tuple[LapVerdict, ...]:
    """Read back ``laps_to_list``."""
    return tuple(
        LapVerdict(
            name=d["name"],
            started_at=parse_time(d["start"]),
            ended_at=parse_time(d["end"]),
            energy_kwh=float(d["energy_kwh"]),
            energy_low_kwh=float(d["band"]["energy_low_kwh"]),
            energy_high_kwh=float(d["band"]["energy_high_kwh"]),
            emissions_kg=float(d["emissions_kg"]),
            emissions_low_kg=float(d["band"]["emissions_low_kg"]),
            emissions_high_kg=float(d["band"]["emissions_high_kg"]),
            status=Status(d["status"]),
            rule=d["rule"],
            checks=tuple(check(c) for c in d["limits"]),
            reasons=tuple(d["reasons"]),
            note=d.get("note"),
        )
        for d in data
    )


def job_lap_to_dict(lap: JobLap) -> dict[str, Any]:
    return {"index": lap.index, "after": lap.after, "state_dir": lap.state_dir}


def job_lap_from_dict(d: dict[str, Any]) -> JobLap:
    return JobLap(int(d["index"]), d.get("after"), d["state_dir"])
