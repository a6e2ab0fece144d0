"""The one HTTP helper every grid provider uses: GET JSON with a deadline.

Standard library (urllib) rather than requests or httpx: greengate only ever GETs small
JSON documents, importing requests costs about 0.1 s of a start-up budget of 0.25 s, and
urllib honours HTTPS_PROXY/NO_PROXY like the rest of a CI job. What a provider file would
otherwise repeat lives here: the timeout, one wait on 429 when Retry-After fits in it, a
size limit, and redaction of every credential from every message.
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from greengate.errors import GreengateError

MAX_BYTES = 8 * 1024 * 1024  # a 48 h forecast of 5-minute points is about 60 KB
USER_AGENT = "greengate (+https://github.com/greengate; grid intensity)"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class ProviderError(GreengateError):
    """A live grid provider failed; ``reason`` is short: ``HTTP 401``, ``timeout``, ..."""

    exit_code = 3

    def __init__(self, reason: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.reason = reason


class Http:
    """GETs JSON for one provider; nothing it raises or logs carries a credential."""

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
        self._secrets = tuple(s for s in secrets if len(s) >= 3)
        self._sleep = sleep
        self._clock = clock
        self.calls = 0  # requests made, for tests and the cache's promise

    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` (e.g. a bearer token just obtained) from every later message."""
        if len(secret) >= 3:
            self._secrets = (*self._secrets, secret)

    def redact(self, text: str) -> str:
        """``text`` with every credential replaced and control characters removed."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, "[redacted]")
            text = text.replace(urllib.parse.quote(secret, safe=""), "[redacted]")
        return _CONTROL.sub(" ", text)

    def basic(self, username: str, password: str) -> str:
        """An ``Authorization: Basic`` value, its encoding redacted like the secrets."""
        value = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.add_secret(value)
        return f"Basic {value}"

    def get_json(
        self,
        url: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The decoded JSON at ``url``; ProviderError on any failure, redacted."""
        full = url + ("?" + urllib.parse.urlencode(params) if params else "")
        shown = self.redact(urllib.parse.urlsplit(full)._replace(query="").geturl())
        started = self._clock()
        for attempt in range(3):
            remaining = self.timeout_s - (self._clock() - started)
            if remaining <= 0:
                raise ProviderError("timeout", f"{shown}: no answer within {self.timeout_s:g} s")
            try:
                return self._once(full, headers or {}, remaining, shown)
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

    def _once(self, url: str, headers: Mapping[str, str], timeout: float, shown: str) -> Any:
        request = urllib.request.Request(
            url, headers={"Accept": "application/json", "User-Agent": USER_AGENT, **headers}
        )
        self.calls += 1
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                body = self._read(response, shown)
        except urllib.error.HTTPError as error:
            if error.code == 429:
                raise _RateLimited(_retry_after(error.headers.get("Retry-After"))) from None
            detail = _error_detail(self._read_quietly(error))
            message = f"{shown}: HTTP {error.code}" + (f": {detail}" if detail else "")
            hint = (
                "check the credentials in the environment (docs/grid.md)"
                if error.code in (401, 403)
                else None
            )
            raise ProviderError(f"HTTP {error.code}", self.redact(message), hint=hint) from None
        except TimeoutError:
            raise ProviderError("timeout", f"{shown}: no answer within {timeout:.3g} s") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                raise ProviderError(
                    "timeout", f"{shown}: no answer within {timeout:.3g} s"
                ) from None
            raise ProviderError(
                "unreachable", self.redact(f"{shown}: cannot connect ({error.reason})")
            ) from None
        except OSError as error:
            raise ProviderError("unreachable", self.redact(f"{shown}: {error}")) from None
        try:
            return json.loads(body)
        except ValueError:
            raise ProviderError("malformed", f"{shown}: the answer is not JSON") from None

    def _read(self, response: Any, shown: str) -> bytes:
        body: bytes = response.read(self.max_bytes + 1)
        if len(body) > self.max_bytes:
            raise ProviderError(
                "malformed", f"{shown}: the answer is over {self.max_bytes // 1024} KiB"
            )
        return body

    def _read_quietly(self, error: urllib.error.HTTPError) -> bytes:
        try:
            return error.read(64 * 1024)
        except OSError:
            return b""


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
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def _error_detail(body: bytes) -> str:
    """A provider's own error text (its JSON error shapes), kept short."""
    try:
        data = json.loads(body)
    except ValueError:
        return ""
    found: Any = None
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict):
            found = error.get("message") or error.get("code")
        else:
            found = error or data.get("message") or data.get("title") or data.get("detail")
    return str(found)[:200] if found else ""
