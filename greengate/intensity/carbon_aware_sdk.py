"""The Green Software Foundation's Carbon Aware SDK Web API (self-hosted; grid.url required).

``GET /emissions/bylocation?location=&time=&toTime=`` -> ``[{location, time, rating,
duration}]`` (duration as ``hh:mm:ss``); ``/emissions/forecasts/current?location=
&dataStartAt=&dataEndAt=`` -> ``[{location, forecastData: [{timestamp, duration, value}],
optimalDataPoints: [...]}]`` (duration in minutes). Ratings are g/kWh from whichever
data source the SDK is configured with (src/CarbonAware.WebApi, EmissionsDataDTO).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from greengate.intensity.grid_api import GridApi, intensity, iso_z, number, parse_time
from greengate.intensity.http import Http
from greengate.intensity.slots import Slot, merge

_TIMESPAN = re.compile(r"(?:(\d+)\.)?(\d+):(\d+):(\d+(?:\.\d+)?)")


def _timespan(value: Any) -> timedelta:
    """.NET TimeSpan text (``01:00:00``, ``1.00:00:00``) as a timedelta."""
    match = _TIMESPAN.fullmatch(str(value))
    if match is None:
        raise ValueError("duration is not a TimeSpan")
    days, hours, minutes, seconds = match.groups()
    return timedelta(
        days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=float(seconds)
    )


class CarbonAwareSdk(GridApi):
    """A Carbon Aware SDK Web API, wherever the user runs it."""

    name = "carbon-aware-sdk"

    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        answer = http.get_json(
            f"{self.base}/emissions/bylocation",
            {"location": self.grid.zone, "time": iso_z(start), "toTime": iso_z(end)},
        )

        def slots() -> list[Slot]:
            found = []
            for point in answer:
                at = parse_time(point["time"])
                span = _timespan(point["duration"]) or timedelta(hours=1)
                found.append(Slot(at, at + span, intensity(point["rating"])))
            return found

        measured = self.mapped("bylocation", slots)
        if measured and max(s.end for s in measured) >= end:
            return measured
        return list(merge(measured, self.forecast(http, start, end)))

    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        answer = http.get_json(
            f"{self.base}/emissions/forecasts/current",
            {"location": self.grid.zone, "dataStartAt": iso_z(start), "dataEndAt": iso_z(end)},
        )

        def slots() -> list[Slot]:
            found = []
            for forecast in answer:
                for point in forecast["forecastData"]:
                    at = parse_time(point["timestamp"])
                    span = timedelta(minutes=number(point["duration"], "duration") or 5)
                    found.append(Slot(at, at + span, intensity(point["value"]), forecast=True))
            return found

        return self.mapped("forecast", slots)
