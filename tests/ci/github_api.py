"""A loopback stand-in for the part of GitHub's REST API the action's PR comment uses.

Issue comments: list (paginated with a ``Link`` header, as GitHub does), create, update. Every
request must carry the job's token; each one is recorded for the test to read.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LIST_OR_CREATE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/(\d+)/comments$")
UPDATE = re.compile(r"^/repos/([^/]+)/([^/]+)/issues/comments/(\d+)$")


@dataclass
class FakeGitHub:
    """The comments of each pull request, and the requests made."""

    token: str
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""
    _next_id: int = 1000
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, number: int, body: str) -> dict[str, Any]:
        """A comment on pull request ``number`` (someone else's, or one from before)."""
        with self._lock:
            self._next_id += 1
            comment = {"id": self._next_id, "body": body, "user": {"login": "someone"}}
            self.comments.setdefault(number, []).append(comment)
            return comment

    def handle(
        self, method: str, target: str, body: bytes, auth: str
    ) -> tuple[int, Any, dict[str, str]]:
        """The status, JSON answer and headers for one request."""
        self.requests.append((method, target))
        if auth != f"token {self.token}":
            return 401, {"message": "Bad credentials"}, {}
        parts = urlsplit(target)
        if (m := LIST_OR_CREATE.match(parts.path)) and method == "GET":
            query = parse_qs(parts.query)
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            every = self.comments.get(int(m.group(3)), [])
            chunk = every[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(every):
                next_page = f"{self.url}{parts.path}?per_page={per_page}&page={page + 1}"
                headers["Link"] = f'<{next_page}>; rel="next"'
            return 200, chunk, headers
        if m and method == "POST":
            return 201, self.add(int(m.group(3)), json.loads(body)["body"]), {}
        if (m := UPDATE.match(parts.path)) and method == "PATCH":
            for comment in (c for cs in self.comments.values() for c in cs):
                if comment["id"] == int(m.group(3)):
                    comment["body"] = json.loads(body)["body"]
                    return 200, comment, {}
        return 404, {"message": "Not Found"}, {}


@contextmanager
def serve(api: FakeGitHub) -> Iterator[FakeGitHub]:
    """Serve ``api`` on a free loopback port (``api.url``) while the block runs."""

    class Handler(BaseHTTPRequestHandler):
        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            status, answer, headers = api.handle(
                self.command,
                self.path,
                self.rfile.read(length),
                self.headers.get("Authorization", ""),
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    api.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
