"""A live grid provider's data in the verdict file, and back (schema 1.2)."""

from __future__ import annotations

from typing import Any

from greengate.live_intensity import LiveIntensity, Slot
from greengate.verdict_file.json_values import finite, parse_time


def live_to_dict(live: LiveIntensity) -> dict[str, Any]:
    """The verdict's ``measurement.intensity.live`` object (schema 1.2)."""
    return {
        "provider": live.provider,
        "zone": live.zone,
        "signal": live.signal,
        "forecast": live.forecast,
        "estimated": live.estimated,
        "fallback_reason": live.fallback_reason,
        "data": [
            {
                "start": s.start.isoformat(),
                "end": s.end.isoformat(),
                "g_per_kwh": finite(s.g_per_kwh),
                "forecast": s.forecast,
                "estimated": s.estimated,
            }
            for s in live.slots
        ],
    }


def live_from_dict(d: dict[str, Any] | None) -> LiveIntensity | None:
    """A LiveIntensity from a verdict; None when the run was offline (or the file older)."""
    if not d:
        return None
    slots = tuple(
        Slot(
            parse_time(s["start"]),
            parse_time(s["end"]),
            float(s["g_per_kwh"]),
            bool(s["forecast"]),
            bool(s["estimated"]),
        )
        for s in d["data"]
    )
    return LiveIntensity(d["provider"], d["zone"], d["signal"], slots, d["fallback_reason"])
