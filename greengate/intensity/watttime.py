"""WattTime v3 (https://docs.watttime.org; WattTime/watttime-python-client watttime/api.py).

``GET /login`` with basic auth -> ``{"token"}`` (valid 30 minutes), then a bearer token.
``/v3/historical?region=&start=&end=&signal_type=`` and ``/v3/forecast?region=&signal_type=
&horizon_hours=`` -> ``{meta: {units, data_point_period_seconds}, data: [{point_time,
value}]}``. ``co2_moer`` is the marginal signal, ``co2_aoer`` the average one; values are
lbs CO2/MWh, converted exactly: x 453.59237 g/lb / 1000 kWh/MWh.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from greengate.intensity.grid_api import (
    GridApi,
    intensity,
    iso_z,
    number,
    parse_time,
    required_env,
)
from greengate.intensity.http import Http, ProviderError
from greengate.intensity.slots import Slot, merge
from greengate.policy.model import Signal

USERNAME, PASSWORD = "GREENGATE_WATTTIME_USERNAME", "GREENGATE_WATTTIME_PASSWORD"
LBS_PER_MWH_TO_G_PER_KWH = 453.59237 / 1000.0
TOKEN_LIFETIME_S = 30 * 60 - 60  # WattTime's 30 minutes, renewed a minute early
SIGNAL_TYPES = {Signal.MARGINAL: "co2_moer", Signal.AVERAGE: "co2_aoer"}
_UNITS = {"lbs_co2_per_mwh": LBS_PER_MWH_TO_G_PER_KWH, "g_co2_per_kwh": 1.0}


class WattTime(GridApi):
    """WattTime: 5-minute points; the login token is renewed when it expires (or on 401)."""

    name = "watttime"
    default_url = "https://api.watttime.org"

    def __init__(self, *args: Any, clock: Any = time.monotonic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._token: str | None = None
        self._expires = 0.0
        self._clock = clock

    def secrets(self) -> tuple[str, ...]:
        return tuple(v for v in (self.env.get(USERNAME, ""), self.env.get(PASSWORD, "")) if v)

    def _login(self, http: Http) -> str:
        username, password = required_env(self.env, USERNAME, PASSWORD)
        answer = http.get_json(
            f"{self.base}/login", credentials={"Authorization": http.basic(username, password)}
        )
        token = answer.get("token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token:
            raise ProviderError("malformed", "watttime: the login answer has no token")
        http.add_secret(token)
        self._token, self._expires = token, self._clock() + TOKEN_LIFETIME_S
        return token

    def _get(self, http: Http, path: str, params: dict[str, str]) -> Any:
        params = {"region": self.grid.zone, "signal_type": SIGNAL_TYPES[self.grid.signal], **params}
        for attempt in range(2):
            token = self._token if self._token and self._clock() < self._expires else None
            token = token or self._login(http)
            try:
                return http.get_json(
                    f"{self.base}{path}", params, {"Authorization": f"Bearer {token}"}
                )
            except ProviderError as error:
                if error.reason != "HTTP 401" or attempt:
                    raise
                self._token = None  # expired early (clock skew, revoked): log in once more
        raise AssertionError("unreachable")  # pragma: no cover

    def _slots(self, answer: Any, forecast: bool) -> list[Slot]:
        meta = answer["meta"]
        factor = _UNITS[str(meta.get("units", "lbs_co2_per_mwh")).lower()]
        period = timedelta(seconds=number(meta.get("data_point_period_seconds", 300), "period"))
        slots = []
        for point in answer["data"]:
            start = parse_time(point["point_time"])
            g = intensity(point["value"]) * factor
            slots.append(Slot(start, start + period, g, forecast=forecast))
        return slots

    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        past = self._get(http, "/v3/historical", {"start": iso_z(start), "end": iso_z(end)})
        slots = self.mapped("historical", lambda: self._slots(past, False))
        if slots and max(s.end for s in slots) >= end:
            return slots
        ahead = self._get(http, "/v3/forecast", {"horizon_hours": "1"})  # not yet published
        return list(merge(slots, self.mapped("forecast", lambda: self._slots(ahead, True))))

    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        hours = max(1, min(72, int((end - start).total_seconds() // 3600) + 1))
        ahead = self._get(http, "/v3/forecast", {"horizon_hours": str(hours)})
        return self.mapped("forecast", lambda: self._slots(ahead, True))
