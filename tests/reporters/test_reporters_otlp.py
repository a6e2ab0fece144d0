"""``--report otlp`` against a loopback OTLP/HTTP receiver that decodes with opentelemetry-proto."""

from __future__ import annotations

import dataclasses
import io
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import Greengate
from factories import failing_verdict, passing_verdict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from greengate.gate.publish import publish
from greengate.measurement import JOULES_PER_KWH, Scope
from greengate.reporters.interface import ReportTarget
from greengate.reporters.otlp import OtlpError, OtlpReporter
from greengate.verdict import Verdict

SECRET = "Bearer s3cret-token"


@dataclasses.dataclass
class Receiver:
    """What the loopback collector was sent, and how it answers."""

    url: str
    requests: list[tuple[str, dict[str, str], ExportMetricsServiceRequest]]
    status: int = 200
    delay_s: float = 0.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    got: list[tuple[str, dict[str, str], ExportMetricsServiceRequest]] = []
    state = Receiver("", got)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Type") != "application/x-protobuf":
                self.send_response(415)
                self.end_headers()
                return
            request = ExportMetricsServiceRequest()
            request.ParseFromString(body)
            got.append((self.path, {k.lower(): v for k, v in self.headers.items()}, request))
            time.sleep(state.delay_s)
            self.send_response(state.status)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _no_outside_otel(monkeypatch: pytest.MonkeyPatch) -> None:

    for name in list(os.environ):
        if name.startswith("OTEL_"):
            monkeypatch.delenv(name)


def send(v: Verdict) -> str:
    err = io.StringIO()
    OtlpReporter(ReportTarget(io.StringIO(), err, {}), None).report(v)
    return err.getvalue()


def points(
    request: ExportMetricsServiceRequest,
) -> dict[str, list[tuple[str, dict[str, str], float]]]:
    """metric name -> (unit, attributes, value) of each data point."""
    out: dict[str, list[tuple[str, dict[str, str], float]]] = {}
    for rm in request.resource_metrics:
        for sm in rm.scope_metrics:
            assert sm.scope.name == "greengate"
            for metric in sm.metrics:
                kind = metric.WhichOneof("data")
                for p in getattr(metric, kind).data_points:
                    attrs = {a.key: a.value.string_value for a in p.attributes}
                    value = p.as_double if p.HasField("as_double") else float(p.as_int)
                    out.setdefault(metric.name, []).append((metric.unit, attrs, value))
    return out


def resource(request: ExportMetricsServiceRequest) -> dict[str, str]:
    return {a.key: a.value.string_value for a in request.resource_metrics[0].resource.attributes}


def machine_verdict() -> Verdict:
    v = failing_verdict()
    assert v.measurement is not None
    context = dataclasses.replace(
        v.context, job="build", branch="feature/x", repository="org/repo", workflow="CI"
    )
    return dataclasses.replace(
        v, context=context, measurement=dataclasses.replace(v.measurement, scope=Scope.MACHINE)
    )


RUN = {
    "cicd.pipeline.name": "CI",
    "cicd.pipeline.task.name": "build",
    "vcs.ref.head.name": "feature/x",
    "vcs.repository.name": "org/repo",
}


def test_energy_by_the_semantic_conventions(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret-token")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=ci")
    v = machine_verdict()
    m = v.measurement
    assert m is not None
    said = send(v)
    assert f"metrics sent to {receiver.url}/v1/metrics" in said
    [(path, headers, request)] = receiver.requests
    assert path == "/v1/metrics"
    assert headers["authorization"] == SECRET
    assert resource(request)["service.name"] == "greengate"
    assert resource(request)["deployment.environment.name"] == "ci"
    got = points(request)
    hw = {attrs["hw.type"]: (unit, attrs, value) for unit, attrs, value in got["hw.energy"]}
    assert set(hw) == {c.component.value for c in m.components}
    for c in m.components:
        unit, attrs, value = hw[c.component.value]
        assert unit == "J"
        assert attrs == {**RUN, "hw.id": c.component.value, "hw.type": c.component.value,
                         "greengate.tier": c.tier.value}  # fmt: skip
        assert value == pytest.approx(c.kwh * JOULES_PER_KWH)
    [(unit, attrs, host)] = got["hw.host.energy"]
    assert (unit, attrs) == ("J", {**RUN, "hw.id": "host"})
    assert host == pytest.approx(m.it_energy_kwh * JOULES_PER_KWH)
    [(unit, attrs, energy)] = got["greengate.energy"]
    assert (unit, attrs, energy) == ("J", RUN, pytest.approx(m.energy_kwh * JOULES_PER_KWH))
    [(unit, attrs, kg)] = got["greengate.emissions"]
    assert (unit, attrs, kg) == ("kg{CO2e}", RUN, pytest.approx(m.emissions_kg))
    [(unit, _, g)] = got["greengate.grid.intensity"]
    assert (unit, g) == ("g{CO2e}/kW.h", pytest.approx(m.intensity.g_per_kwh))
    usage = {a["greengate.budget.quantity"]: value for _, a, value in got["greengate.budget.usage"]}
    assert usage == {c.quantity.value: pytest.approx(c.ratio) for c in v.checks}
    status = {a["greengate.status"]: value for _, a, value in got["greengate.run.status"]}
    assert status == {"pass": 0, "warn": 0, "fail": 1, "error": 0}


@pytest.mark.parametrize(("preference", "temporality"), [("", 2), ("delta", 1)])
def test_the_temporality_preference_is_honoured(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, preference: str, temporality: int
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    if preference:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE", preference)
    send(passing_verdict())
    [(_, _, request)] = receiver.requests
    sums = [
        m.sum.aggregation_temporality
        for rm in request.resource_metrics
        for sm in rm.scope_metrics
        for m in sm.metrics
        if m.name == "hw.energy"
    ]
    assert sums == [temporality]  # AGGREGATION_TEMPORALITY_DELTA = 1, CUMULATIVE = 2


def test_a_process_scope_run_has_no_host_energy(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"{receiver.url}/custom/path")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # not used
    v = passing_verdict()
    assert v.measurement is not None and v.measurement.scope is not Scope.MACHINE
    send(v)
    [(path, _, request)] = receiver.requests
    assert path == "/custom/path"  # the signal-specific variable is used as it is
    got = points(request)
    assert "hw.host.energy" not in got
    assert "hw.energy" in got


def test_a_refusal_is_a_warning_without_the_headers(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    receiver.status = 401
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer%20s3cret-token")
    reporter = OtlpReporter(ReportTarget(io.StringIO(), io.StringIO(), {}), None)
    published = publish(
        passing_verdict(),
        verdict_path=str(tmp_path / "v.json"),
        reporters=lambda _: [reporter],
    )
    [problem] = published.problems
    assert problem.startswith(f"the otlp report failed: could not send metrics to {receiver.url}")
    assert "401" in problem
    assert "s3cret" not in problem


def test_a_slow_collector_is_cut_off_by_the_timeout(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    receiver.delay_s = 5
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.raises(OtlpError, match=r"within 0\.5 s"):
        send(passing_verdict())
    assert time.monotonic() - started < 4


def test_the_cli_sends_and_keeps_the_commands_exit_code(
    greengate: Greengate, receiver: Receiver, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(
        "version: 1\nbudgets:\n  - max_energy: 1 kWh\n", encoding="utf-8"
    )
    ok = greengate(
        "run", "--job", "cli-job", "--branch", "b/1", "--report", "otlp",
        "--", "python", "-c", "raise SystemExit(5)",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url},
    )  # fmt: skip
    assert ok.returncode == 5, ok.stderr
    [(_, _, request)] = receiver.requests
    [(_, attrs, value)] = points(request)["greengate.energy"]
    assert attrs["cicd.pipeline.task.name"] == "cli-job"
    assert value == pytest.approx(ok.verdict()["measurement"]["energy_kwh"] * JOULES_PER_KWH)
    receiver.status = 503
    down = greengate(
        "run", "--report", "otlp", "--", "python", "-c", "pass",
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_EXPORTER_OTLP_TIMEOUT": "1"},
    )  # fmt: skip
    assert down.returncode == 0, down.stderr
    assert "greengate: warning: the otlp report failed: could not send metrics" in down.stderr


def test_a_run_without_the_metric_reporters_imports_neither_sdk(tmp_path: Path) -> None:
    """Start-up time: the OpenTelemetry SDK and prometheus-client load only when asked for."""
    import subprocess
    import sys

    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_energy: 1 kWh\n")
    probe = (
        "import sys\n"
        "sys.argv = ['greengate', 'run', '--quiet', '--', 'true']\n"
        "from greengate.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('opentelemetry', 'prometheus_client', 'google')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60,
        env={**os.environ, "GREENGATE_LEDGER": "off"},
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr
