"""The requests a client sends to a container engine, read off the byte stream as it passes.

Only what says which containers the client caused is recognised: a container started
(``POST /containers/{ref}/start`` or ``/restart``, the one call every client makes, whatever
created it) and an image built (``POST /build``; ``version=2`` is BuildKit). Bodies are
skipped by their framing (Content-Length or chunked) so that the next request on a kept-alive
connection is found; after a protocol switch (attach, BuildKit's session) the stream is the
engine's own and is no longer read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

MAX_HEAD = 64 * 1024  # a longer request head is no Docker API request: stop reading
_START = re.compile(r"^(?:/v[0-9.]+)?/containers/([^/]+)/(?:start|restart)$")
_BUILD = re.compile(r"^(?:/v[0-9.]+)?/build$")


@dataclass(frozen=True)
class EngineRequest:
    """One request's meaning: a container started, a build, or anything else (None)."""

    started: str | None = None  # the container's id or name as the client gave it
    build: bool = False
    buildkit: bool = False
    quiet: bool = False  # a classic build asked not to stream its steps (docker build -q)


def classify(method: str, target: str) -> EngineRequest:
    """What one request line means for the run's containers."""
    if method != "POST":
        return EngineRequest()
    parts = urlsplit(target)
    path = parts.path
    match = _START.match(path)
    if match is not None:
        return EngineRequest(started=unquote(match.group(1)))
    if _BUILD.match(path):
        query = parse_qs(parts.query)
        buildkit = query.get("version", ["1"])[-1] == "2"
        quiet = query.get("q", [""])[-1].lower() in ("1", "true")
        return EngineRequest(build=True, buildkit=buildkit, quiet=quiet and not buildkit)
    return EngineRequest()


class RequestStream:
    """Feeds on the client's bytes; calls ``on_request`` with each request's meaning before
    the bytes that hold it are forwarded (so the run's baseline precedes the engine's work)."""

    def __init__(self, on_request: Callable[[EngineRequest], None]) -> None:
        self._on_request = on_request
        self._buffer = b""
        self._state = "head"  # head, body, chunk-size, chunk-data, trailers, raw
        self._left = 0  # bytes of body or chunk (with its CRLF) still to skip

    @property
    def raw(self) -> bool:
        """Whether the stream has switched protocols (or was not HTTP): no longer read."""
        return self._state == "raw"

    def feed(self, data: bytes) -> None:
        if self._state == "raw":
            return
        self._buffer += data
        while self._step():
            pass

    def _step(self) -> bool:
        """Consume what the buffer allows in the current state; False: wait for more."""
        state, buf = self._state, self._buffer
        if state in ("body", "chunk-data"):
            if not buf:
                return False
            taken = min(self._left, len(buf))
            self._buffer, self._left = buf[taken:], self._left - taken
            if self._left == 0:
                self._state = "head" if state == "body" else "chunk-size"
            return True
        if state == "head":
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    self._go_raw()
                return False
            self._buffer = buf[end + 4 :]
            self._head(buf[:end])
            return self._state != "raw"
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                self._go_raw()
            return False
        line, self._buffer = buf[:end], buf[end + 2 :]
        if state == "trailers":
            if not line:
                self._state = "head"
            return True
        try:  # chunk-size: hex, optionally followed by extensions
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            self._go_raw()
            return False
        if size == 0:
            self._state = "trailers"
        else:
            self._state, self._left = "chunk-data", size + 2
        return True

    def _head(self, head: bytes) -> None:
        lines = head.decode("latin-1").split("\r\n")
        request = lines[0].split(" ")
        if len(request) != 3 or not request[2].startswith("HTTP/"):
            self._go_raw()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        self._on_request(classify(request[0], request[1]))
        if "upgrade" in headers:
            self._go_raw()  # attach, exec, BuildKit's session: the engine's own protocol
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            self._state = "chunk-size"
        else:
            try:
                length = int(headers.get("content-length", "0"))
            except ValueError:
                self._go_raw()
                return
            if length > 0:
                self._state, self._left = "body", length

    def _go_raw(self) -> None:
        self._state, self._buffer = "raw", b""
