"""National Grid ESO's Carbon Intensity API for Great Britain (carbon-intensity/api-definitions).

No key. National: ``GET /intensity/{from}/{to}`` and ``/intensity/{from}/fw48h`` ->
``{"data": [{"from", "to", "intensity": {"forecast", "actual", "index"}}]}``, ``actual``
null until measured. Regional (zone an outward postcode such as OX1, or a region id 1-17):
``/regional/intensity/{from}/{to}/postcode/{outward}`` or ``/regionid/{id}``, whose
``data`` is an object holding the list in ``data`` (as GreenScheduler/cats reads it) and
has forecasts only. Times as ``YYYY-MM-DDThh:mmZ``; half-hour slots.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from greengate.intensity.grid_api import GridApi, intensity, parse_time
from greengate.intensity.http import Http
from greengate.intensity.slots import Slot


def _minute(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%MZ")


class UkCarbonIntensity(GridApi):
    """Great Britain, national or regional, half-hourly."""

    name = "uk-carbon-intensity"
    default_url = "https://api.carbonintensity.org.uk"

    def _path(self, span: str) -> str:
        zone = self.grid.zone.strip()
        if zone.lower() == "national":
            return f"/intensity/{span}"
        kind = "regionid" if zone.isdigit() else "postcode"
        return f"/regional/intensity/{span}/{kind}/{quote(zone.upper(), safe='')}"

    def _slots(self, answer: Any) -> list[Slot]:
        data = answer["data"]
        if isinstance(data, dict):  # regional: one region, its periods under data.data
            data = data["data"]
        elif data and isinstance(data[0], dict) and "regionid" in data[0]:
            data = data[0]["data"]
        slots = []
        for period in data:
            values = period["intensity"]
            actual = values.get("actual")
            value = actual if actual is not None else values["forecast"]
            slots.append(
                Slot(
                    parse_time(period["from"]),
                    parse_time(period["to"]),
                    intensity(value),
                    forecast=actual is None,
                )
            )
        return slots

    def _get(self, http: Http, span: str) -> list[Slot]:
        answer = http.get_json(self.base + self._path(span))
        return self.mapped("intensity", lambda: self._slots(answer))

    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        # The API's {from} is inclusive of the half hour it falls in only after its first
        # minute (CATS adds one); asking from a minute earlier keeps the run's own slot.
        return self._get(http, f"{_minute(start - timedelta(minutes=29))}/{_minute(end)}")

    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        return self._get(http, f"{_minute(start)}/fw48h")
