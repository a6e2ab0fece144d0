"""Whatever a grid server does (redirects, drips, broken HTTP, absurd JSON), the run gets a
fallback saying what it did: credentials stay with the configured origin, the grid timeout
bounds the whole exchange, and no answer is an internal error."""

from __future__ import annotations

import json
import math
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from grid_server import GridServer, Reply, grid_server
from test_grid_providers import END, ENV, PASSWORD, PROVIDERS, START, T0, TOKEN, USER, _run

from greengate.intensity.http import ProviderError
from greengate.intensity.live import LiveLookup
from greengate.intensity.slot_cache import SlotCache

EM_LATEST = "/v3/carbon-intensity/latest"


def _elsewhere(other: GridServer, path: str = "/stolen") -> Reply:
    other.routes[path] = Reply(body={"token": "x", "carbonIntensity": 1})
    return Reply(302, b"", {"Location": other.url + path})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_an_electricitymaps_token_never_follows_a_redirect_to_another_port(status: int) -> None:
    build, path = PROVIDERS["electricitymaps"]
    with grid_server() as server, grid_server() as other:
        grid = build(server)
        other.routes["/stolen"] = Reply(body={})
        server.routes[path] = Reply(status, b"", {"Location": other.url + "/stolen"})
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
        assert other.seen == []  # not even a request without the token: refused
    assert caught.value.reason == "redirected"
    assert "another origin" in caught.value.message and TOKEN not in str(caught.value)


def test_a_redirect_to_another_host_is_refused_too() -> None:
    build, path = PROVIDERS["electricitymaps"]
    with grid_server() as server, grid_server() as other:
        grid = build(server)
        # localhost and 127.0.0.1 reach the same socket, but they are two origins
        elsewhere = other.url.replace("127.0.0.1", "localhost")
        server.routes[path] = Reply(307, b"", {"Location": elsewhere + "/stolen"})
        with pytest.raises(ProviderError, match="another origin"):
            _run(grid, START, END)
        assert other.seen == []


@pytest.mark.parametrize(("route", "status"), [("/login", 301), ("/v3/historical", 307)])
def test_watttime_credentials_never_follow_a_redirect_elsewhere(route: str, status: int) -> None:
    build, _ = PROVIDERS["watttime"]
    with grid_server() as server, grid_server() as other:
        grid = build(server)
        server.routes[route] = Reply(status, b"", {"Location": other.url + route})
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
        assert other.seen == []
    assert caught.value.reason == "redirected"


def test_a_redirect_within_the_origin_is_followed_with_the_token() -> None:
    build, path = PROVIDERS["electricitymaps"]
    with grid_server() as server:
        grid = build(server)
        server.routes["/moved"] = server.routes[path]
        server.routes[path] = Reply(307, b"", {"Location": "/moved"})
        assert _run(grid, START, END).g_per_kwh == 302
        assert server.seen[-1].path == "/moved" and server.seen[-1].headers["auth-token"] == TOKEN


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_a_server_that_drips_its_answer_is_cut_off_at_the_grid_timeout(name: str) -> None:
    build, path = PROVIDERS[name]
    with grid_server() as server:
        grid = build(server)
        good = server.routes[path]
        assert isinstance(good, Reply)
        # One byte every 50 ms: each read is quick, the whole answer takes over 10 s.
        server.routes.clear()  # every path, the login and the forecast ones too, drips
        server.default = Reply(good.status, {"token": "t0k3n", "pad": "x" * 200}, drip_s=0.05)
        grid = type(grid)(grid.provider, grid.zone, grid.signal, grid.url, timeout_s=0.5)
        lookup = LiveLookup(grid, ENV, None, now=lambda: END)
        began = time.monotonic()
        with pytest.raises(ProviderError) as caught:
            lookup.forecast(START, END)  # `greengate when`: no background thread to hide it
        assert time.monotonic() - began < 1.5
    assert caught.value.reason == "timeout"


RAW = {
    "no answer": (b"", "closed the connection"),
    "bad status line": (b"HTTP/1.1 2OO OK\r\n\r\n", "not a valid HTTP answer"),
    "broken chunked body": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}",
        "broke off",
    ),
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
@pytest.mark.parametrize("kind", sorted(RAW))
def test_broken_http_is_a_malformed_fallback_that_says_what_the_server_did(
    name: str, kind: str
) -> None:
    build, path = PROVIDERS[name]
    raw, said = RAW[kind]
    with grid_server() as server:
        grid = build(server)
        server.routes[path] = Reply(raw=raw)
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
    assert caught.value.reason == "malformed" and said in caught.value.message


def _bodies(name: str, good: Any) -> dict[str, Any]:
    deep = b"[" * 100_000 + b"]" * 100_000
    bodies: dict[str, Any] = {"empty body": b"", "nested 100,000 deep": deep, "no data": {}}
    text = json.dumps(good)
    # Every number of the documented answer as a string, then as 1e308.
    bodies["numbers as strings"] = json.loads(
        json.dumps(good, default=str), parse_int=str, parse_float=str
    )
    huge = json.loads(text, parse_int=lambda _: 1e308, parse_float=lambda _: 1e308)
    bodies["1e308 everywhere"] = huge
    if name in ("uk", "watttime"):
        bodies["data: []"] = {"data": [], "meta": good.get("meta", {})}
    if name == "watttime":
        bodies["1e308 s periods"] = {
            **good,
            "meta": {**good["meta"], "data_point_period_seconds": 1e308},
        }
    return bodies


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_any_answer_is_a_fallback_with_a_reason_never_an_internal_error(name: str) -> None:
    build, path = PROVIDERS[name]
    with grid_server() as server:
        grid = build(server)
        good = server.routes[path]
        assert isinstance(good, Reply)
        for what, body in _bodies(name, good.body).items():
            server.routes[path] = server.default = Reply(body=body)  # the forecast path too
            with pytest.raises(ProviderError) as caught:
                _run(grid, START, END)
            assert caught.value.reason in ("malformed", "no data"), (what, caught.value)
            assert name.split("-")[0] in caught.value.message or "/" in caught.value.message


@pytest.mark.parametrize("g", [-1e300, math.nan, 1e308, math.inf, "302", True])
def test_a_cached_figure_is_checked_like_a_providers(tmp_path: Path, g: Any) -> None:
    build, _path = PROVIDERS["electricitymaps"]
    with grid_server() as server:
        grid = build(server)
        _run(grid, START, END, tmp_path)  # fills the cache: one call
        cache = SlotCache(tmp_path, grid).path
        entries = json.loads(cache.read_text())
        for entry in entries.values():
            entry["g"] = g
        cache.write_text(json.dumps(entries))  # json writes NaN and Infinity as Python reads them
        figure = _run(grid, START, END, tmp_path)
        assert len(server.seen) == 2  # the bad entry was not used: fetched again
    assert figure.g_per_kwh == 302


def test_a_cached_slot_of_absurd_length_or_naive_time_is_not_used(tmp_path: Path) -> None:
    build, _ = PROVIDERS["electricitymaps"]
    with grid_server() as server:
        grid = build(server)
        _run(grid, START, END, tmp_path)
        cache = SlotCache(tmp_path, grid).path
        start = T0.replace(tzinfo=None).isoformat()
        far = (T0 + timedelta(days=3000)).isoformat()
        cache.write_text(
            json.dumps(
                {start: {"end": far, "g": 1.0, "forecast": False, "estimated": False, "at": start}}
            )
        )
        assert _run(grid, START, END, tmp_path).g_per_kwh == 302
        assert len(server.seen) == 2


def test_a_server_echoing_credentials_in_any_form_never_shows_them() -> None:
    import base64
    from urllib.parse import quote

    build, _path = PROVIDERS["watttime"]
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    echoes = [PASSWORD, quote(PASSWORD + "/&"), PASSWORD.upper(), pair, pair.rstrip("=")]
    with grid_server() as server:
        grid = build(server)
        server.routes["/login"] = Reply(
            401, {"error": " ".join(echoes)}, reason=f"denied {PASSWORD.swapcase()}"
        )
        with pytest.raises(ProviderError) as caught:
            _run(grid, START, END)
    text = str(caught.value).lower()
    assert "[redacted]" in text
    for form in (PASSWORD, pair.rstrip("=")):
        assert form.lower() not in text
