"""Prometheus Pushgateway: the run's ``greengate_*`` gauges, pushed where dashboards scrape.

``--report pushgateway=URL`` PUTs the metrics to ``URL/metrics/job@base64/<job>/branch@base64
/<branch>/repository@base64/<repository>``: the grouping key is (job, branch, repository), so
a rerun of a job on a branch replaces its group instead of adding one, and the Pushgateway
labels every metric with those three. Every value goes base64url-encoded (the Pushgateway's
``@base64`` path convention, README "URL"), so a branch such as ``feature/x``, a job with a
space or ``..`` or a ``%`` cannot change the path. The exposition text comes from
prometheus-client (the ``prometheus`` extra), imported only when this reporter runs.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit, urlunsplit

from greengate.errors import GreengateError
from greengate.reporters.interface import Reporter
from greengate.reporters.run_metrics import Sample, run_samples
from greengate.verdict import Verdict
from greengate.web import redaction

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

DEFAULT_TIMEOUT_S = 10.0
TIMEOUT_VARIABLE = "GREENGATE_PUSHGATEWAY_TIMEOUT"  # seconds
UNKNOWN_JOB = "greengate"  # the Pushgateway needs a job; a run outside CI may have none


class PushError(GreengateError):
    """The Pushgateway could not be reached or refused the metrics."""


def _segment(name: str, value: str) -> str:
    # "=" alone is the Pushgateway's spelling of the empty value (prometheus/pushgateway#346).
    encoded = base64.urlsafe_b64encode(value.encode()).decode() if value else "="
    return f"/{name}@base64/{encoded}"


def group_path(job: str | None, branch: str | None, repository: str | None) -> str:
    """The grouping key as a path under ``/metrics``: every value base64url-encoded."""
    return (
        "/metrics"
        + _segment("job", job or UNKNOWN_JOB)
        + _segment("branch", branch or "")
        + _segment("repository", repository or "")
    )


def _split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """The URL without user:password (as messages may show it), and the credentials."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
        raise PushError(
            f"pushgateway URL {shown_url(url)!r} is not http(s)://HOST[:PORT]",
            hint="e.g. --report pushgateway=http://pushgateway:9091",
        )
    netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if port is not None:
        netloc += f":{port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
    return bare, parts.username, parts.password


def shown_url(url: str) -> str:
    """The URL without anything before an ``@`` in its authority (no credentials in logs)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    authority, slash, path = rest.partition("/")
    authority = authority.rpartition("@")[2]
    return f"{scheme}{sep}{authority}{slash}{path}"


def _timeout(env: Mapping[str, str]) -> float:
    raw = env.get(TIMEOUT_VARIABLE, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        value = DEFAULT_TIMEOUT_S
    return value if 0 < value < 3600 else DEFAULT_TIMEOUT_S


def registry_for(samples: tuple[Sample, ...]) -> CollectorRegistry:
    """The samples as prometheus-client gauges in a registry of their own."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    gauges: dict[str, Gauge] = {}
    for s in samples:
        names = tuple(k for k, _ in s.labels)
        if s.name not in gauges:
            gauges[s.name] = Gauge(s.name, s.help, names, registry=registry)
        gauge = gauges[s.name]
        (gauge.labels(*(v for _, v in s.labels)) if names else gauge).set(s.value)
    return registry


class PushgatewayReporter(Reporter):
    """Pushes the run's metrics to the Pushgateway at ``--report pushgateway=URL``."""

    name: ClassVar[str] = "pushgateway"

    def report(self, verdict: Verdict) -> None:
        """PUT the group; a failure is a PushError with the reason (the URL without credentials)."""
        if not self.option:
            raise PushError(
                "no Pushgateway URL", hint="give one: --report pushgateway=http://HOST:9091"
            )
        bare, user, password = _split_credentials(self.option.strip())
        credentials: dict[str, str] = {}
        if user is not None:
            redaction.register_basic(user, password or "")
            pair = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            credentials["Authorization"] = f"Basic {pair}"
        try:
            from prometheus_client.exposition import generate_latest
        except ImportError:
            raise PushError(
                "the pushgateway reporter needs prometheus-client",
                hint="pip install 'greengate-ci[prometheus]'",
            ) from None
        c = verdict.context
        path = group_path(c.job, c.branch, c.repository)
        data = generate_latest(registry_for(run_samples(verdict)))
        timeout = _timeout(self.target.env)
        # The one exchange (greengate/web/exchange.py): the timeout bounds the whole PUT,
        # the credentials never follow a redirect to another origin.
        from greengate.web.exchange import ExchangeError, exchange

        try:
            answer = exchange(
                "PUT",  # PUT replaces the whole group: a rerun leaves no stale metric
                bare + path,
                timeout_s=timeout,
                headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
                credentials=credentials,
                body=data,
                max_bytes=64 * 1024,
            )
        except ExchangeError as e:
            detail = e.detail.removeprefix(shown_url(bare + path) + ": ")
            raise PushError(
                f"could not push to the Pushgateway at {bare} within {timeout:g} s: {detail}"
            ) from None
        if not 200 <= answer.status < 300:
            text = answer.body.decode("utf-8", "replace").strip()[:200]
            said = f"HTTP {answer.status} {answer.reason}" + (f": {text}" if text else "")
            raise PushError(
                f"could not push to the Pushgateway at {bare} within {timeout:g} s: {said}"
            )
        print(
            f"greengate: metrics pushed to the Pushgateway at {bare}",
            file=self.target.stderr,
        )
