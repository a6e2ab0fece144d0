"""A loopback package index (PEP 503 simple pages) holding one wheel: greengate as published.

The action's ``greengate-version`` input installs greengate from the index by its
distribution name. Served here, an install of any other name (the foreign ``greengate``)
finds nothing and fails, and the test sees which names pip asked for.
"""

from __future__ import annotations

import hashlib
import html
import re
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def build_wheel(source: Path, dest: Path) -> Path:
    """The wheel of the project at ``source``, built offline with this venv's setuptools."""
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--no-index", "--wheel-dir", str(dest), str(source)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dest.glob("*.whl")
    return wheel


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class PackageIndex:
    wheel: Path
    url: str = ""
    asked: list[str] = field(default_factory=list)  # each path requested, in order

    @property
    def project(self) -> str:
        return normalized(self.wheel.name.split("-", 1)[0])

    def page(self, path: str) -> tuple[int, bytes, str]:
        self.asked.append(path)
        if path.rstrip("/") == f"/simple/{self.project}":
            digest = hashlib.sha256(self.wheel.read_bytes()).hexdigest()
            link = f"/files/{self.wheel.name}#sha256={digest}"
            body = f'<a href="{html.escape(link)}">{html.escape(self.wheel.name)}</a>'
            return 200, f"<!DOCTYPE html><html><body>{body}</body></html>".encode(), "text/html"
        if path == f"/files/{self.wheel.name}":
            return 200, self.wheel.read_bytes(), "application/octet-stream"
        return 404, b"not found", "text/plain"


def serve_index(index: PackageIndex) -> PackageIndex:
    """Serve ``index`` on a free loopback port (``index.url`` is its simple/ root) until the
    process ends: a daemon thread, never shut down (a shutdown at interpreter exit would wait
    forever for the stopped thread)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, kind = index.page(self.path)
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return index
