"""The metric exporters against a loopback server that redirects, drips or echoes secrets:
credentials go only to the configured origin, never into a warning, and the timeout bounds
the whole exchange (the grid providers' side is tests/intensity/test_grid_hostile.py)."""

from __future__ import annotations

import base64
import io
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from factories import passing_verdict
from grid_server import Reply, grid_server

from greengate.gate.publish import publish
from greengate.reporters.interface import Reporter, ReportTarget
from greengate.reporters.otlp import OtlpReporter
from greengate.reporters.pushgateway import PushgatewayReporter
from greengate.web import redaction

USER, PASSWORD = "pusher", "Pw-0f-the-Gateway"
TOKEN = "otlp-Bearer-Token-123"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)
    redaction.forget()  # each test proves its own registration
    yield
    redaction.forget()


def _echoes(secret: str, user: str | None = None) -> list[str]:
    forms = [secret, secret.upper(), secret.lower(), quote(secret + "/"), quote(secret).lower()]
    if user is not None:
        forms.append(base64.b64encode(f"{user}:{secret}".encode()).decode())
    return forms


def _problems(reporter: Reporter, tmp_path: Path) -> list[str]:
    published = publish(
        passing_verdict(), verdict_path=str(tmp_path / "v.json"), reporters=lambda _: [reporter]
    )
    return published.problems


def _pushgateway(url: str, env: dict[str, str] | None = None) -> Reporter:
    return PushgatewayReporter(ReportTarget(io.StringIO(), io.StringIO(), env or {}), url)


def _otlp(url: str, monkeypatch: pytest.MonkeyPatch, timeout: str = "5") -> Reporter:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer%20{TOKEN}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", timeout)
    return OtlpReporter(ReportTarget(io.StringIO(), io.StringIO(), {}), None)


def _assert_clean(text: str, *forms: str) -> None:
    for form in forms:
        assert form.lower() not in text.lower(), form


def test_a_pushgateway_echoing_its_password_in_a_401_never_shows_it(tmp_path: Path) -> None:
    echoes = _echoes(PASSWORD, USER)
    with grid_server() as gateway:
        gateway.default = Reply(401, " ".join(echoes).encode(), reason=" ".join(echoes[:3]))
        host = gateway.url.removeprefix("http://")
        [problem] = _problems(_pushgateway(f"http://{USER}:{PASSWORD}@{host}"), tmp_path)
        assert gateway.seen[0].headers["authorization"].startswith("Basic ")
    assert "HTTP 401" in problem and "[redacted]" in problem
    _assert_clean(problem, PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode())


def test_a_pushgateway_redirect_to_another_origin_is_not_followed(tmp_path: Path) -> None:
    with grid_server() as gateway, grid_server() as other:
        gateway.default = Reply(307, b"", {"Location": other.url + "/metrics/job/x"})
        host = gateway.url.removeprefix("http://")
        [problem] = _problems(_pushgateway(f"http://{USER}:{PASSWORD}@{host}"), tmp_path)
        assert other.seen == []
    assert "another origin" in problem or "HTTP 307" in problem
    _assert_clean(problem, PASSWORD)


def test_a_pushgateway_that_drips_its_answer_is_cut_off_at_the_timeout(tmp_path: Path) -> None:
    with grid_server() as gateway:
        gateway.default = Reply(200, b"x" * 400, drip_s=0.05)
        env = {"GREENGATE_PUSHGATEWAY_TIMEOUT": "0.5"}
        began = time.monotonic()
        [problem] = _problems(_pushgateway(gateway.url, env), tmp_path)
        assert time.monotonic() - began < 2.5
    assert "within 0.5 s" in problem


def test_an_otlp_collector_echoing_the_bearer_token_never_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    echoes = _echoes(TOKEN)
    with grid_server() as collector:
        collector.default = Reply(401, " ".join(echoes).encode(), reason=" ".join(echoes))
        [problem] = _problems(_otlp(collector.url, monkeypatch), tmp_path)
        assert collector.seen[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert "401" in problem and "[redacted]" in problem
    _assert_clean(problem, TOKEN)


def test_an_otlp_redirect_to_another_origin_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with grid_server() as collector, grid_server() as other:
        collector.default = Reply(307, b"", {"Location": other.url + "/v1/metrics"})
        [problem] = _problems(_otlp(collector.url, monkeypatch), tmp_path)
        assert other.seen == []
    _assert_clean(problem, TOKEN)


def test_an_otlp_collector_that_drips_is_cut_off_at_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with grid_server() as collector:
        collector.default = Reply(200, b"x" * 400, drip_s=0.05)
        began = time.monotonic()
        [problem] = _problems(_otlp(collector.url, monkeypatch, timeout="0.5"), tmp_path)
        assert time.monotonic() - began < 2.5
    assert "could not send metrics" in problem
