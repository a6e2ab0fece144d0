"""OpenTelemetry: the run as OTLP/HTTP (protobuf) metrics, through the official SDK and exporter.

``--report otlp`` sends to ``$OTEL_EXPORTER_OTLP_METRICS_ENDPOINT``, else
``$OTEL_EXPORTER_OTLP_ENDPOINT/v1/metrics`` (the SDK's default: ``http://localhost:4318``),
with the headers, timeout, compression and certificates the ``OTEL_EXPORTER_OTLP_*``
variables set, all read by ``opentelemetry-exporter-otlp-proto-http`` itself; the resource
honours ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``. The SDK is the ``otlp``
extra and is imported only when this reporter runs: a run without it pays nothing.

Names (docs/metrics.md): the hardware semantic conventions' ``hw.energy`` (Counter, J, with
``hw.id`` and ``hw.type``: cpu, memory, gpu) per component, ``hw.host.energy`` for a
whole-machine measurement, and greengate's own ``greengate.*`` emissions and budget figures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

from greengate.errors import GreengateError
from greengate.measurement import JOULES_PER_KWH, Scope
from greengate.reporters.interface import Reporter
from greengate.reporters.pushgateway import shown_url
from greengate.verdict import Quantity, Status, Verdict
from greengate.web import redaction

if TYPE_CHECKING:
    from opentelemetry.metrics import Meter

SCOPE_NAME = "greengate"
EXPORT_LOGGER = "opentelemetry.exporter"  # where the exporter says why a request failed
CO2E_KG = "kg{CO2e}"  # UCUM with an annotation: kilograms of CO2 equivalent


class OtlpError(GreengateError):
    """The OTLP endpoint could not be reached or refused the metrics."""


def run_attributes(v: Verdict) -> dict[str, str]:
    """Who ran: CI/CD and VCS semantic-convention attributes, only those known.

    The run id and commit are left out: per-run attributes on metrics make a new series
    every run, which the CI/CD conventions say must be opt-in.
    """
    c = v.context
    known = {
        "cicd.pipeline.name": c.workflow,
        "cicd.pipeline.task.name": c.job,
        "vcs.ref.head.name": c.branch,
        "vcs.repository.name": c.repository,
    }
    return {k: value for k, value in known.items() if value}


def record(meter: Meter, v: Verdict) -> None:
    """Every figure of the verdict on ``meter``'s instruments."""
    run = run_attributes(v)
    m = v.measurement
    if m is not None:
        hw = meter.create_counter(
            "hw.energy", unit="J", description="Energy consumed by the component"
        )
        for c in m.components:
            attributes = {
                **run,
                "hw.id": c.component.value,
                "hw.type": c.component.value,
                "greengate.tier": c.tier.value,
            }
            hw.add(c.kwh * JOULES_PER_KWH, attributes)
        if m.scope is Scope.MACHINE:
            host = meter.create_counter(
                "hw.host.energy",
                unit="J",
                description="Total energy consumed by the entire physical host, in joules",
            )
            host.add(m.it_energy_kwh * JOULES_PER_KWH, {**run, "hw.id": "host"})
        meter.create_counter(
            "greengate.energy", unit="J", description="Energy of the run, data-centre PUE included"
        ).add(m.energy_kwh * JOULES_PER_KWH, run)
        meter.create_counter(
            "greengate.emissions",
            unit=CO2E_KG,
            description="Emissions of the run (what budgets compare)",
        ).add(m.emissions_kg, run)
        if m.embodied is not None:
            meter.create_counter(
                "greengate.emissions.embodied",
                unit=CO2E_KG,
                description="Embodied emissions charged to the run (SCI M)",
            ).add(m.embodied.kg, run)
        meter.create_gauge(
            "greengate.grid.intensity",
            unit="g{CO2e}/kW.h",
            description="Grid carbon intensity used",
        ).set(m.intensity.g_per_kwh, run)
        if m.sci_per_unit_g is not None and m.functional_unit is not None:
            meter.create_gauge(
                "greengate.sci",
                unit="g{CO2e}",
                description="Software Carbon Intensity per functional unit",
            ).set(m.sci_per_unit_g, {**run, "greengate.functional_unit": m.functional_unit.name})
    _record_budgets(meter, v, run)


def _record_budgets(meter: Meter, v: Verdict, run: dict[str, str]) -> None:
    usage = meter.create_gauge(
        "greengate.budget.usage", unit="1", description="Measured / limit of the matched rule"
    )
    for c in v.checks:
        usage.set(c.ratio, {**run, "greengate.budget.quantity": c.quantity.value})
        if c.quantity is Quantity.EMISSIONS:
            meter.create_gauge(
                "greengate.budget.emissions.limit", unit=CO2E_KG, description="Emissions limit"
            ).set(c.limit, run)
        else:
            meter.create_gauge(
                "greengate.budget.energy.limit", unit="J", description="Energy limit"
            ).set(c.limit * JOULES_PER_KWH, run)
    if v.history is not None and v.history.windows:
        window = meter.create_gauge(
            "greengate.window.usage",
            unit="1",
            description="A budget window's spend, this run included, / its limit",
        )
        for w in v.history.windows:
            used = (w.spent + w.this_run) / w.limit if w.limit > 0 else float("inf")
            window.set(
                used,
                {**run, "greengate.window.name": w.label, "greengate.budget.quantity": w.quantity},
            )
    status = meter.create_gauge(
        "greengate.run.status", unit="1", description="1 for the gate's status, 0 for the others"
    )
    for s in Status:
        status.set(1 if v.status is s else 0, {**run, "greengate.status": s.value})
    if v.command is not None:
        meter.create_gauge("greengate.run.duration", unit="s", description="Wall time").set(
            v.command.duration_seconds, run
        )


class _Said(logging.Handler):
    """Keeps what the exporter logs while it sends, to give the reason of a failure."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, entry: logging.LogRecord) -> None:
        self.messages.append(entry.getMessage())

    def reason(self) -> str:
        """The last word, with the first transient error it gave up after, if any."""
        if not self.messages:
            return "no reason given"
        last = self.messages[-1]
        for message in self.messages:
            cause, found, _ = message.removeprefix("Transient error ").partition(" encountered")
            if found and message.startswith("Transient error "):
                return f"{last.rstrip('.')} (first: {cause})"
        return last


@contextmanager
def _exporter_log() -> Iterator[_Said]:
    """The exporter's log, kept instead of printed (it would repeat our warning)."""
    logger = logging.getLogger(EXPORT_LOGGER)
    said = _Said()
    before = logger.propagate
    logger.addHandler(said)
    logger.propagate = False
    try:
        yield said
    finally:
        logger.removeHandler(said)
        logger.propagate = before


class OtlpReporter(Reporter):
    """Sends the run's metrics over OTLP/HTTP to the collector the OTEL_* variables name."""

    name: ClassVar[str] = "otlp"

    def report(self, verdict: Verdict) -> None:
        """One export; a failure is an OtlpError with the exporter's reason (never the headers)."""
        try:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            from opentelemetry.sdk.metrics import MeterProvider
            from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
            from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        except ImportError:
            raise OtlpError(
                "the otlp reporter needs the OpenTelemetry SDK and OTLP exporter",
                hint="pip install 'greengate-ci[otlp]'",
            ) from None
        from greengate import __version__
        from greengate.reporters.otlp_session import ExchangeSession, register_headers

        exporter = OTLPMetricExporter(session=ExchangeSession())
        client = getattr(exporter, "_client", None)  # where exporters from 1.40 keep them
        register_headers(getattr(exporter, "_headers", None) or getattr(client, "_headers", {}))
        endpoint = shown_url(str(getattr(exporter, "_endpoint", "the OTLP endpoint")))
        timeout: Any = getattr(getattr(exporter, "_client", None), "_timeout", None)
        # The exporter read OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE (delta for
        # backends that want it); the reader that collects must ask for the same.
        reader = InMemoryMetricReader(
            preferred_temporality=getattr(exporter, "_preferred_temporality", None)
        )
        provider = MeterProvider(
            resource=Resource.create({SERVICE_NAME: "greengate"}), metric_readers=[reader]
        )
        try:
            record(provider.get_meter(SCOPE_NAME, __version__), verdict)
            data = reader.get_metrics_data()
            with _exporter_log() as said:
                result = exporter.export(data) if data is not None else MetricExportResult.SUCCESS
        finally:
            provider.shutdown()
            exporter.shutdown()
        if result is not MetricExportResult.SUCCESS:
            within = f" within {timeout:g} s" if isinstance(timeout, (int, float)) else ""
            reason = redaction.redact(said.reason())
            raise OtlpError(f"could not send metrics to {endpoint}{within}: {reason}")
        print(f"greengate: metrics sent to {endpoint}", file=self.target.stderr)
