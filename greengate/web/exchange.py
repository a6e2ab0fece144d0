"""The one HTTP exchange every grid provider and metrics exporter makes.

Standard library (urllib), so proxies (HTTPS_PROXY, NO_PROXY) are honoured like the rest of
a CI job. Three promises hold here, for every caller at once:

- a deadline, not a socket timeout: ``timeout_s`` bounds the whole exchange (connect,
  headers, body, redirects). A socket timeout bounds each read only, so a server that drips
  a byte a second holds a per-read timeout of 2 s for ever; a watchdog shuts the socket
  down when the deadline passes, which ends any read blocked on it;
- credentials stay with their origin: a request that carries them follows a redirect only
  within its scheme, host and port. urllib copies every header to wherever a 30x points,
  so an ``auth-token`` or ``Authorization`` would reach another host or port;
- whatever the server sends (no answer, a bad status line, a broken chunked body, a body
  over the size limit) is an ExchangeError saying what it did, never another exception.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any

from greengate.web.redaction import redact

MAX_BYTES = 8 * 1024 * 1024
USER_AGENT = "greengate (+https://github.com/greengate)"


class ExchangeError(Exception):
    """No usable answer; ``kind`` is short (timeout, unreachable, malformed, redirected)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(redact(detail))
        self.kind = kind
        self.detail = redact(detail)


@dataclass(frozen=True)
class Answer:
    """A complete answer: its status (any, 4xx and 5xx included), headers and body."""

    status: int
    reason: str
    headers: Message
    body: bytes


def origin(url: str) -> str:
    """``scheme://host:port`` of ``url``, the port spelt out (the unit credentials go to)."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or (443 if parts.scheme == "https" else 80)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


class _Watchdog:
    """Shuts down every socket of one exchange when its deadline passes."""

    def __init__(self, timeout_s: float) -> None:
        self.deadline = time.monotonic() + timeout_s
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(timeout_s, 0.0), self._expire)
        self._timer.daemon = True
        # No thread left (ulimit -u): each read is still bounded by the socket's timeout.
        with contextlib.suppress(RuntimeError):
            self._timer.start()

    def remaining(self) -> float:
        return max(self.deadline - time.monotonic(), 0.001)

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            late = self.expired
        if late:
            self._shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


def _connection_class(base: type[http.client.HTTPConnection], dog: _Watchdog) -> Any:
    class Watched(base):  # type: ignore[valid-type,misc]
        def connect(self) -> None:
            self.timeout = dog.remaining()
            create: Any = getattr(self, "_create_connection")  # noqa: B009 - untyped in typeshed

            def create_watched(*args: Any, **kwargs: Any) -> socket.socket:
                sock: socket.socket = create(*args, **kwargs)
                dog.watch(sock)
                return sock

            self._create_connection = create_watched
            super().connect()

    return Watched


class _HttpHandler(urllib.request.HTTPHandler):
    def __init__(self, dog: _Watchdog) -> None:
        super().__init__()
        self._class = _connection_class(http.client.HTTPConnection, dog)

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._class, req)


class _HttpsHandler(urllib.request.HTTPSHandler):
    def __init__(self, dog: _Watchdog, context: Any) -> None:
        super().__init__(context=context)
        self._class = _connection_class(http.client.HTTPSConnection, dog)
        self._tls = context

    def https_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(self._class, req, context=self._tls)


class _CrossOrigin(Exception):
    def __init__(self, target: str) -> None:
        self.target = target


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only within the origin while the request carries credentials."""

    def __init__(self, credentials: bool) -> None:
        self._credentials = credentials

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if self._credentials and origin(newurl) != origin(req.full_url):
            raise _CrossOrigin(newurl)
        # 308 is 307 made permanent (RFC 9110 15.4.9); urllib learned it only in 3.11, and
        # greengate answers the same on every Python it supports.
        return super().redirect_request(req, fp, 307 if code == 308 else code, msg, headers, newurl)

    http_error_308 = urllib.request.HTTPRedirectHandler.http_error_302


def exchange(
    method: str,
    url: str,
    *,
    timeout_s: float,
    headers: Mapping[str, str] | None = None,
    credentials: Mapping[str, str] | None = None,
    body: bytes | None = None,
    max_bytes: int = MAX_BYTES,
    tls: Any = None,
) -> Answer:
    """One request and its whole answer within ``timeout_s``; ExchangeError otherwise.

    ``credentials`` are headers like the others, but they make a redirect to another
    origin a refusal (never followed: the credentials would go with it).
    """
    shown = _shown(url)
    dog = _Watchdog(timeout_s)
    handlers: list[Any] = [
        _HttpHandler(dog),
        _HttpsHandler(dog, tls),
        _Redirects(bool(credentials)),
    ]
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(
        url,
        data=body,
        method=method,
        headers={"User-Agent": USER_AGENT, **(headers or {}), **(credentials or {})},
    )
    try:
        try:
            with opener.open(request, timeout=dog.remaining()) as response:
                data = _read(response, max_bytes, shown, dog)
                return Answer(response.status, str(response.reason), response.headers, data)
        except urllib.error.HTTPError as error:
            data = _read(error, max_bytes, shown, dog) if error.fp is not None else b""
            return Answer(error.code, str(error.reason), error.headers, data)
    except _CrossOrigin as refused:
        raise ExchangeError(
            "redirected",
            f"{shown}: redirected to another origin ({origin(refused.target)}); not followed, "
            "so the credentials go only to the configured one",
        ) from None
    except ExchangeError:
        raise
    except Exception as error:
        if dog.expired:
            raise ExchangeError(
                "timeout", f"{shown}: no complete answer within {timeout_s:g} s"
            ) from None
        raise _failure(error, shown) from None
    finally:
        dog.cancel()


def _read(response: Any, max_bytes: int, shown: str, dog: _Watchdog) -> bytes:
    data: bytes = response.read(max_bytes + 1)
    if dog.expired:  # the watchdog's shutdown reads as an early end of the body
        raise TimeoutError
    if len(data) > max_bytes:
        raise ExchangeError("malformed", f"{shown}: the answer is over {max_bytes // 1024} KiB")
    # http.client returns a short body without complaint when it is read by size.
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) > len(data):
        raise ExchangeError(
            "malformed", f"{shown}: the answer broke off ({len(data)} of {int(declared)} bytes)"
        )
    return data


def _failure(error: Exception, shown: str) -> ExchangeError:
    """What the server (or the network) did, in words."""
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, Exception):
        error = error.reason
    if isinstance(error, (TimeoutError, socket.timeout)):
        return ExchangeError("timeout", f"{shown}: no answer in time")
    if isinstance(error, http.client.RemoteDisconnected):
        return ExchangeError("malformed", f"{shown}: the server closed the connection unanswered")
    if isinstance(error, http.client.IncompleteRead):
        return ExchangeError("malformed", f"{shown}: the answer broke off ({error!r})")
    if isinstance(error, http.client.HTTPException):
        name = type(error).__name__
        return ExchangeError("malformed", f"{shown}: not a valid HTTP answer ({name}: {error})")
    if isinstance(error, urllib.error.URLError):
        return ExchangeError("unreachable", f"{shown}: cannot connect ({error.reason})")
    if isinstance(error, OSError):
        return ExchangeError("unreachable", f"{shown}: {error.strerror or error}")
    return ExchangeError("malformed", f"{shown}: {type(error).__name__}: {error}")


def _shown(url: str) -> str:
    """The URL as messages show it: no user:password, no query (it may carry a key)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return redact(urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", "")))
