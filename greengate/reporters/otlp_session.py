"""The OTLP exporter's requests go through greengate's one HTTP exchange.

opentelemetry-exporter-otlp-proto-http sends through a ``requests.Session`` it is handed.
This one sends through greengate/web/exchange.py instead, so an OTLP export keeps the same
promises as a grid look-up or a Pushgateway push: the timeout bounds the whole exchange
(requests' timeout bounds each read, so a collector that drips its answer holds it for
ever), the configured headers (``OTEL_EXPORTER_OTLP_HEADERS``: usually a token) never
follow a redirect to another origin (exporters before 1.40 let requests follow them, and
requests strips only ``Authorization``), and every header value is redacted from messages.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from greengate.web import redaction
from greengate.web.exchange import ExchangeError, exchange

# Headers the exporter sets itself; every other one came from the user's configuration.
_OWN = {"content-type", "content-encoding", "user-agent", "accept", "accept-encoding", "connection"}


def register_headers(headers: Mapping[str, str]) -> None:
    """Redact the values of the configured headers (and a bearer's token alone)."""
    for name, value in headers.items():
        if name.lower() in _OWN:
            continue
        scheme, _, token = value.partition(" ")
        redaction.register(value, token if scheme.lower() in ("bearer", "basic") else None)


def _tls(verify: Any, cert: Any) -> ssl.SSLContext:
    if verify is False:
        context = ssl._create_unverified_context()  # the user's OTEL_EXPORTER_OTLP_INSECURE
    elif isinstance(verify, str):
        context = ssl.create_default_context(cafile=verify)
    else:
        context = ssl.create_default_context()
    if isinstance(cert, str):
        context.load_cert_chain(cert)
    elif isinstance(cert, tuple):
        context.load_cert_chain(cert[0], cert[1])
    return context


class ExchangeSession(requests.Session):
    """A Session whose every request is one greengate exchange."""

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: bytes | None = None,
        timeout: Any = None,
        verify: Any = None,
        cert: Any = None,
        **_: Any,
    ) -> requests.Response:
        sent = {**self.headers, **(headers or {})}
        register_headers(sent)
        credentials = {k: str(v) for k, v in sent.items() if k.lower() not in _OWN}
        plain = {k: str(v) for k, v in sent.items() if k.lower() in _OWN}
        limit = timeout[-1] if isinstance(timeout, tuple) else timeout
        tls = None
        if url.startswith("https:"):
            tls = _tls(self.verify if verify is None else verify, cert or self.cert)
        try:
            answer = exchange(
                method,
                url,
                timeout_s=float(limit) if limit else 10.0,
                headers=plain,
                credentials=credentials,
                body=data,
                max_bytes=1024 * 1024,
                tls=tls,
            )
        except ExchangeError as error:
            if error.kind == "timeout":
                raise requests.exceptions.Timeout(error.detail) from None
            raise requests.exceptions.ConnectionError(error.detail) from None
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = CaseInsensitiveDict(dict(answer.headers.items()))
        response._content = answer.body
        response.url = url
        return response
