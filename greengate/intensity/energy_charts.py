"""Fraunhofer ISE's Energy-Charts (https://api.energy-charts.info): no key, g/kWh, average.

``GET /co2eq?country=de&start=&end=`` -> parallel arrays ``{unix_seconds, co2eq,
co2eq_forecast}``, ``null`` where a value is missing; a point holds until the next
(15 minutes today).
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from greengate.intensity.grid_api import GridApi, intensity, iso_z, number
from greengate.intensity.http import Http
from greengate.intensity.slots import Slot


class EnergyCharts(GridApi):
    """Energy-Charts: measured where published, its forecast after."""

    name = "energy-charts"
    default_url = "https://api.energy-charts.info"

    def _get(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        answer = http.get_json(
            f"{self.base}/co2eq",
            {
                "country": self.grid.zone.lower(),
                "start": iso_z(start - timedelta(minutes=15)),
                "end": iso_z(end),
            },
        )
        return self.mapped("co2eq", lambda: self._slots(answer))

    @staticmethod
    def _slots(answer: dict[str, Any]) -> list[Slot]:
        times = [int(number(t, "unix_seconds")) for t in answer["unix_seconds"]]
        actual, forecast = answer.get("co2eq") or [], answer.get("co2eq_forecast") or []
        step = min((b - a for a, b in itertools.pairwise(times)), default=900)
        slots = []
        for index, t in enumerate(times):
            measured = actual[index] if index < len(actual) else None
            predicted = forecast[index] if index < len(forecast) else None
            value = measured if measured is not None else predicted
            if value is None:
                continue
            start = datetime.fromtimestamp(t, tz=timezone.utc)
            end_t = times[index + 1] if index + 1 < len(times) else t + step
            end = datetime.fromtimestamp(end_t, tz=timezone.utc)
            slots.append(Slot(start, end, intensity(value), forecast=measured is None))
        return slots

    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        return self._get(http, start, end)

    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        return self._get(http, start, end)
