"""A real HTTP server on 127.0.0.1 that answers as a grid provider's documented API.

Import with ``from grid_server import GridServer``. Each route maps a path to a
``Reply`` (status, JSON or raw body, headers) or to a list of them (served in turn, the
last one repeated); ``HANG`` holds the request open longer than any test's timeout.
Every request is recorded (path, query, headers) for the tests to check.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """What the server answers to one request."""

    status: int = 200
    body: Any = None  # JSON-encoded unless it is bytes
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float = 0.0  # > 0: the whole answer is sent a byte at a time, this far apart
    reason: str | None = None  # the status line's reason phrase, if not the standard one
    raw: bytes | None = None  # sent as it is instead of a status line, headers and body


HANG = Reply(delay_s=30.0)


@dataclass
class Seen:
    """One request the server received."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    at: float = field(default_factory=time.time)  # when it arrived (the wall clock processes share)


class GridServer:
    """Routes, the requests seen, and the base URL to point ``grid.url`` at."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | list[Reply]] = {}
        self.seen: list[Seen] = []
        self.url = ""
        self.default: Reply | None = None  # the answer to a path no route names, if not a 404

    def reply_for(self, path: str) -> Reply:
        route = self.routes.get(path)
        if route is None and self.default is not None:
            return self.default
        if route is None:
            return Reply(404, {"error": {"code": "404", "message": f"no route {path}"}})
        if isinstance(route, list):
            return route.pop(0) if len(route) > 1 else route[0]
        return route

    def paths(self) -> list[str]:
        return [s.path for s in self.seen]


def _handler(server: GridServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self) -> None:
            self.do_GET()

        def do_POST(self) -> None:
            self.do_GET()

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            server.seen.append(
                Seen(parts.path, query, {k.lower(): v for k, v in self.headers.items()})
            )
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)  # a PUT's or POST's body, read so the client sees a reply
            reply = server.reply_for(parts.path)
            if reply.delay_s:
                time.sleep(reply.delay_s)
            body = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                if reply.raw is not None:
                    self.wfile.write(reply.raw)
                    self.close_connection = True
                    return
                self.send_response(reply.status, reply.reason)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if not reply.drip_s:
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self._headers_buffer.append(b"\r\n")  # type: ignore[attr-defined]
                text = b"".join(self._headers_buffer) + body  # type: ignore[attr-defined]
                self._headers_buffer = []  # type: ignore[attr-defined]
                for byte in text:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(reply.drip_s)
            except OSError:
                pass  # the client gave up (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def grid_server() -> Iterator[GridServer]:
    """A running server on a free loopback port."""
    state = GridServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
