"""The HTTP helper every grid provider uses: GET JSON, one wait on 429, reasons in words.

The exchange itself (a deadline for the whole of it, credentials kept to their origin,
any answer a server gives turned into words) is greengate/web/exchange.py's, shared with
the metrics exporters; the redaction of credentials is greengate/web/redaction.py's. What
a provider file would otherwise repeat lives here: the wait on 429 when Retry-After fits
in the timeout, the provider's own error text, and the JSON decoding.
"""

from __future__ import annotations

import base64
import email.utils
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from greengate.errors import GreengateError
from greengate.files.json_text import JsonInputError, load_json
from greengate.web import redaction
from greengate.web.exchange import ExchangeError, exchange

MAX_BYTES = 8 * 1024 * 1024  # a 48 h forecast of 5-minute points is about 60 KB
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class ProviderError(GreengateError):
    """A live grid provider failed; ``reason`` is short: ``HTTP 401``, ``timeout``, ..."""

    exit_code = 3

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class Http:
    """GETs JSON for one provider through the one exchange (greengate/web/exchange.py)."""

    def __init__(
        self,
        timeout_s: float,
        secrets: Sequence[str] = (),
        *,
        max_bytes: int = MAX_BYTES,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        redaction.register(*secrets)
        self._sleep = sleep
        self._clock = clock
        self.calls = 0  # requests made, for tests and the cache's promise

    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` (e.g. a bearer token just obtained) from every later message."""
        redaction.register(secret)

    def redact(self, text: str) -> str:
        """``text`` with every credential replaced and control characters removed."""
        return _CONTROL.sub(" ", redaction.redact(text))

    def basic(self, username: str, password: str) -> str:
        """An ``Authorization: Basic`` value, its encoding redacted like the secrets."""
        redaction.register_basic(username, password)
        value = base64.b64encode(f"{username}:{password}".encode()).decode()
        return f"Basic {value}"

    def get_json(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON at ``url``; ProviderError on any failure, redacted.

        ``credentials`` (headers) go to ``url``'s origin only: a redirect elsewhere is
        refused, not followed.
        """
        full = url + ("?" + urllib.parse.urlencode(params) if params else "")
        shown = self.redact(urllib.parse.urlsplit(full)._replace(query="").geturl())
        started = self._clock()
        for attempt in range(3):
            remaining = self.timeout_s - (self._clock() - started)
            if remaining <= 0:
                raise ProviderError("timeout", f"{shown}: no answer within {self.timeout_s:g} s")
            try:
                return self._once(full, credentials or {}, remaining, shown)
            except _RateLimited as limited:
                wait = limited.retry_after
                fits = wait is not None and wait < self.timeout_s - (self._clock() - started)
                if attempt == 2 or not fits or wait is None:
                    after = f" (Retry-After {wait:g} s)" if wait is not None else ""
                    raise ProviderError(
                        "HTTP 429", f"{shown}: rate limited (HTTP 429){after}"
                    ) from None
                self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, url: str, credentials: Mapping[str, str], timeout: float, shown: str) -> Any:
        self.calls += 1
        try:
            answer = exchange(
                "GET",
                url,
                timeout_s=timeout,
                headers={"Accept": "application/json"},
                credentials=credentials,
                max_bytes=self.max_bytes,
            )
        except ExchangeError as error:
            if error.kind == "timeout":
                raise ProviderError(
                    "timeout", f"{shown}: no complete answer within {self.timeout_s:g} s"
                ) from None
            raise ProviderError(error.kind, self.redact(error.detail)) from None
        if answer.status == 429:
            raise _RateLimited(_retry_after(answer.headers.get("Retry-After")))
        if not 200 <= answer.status < 300:
            detail = _error_detail(answer.body)
            message = f"{shown}: HTTP {answer.status}" + (f": {detail}" if detail else "")
            hint = (
                "check the credentials in the environment (docs/grid.md)"
                if answer.status in (401, 403)
                else None
            )
            reason = f"HTTP {answer.status}"
            raise ProviderError(reason, self.redact(message), hint=hint)
        return decode_json(answer.body, shown)


def decode_json(body: bytes, shown: str) -> Any:
    """JSON from a server, or a 'malformed' ProviderError saying what was wrong with it."""
    if not body.strip():
        raise ProviderError("malformed", f"{shown}: the answer is empty")
    try:
        return load_json(body)  # greengate's one JSON reader: nesting bounded, numbers finite
    except JsonInputError as error:
        raise ProviderError(
            "malformed", f"{shown}: the answer's JSON is refused: {error}"
        ) from None
    except ValueError:
        raise ProviderError("malformed", f"{shown}: the answer is not JSON") from None


class _RateLimited(Exception):
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _error_detail(body: bytes) -> str:
    """A provider's own error text (its JSON error shapes), kept short."""
    try:
        data = load_json(body)
    except (ValueError, RecursionError):
        return ""
    found: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            found = error.get("message") or error.get("code")
        else:
            found = error or data.get("message") or data.get("title") or data.get("detail")
    if not isinstance(found, (str, int, float)):
        return ""  # a nested shape: its text would be the server's structure, not a reason
    return str(found)[:200] if found else ""
