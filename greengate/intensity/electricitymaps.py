"""Electricity Maps v3 (https://docs.electricitymaps.com): a grid average, in gCO2eq/kWh.

``GET /v3/carbon-intensity/latest?zone=`` -> ``{zone, carbonIntensity, datetime, isEstimated}``
(the hour starting at ``datetime``); ``/history?zone=`` -> ``{zone, history: [...]}`` (the
last 24 hours); ``/forecast?zone=`` -> ``{zone, forecast: [{carbonIntensity, datetime}]}``.
Header ``auth-token`` (codecarbon core/electricitymaps_api.py; Carbon Aware SDK's
ElectricityMapsClient).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from greengate.intensity.grid_api import GridApi, intensity, parse_time, required_env
from greengate.intensity.http import Http
from greengate.intensity.slots import Slot, merge

TOKEN = "GREENGATE_ELECTRICITYMAPS_TOKEN"
HOUR = timedelta(hours=1)


class ElectricityMaps(GridApi):
    """Electricity Maps: hourly values, estimated where its model filled a gap."""

    name = "electricitymaps"
    default_url = "https://api.electricitymaps.com"

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.env.get(TOKEN, ""),) if v)

    def _get(self, http: Http, path: str) -> Any:
        (token,) = required_env(self.env, TOKEN)
        return http.get_json(
            f"{self.base}/v3/carbon-intensity/{path}",
            {"zone": self.grid.zone},
            {"auth-token": token},
        )

    @staticmethod
    def _slot(point: dict[str, Any], forecast: bool) -> Slot:
        start = parse_time(point["datetime"])
        return Slot(
            start,
            start + HOUR,
            intensity(point["carbonIntensity"]),
            forecast=forecast,
            estimated=bool(point.get("isEstimated", False)),
        )

    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        latest = self._get(http, "latest")
        slot = self.mapped("latest", lambda: self._slot(latest, False))
        if slot.start <= start:
            return [slot]
        history = self._get(http, "history")  # the run began before the latest hour
        past = self.mapped("history", lambda: [self._slot(p, False) for p in history["history"]])
        return list(merge([slot], past))

    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        data = self._get(http, "forecast")
        return self.mapped("forecast", lambda: [self._slot(p, True) for p in data["forecast"]])
