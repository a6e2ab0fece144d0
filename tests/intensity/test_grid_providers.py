"""Each live provider against a loopback server speaking its documented JSON and errors."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from grid_server import HANG, GridServer, Reply, grid_server

from greengate.intensity.http import ProviderError
from greengate.intensity.live import LiveLookup
from greengate.intensity.watttime import LBS_PER_MWH_TO_G_PER_KWH
from greengate.policy.model import GridProvider, LiveGrid, Signal

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
TOKEN = "em-secret-token-0123456789"
USER, PASSWORD = "ww-user", "ww-pass-9876543210"
BEARER = "wt-bearer-abcdefghijkl"
ENV = {
    "GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN,
    "GREENGATE_WATTTIME_USERNAME": USER,
    "GREENGATE_WATTTIME_PASSWORD": PASSWORD,
}


def _grid(server: GridServer, provider: GridProvider, zone: str, **kw: Any) -> LiveGrid:
    return LiveGrid(provider, zone, url=server.url, timeout_s=kw.pop("timeout_s", 2.0), **kw)


def _run(grid: LiveGrid, start: datetime, end: datetime, cache: Path | None = None) -> Any:
    lookup = LiveLookup(grid, ENV, cache, now=lambda: end)
    lookup.begin(start)
    return lookup.finish(end)


# One documented success answer per provider, for a run 10:10-10:20 UTC.
def _electricitymaps(server: GridServer) -> LiveGrid:
    server.routes["/v3/carbon-intensity/latest"] = Reply(
        body={
            "zone": "DE",
            "carbonIntensity": 302,
            "datetime": "2026-12-01T10:00:00.000Z",
            "updatedAt": "2026-12-01T10:05:00.000Z",
            "createdAt": "2026-11-28T10:00:00.000Z",
            "emissionFactorType": "lifecycle",
            "isEstimated": True,
            "estimationMethod": "TIME_SLICER_AVERAGE",
        }
    )
    return _grid(server, GridProvider.ELECTRICITYMAPS, "DE")


def _watttime(server: GridServer) -> LiveGrid:
    server.routes["/login"] = Reply(body={"token": BEARER})
    points = [
        {"point_time": (T0 + timedelta(minutes=m)).isoformat(), "value": 1000.0}
        for m in range(10, 20, 5)
    ]
    server.routes["/v3/historical"] = Reply(
        body={
            "data": points,
            "meta": {
                "region": "CAISO_NORTH",
                "signal_type": "co2_moer",
                "units": "lbs_co2_per_mwh",
                "data_point_period_seconds": 300,
                "warnings": [],
            },
        }
    )
    return _grid(server, GridProvider.WATTTIME, "CAISO_NORTH", signal=Signal.MARGINAL)


def _uk(server: GridServer) -> LiveGrid:
    server.routes["/intensity/2026-12-01T09:41Z/2026-12-01T10:10Z"] = Reply(
        body={
            "data": [
                {
                    "from": "2026-12-01T10:00Z",
                    "to": "2026-12-01T10:30Z",
                    "intensity": {"forecast": 190, "actual": 181, "index": "moderate"},
                }
            ]
        }
    )
    return _grid(server, GridProvider.UK_CARBON_INTENSITY, "national")


def _sdk(server: GridServer) -> LiveGrid:
    server.routes["/emissions/bylocation"] = Reply(
        body=[
            {
                "location": "eastus",
                "time": "2026-12-01T10:00:00+00:00",
                "rating": 401.5,
                "duration": "01:00:00",
            }
        ]
    )
    return _grid(server, GridProvider.CARBON_AWARE_SDK, "eastus")


def _energy_charts(server: GridServer) -> LiveGrid:
    times = [int((T0 + timedelta(minutes=m)).timestamp()) for m in (0, 15, 30)]
    server.routes["/co2eq"] = Reply(
        body={
            "unix_seconds": times,
            "co2eq": [350.0, None, None],
            "co2eq_forecast": [None, 340.0, 330.0],
            "deprecated": False,
        }
    )
    return _grid(server, GridProvider.ENERGY_CHARTS, "DE")


PROVIDERS = {
    "electricitymaps": (_electricitymaps, "/v3/carbon-intensity/latest"),
    "watttime": (_watttime, "/v3/historical"),
    "uk": (_uk, "/intensity/2026-12-01T09:41Z/2026-12-01T10:10Z"),
    "sdk": (_sdk, "/emissions/bylocation"),
    "energy-charts": (_energy_charts, "/co2eq"),
}
START, END = T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)


def test_electricitymaps_latest_is_the_runs_hour_with_its_token_header() -> None:
    with grid_server() as server:
        figure = _run(_electricitymaps(server), START, END)
        assert server.seen[0].headers["auth-token"] == TOKEN
        assert server.seen[0].query == {"zone": "DE"}
    assert figure.g_per_kwh == 302
    assert figure.live.estimated and not figure.live.forecast
    assert figure.live.slots[0].start == T0


def test_watttime_logs_in_with_basic_auth_then_bearer_and_converts_lbs_exactly() -> None:
    with grid_server() as server:
        figure = _run(_watttime(server), START, END)
        login, data = server.seen[0], server.seen[1]
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert login.path == "/login" and login.headers["authorization"] == expected
    assert data.headers["authorization"] == f"Bearer {BEARER}"
    assert data.query["signal_type"] == "co2_moer" and data.query["region"] == "CAISO_NORTH"
    assert figure.g_per_kwh == pytest.approx(1000.0 * 453.59237 / 1000.0)
    assert LBS_PER_MWH_TO_G_PER_KWH == 453.59237 / 1000.0
    assert figure.live.signal == "marginal"


def test_watttime_logs_in_again_when_its_token_is_refused() -> None:
    with grid_server() as server:
        grid = _watttime(server)
        server.routes["/login"] = [
            Reply(body={"token": "old-token-1"}),
            Reply(body={"token": BEARER}),
        ]
        historical = server.routes["/v3/historical"]
        assert isinstance(historical, Reply)
        server.routes["/v3/historical"] = [Reply(401, {"error": "token expired"}), historical]
        figure = _run(grid, START, END)
        assert server.paths() == ["/login", "/v3/historical", "/login", "/v3/historical"]
        assert server.seen[-1].headers["authorization"] == f"Bearer {BEARER}"
    assert figure.g_per_kwh == pytest.approx(453.59237)


def test_watttime_average_signal_is_aoer() -> None:
    with grid_server() as server:
        grid = _watttime(server)
        _run(LiveGrid(grid.provider, grid.zone, Signal.AVERAGE, grid.url, 2.0), START, END)
        assert server.seen[1].query["signal_type"] == "co2_aoer"


def test_uk_prefers_actual_over_forecast_and_reads_regional_objects() -> None:
    with grid_server() as server:
        assert _run(_uk(server), START, END).g_per_kwh == 181
        server.routes["/regional/intensity/2026-12-01T09:41Z/2026-12-01T10:10Z/postcode/OX1"] = (
            Reply(
                body={
                    "data": {
                        "regionid": 12,
                        "shortname": "South England",
                        "postcode": "OX1",
                        "data": [
                            {
                                "from": "2026-12-01T10:00Z",
                                "to": "2026-12-01T10:30Z",
                                "intensity": {"forecast": 120, "index": "low"},
                            }
                        ],
                    }
                }
            )
        )
        grid = LiveGrid(GridProvider.UK_CARBON_INTENSITY, "ox1", url=server.url)
        regional = _run(grid, START, END)
    assert regional.g_per_kwh == 120 and regional.live.forecast


def test_sdk_and_energy_charts_map_their_shapes() -> None:
    with grid_server() as server:
        assert _run(_sdk(server), START, END).g_per_kwh == 401.5
        assert server.seen[0].query["location"] == "eastus"
        figure = _run(_energy_charts(server), START, END)
        assert server.seen[-1].query["country"] == "de"
    # 10:10-10:15 measured 350, 10:15-10:20 forecast 340: equal time without a timeline
    assert figure.g_per_kwh == pytest.approx(345.0)
    assert figure.live.forecast


def test_a_long_run_weights_each_slot_by_its_energy() -> None:
    from greengate.measurement import PowerTimeline

    with grid_server() as server:
        grid = _energy_charts(server)
        lookup = LiveLookup(grid, ENV, None, now=lambda: T0 + timedelta(minutes=30))
        lookup.begin(T0)
        # 30 W for the first quarter hour, 10 W for the second
        figure = lookup.finish(T0 + timedelta(minutes=30), PowerTimeline(900.0, (30.0, 10.0)))
    assert figure.g_per_kwh == pytest.approx((30 * 350 + 10 * 340) / 40)


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(401, {"error": {"code": "401", "message": "bad token"}}), "HTTP 401"),
        (Reply(500, b"<html>oops</html>"), "HTTP 500"),
        (Reply(200, b"{not json"), "malformed"),
        (Reply(200, {"unexpected": "shape"}), "malformed"),
        (Reply(429, {"message": "slow down"}, {"Retry-After": "30"}), "HTTP 429"),
    ],
)
def test_every_error_shape_is_a_short_reason_without_credentials(
    name: str, reply: Reply, reason: str
) -> None:
    build, path = PROVIDERS[name]
    with grid_server() as server:
        grid = build(server)
        server.routes[path] = reply
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
    assert caught.value.reason == reason
    text = str(caught.value)
    for secret in (
        TOKEN,
        PASSWORD,
        BEARER,
        base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(),
    ):
        assert secret not in text


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_a_hung_provider_is_a_timeout_bounded_by_the_grid_timeout(name: str) -> None:
    import time

    build, path = PROVIDERS[name]
    with grid_server() as server:
        grid = build(server)
        server.routes[path] = HANG
        grid = LiveGrid(grid.provider, grid.zone, grid.signal, grid.url, timeout_s=0.3)
        began = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
        assert time.monotonic() - began < 1.5
    assert caught.value.reason == "timeout"


def test_429_with_a_short_retry_after_is_retried() -> None:
    with grid_server() as server:
        grid = _electricitymaps(server)
        good = server.routes["/v3/carbon-intensity/latest"]
        assert isinstance(good, Reply)
        server.routes["/v3/carbon-intensity/latest"] = [Reply(429, {}, {"Retry-After": "0"}), good]
        assert _run(grid, START, END).g_per_kwh == 302
        assert len(server.seen) == 2


def test_missing_credentials_say_which_variable_and_make_no_call() -> None:
    with grid_server() as server:
        grid = _electricitymaps(server)
        lookup = LiveLookup(grid, {}, None, now=lambda: END)
        lookup.begin(START)
        with pytest.raises(ProviderError, match="GREENGATE_ELECTRICITYMAPS_TOKEN is not set"):
            lookup.finish(END)
        assert server.seen == []


def test_a_hundred_runs_in_one_slot_make_one_call(tmp_path: Path) -> None:
    with grid_server() as server:
        grid = _electricitymaps(server)
        for minute in range(10, 60, 1):
            start = T0 + timedelta(minutes=minute)
            for _ in range(2):
                _run(grid, start, start + timedelta(seconds=20), tmp_path)
        assert len(server.seen) == 1


def test_watttime_renews_its_token_when_it_expires() -> None:
    from greengate.intensity.http import Http
    from greengate.intensity.watttime import WattTime

    clock = [0.0]
    with grid_server() as server:
        grid = _watttime(server)
        api = WattTime(grid, ENV, clock=lambda: clock[0])
        http = Http(2.0, api.secrets())
        api.actual(http, START, END)
        clock[0] += 10 * 60  # still valid: no second login
        api.actual(http, START, END)
        clock[0] += 30 * 60  # WattTime's 30 minutes are over
        api.actual(http, START, END)
        logins = [p for p in server.paths() if p == "/login"]
    assert len(logins) == 2
