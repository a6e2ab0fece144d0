"""A pass-through socket in front of the engine: the command's tree talks to the engine
through it (``DOCKER_HOST``), so the containers it starts and the builds it asks for are known
to be the run's, and another process's containers on the same engine are not.

Every byte is forwarded unchanged, in both directions; the client's requests are read on the
way (``requests.RequestStream``) and, while a classic build runs on a connection, the engine's
answer is scanned for the build steps' containers (``Running in <id>``).
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
from collections.abc import Callable
from typing import Protocol

from greengate.containers.requests import EngineRequest, RequestStream

CHUNK = 65536
_STEP = re.compile(rb"Running in ([0-9a-f]{12})")


class EngineObserver(Protocol):
    """What the proxy tells: containers started and builds asked for by the command's tree."""

    def container_started(self, ref: str) -> None: ...

    def build_began(self, key: object, buildkit: bool, quiet: bool = False) -> None: ...

    def build_ended(self, key: object) -> None: ...

    def build_step(self, short_id: str) -> None: ...


class EngineProxy:
    """Listens on a socket of its own (``path``) and forwards each connection to ``upstream``."""

    def __init__(self, upstream: str, observer: EngineObserver) -> None:
        self.upstream = upstream
        self._observer = observer
        # A private directory: the socket's name stays short (108 bytes at most) and only
        # this user can reach it. Made by hand: tempfile and shutil cost every run their
        # imports (random, hashlib), measured in bench/containers.py.
        self._dir = os.path.join(_temp_root(), f"greengate-engine-{os.urandom(6).hex()}")
        os.mkdir(self._dir, 0o700)
        self.path = os.path.join(self._dir, "docker.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.path)
        self._listener.listen(128)
        self._closed = False
        threading.Thread(target=self._accept, name="greengate-engine-proxy", daemon=True).start()

    def close(self) -> None:
        """Stop accepting (connections still open keep forwarding) and remove the socket."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
            os.rmdir(self._dir)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(
                target=self._serve, args=(client,), name="greengate-engine-conn", daemon=True
            ).start()

    def _serve(self, client: socket.socket) -> None:
        engine = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            engine.connect(self.upstream)
        except OSError:
            client.close()  # the client sees the engine as unreachable, as it would directly
            engine.close()
            return
        connection = _Connection(self._observer)
        back = threading.Thread(target=_pump, args=(engine, client, connection.answer), daemon=True)
        back.start()
        _pump(client, engine, connection.request)
        back.join()
        connection.closed()
        client.close()
        engine.close()


class _Connection:
    """One client connection's state: its requests, and whether a build is running on it."""

    def __init__(self, observer: EngineObserver) -> None:
        self._observer = observer
        self._stream = RequestStream(self._on_request)
        self._building = False  # a build request is the connection's latest
        self._classic = False
        self._tail = b""  # the answer's last bytes, for a step id split across two reads

    def request(self, data: bytes) -> None:
        self._stream.feed(data)

    def _on_request(self, request: EngineRequest) -> None:
        self._end_build()  # a new request on the connection: the previous answer is complete
        if request.started is not None:
            self._observer.container_started(request.started)
        elif request.build:
            self._building, self._classic = True, not request.buildkit
            self._observer.build_began(self, request.buildkit, request.quiet)

    def answer(self, data: bytes) -> None:
        if not self._classic:
            return
        text = self._tail + data
        for match in _STEP.finditer(text):
            self._observer.build_step(match.group(1).decode())
        self._tail = text[-24:]

    def closed(self) -> None:
        self._end_build()

    def _end_build(self) -> None:
        if self._building:
            self._building = self._classic = False
            self._tail = b""
            self._observer.build_ended(self)


def _temp_root() -> str:
    """Where temporary files go, as tempfile would choose it (TMPDIR, else /tmp)."""
    root = os.environ.get("TMPDIR") or "/tmp"
    return root if os.path.isdir(root) else "/tmp"


def _pump(source: socket.socket, sink: socket.socket, seen: Callable[[bytes], None]) -> None:
    """Forward ``source`` to ``sink`` until end of stream, then half-close ``sink`` (an
    attached client's end of input must reach the container)."""
    while True:
        try:
            data = source.recv(CHUNK)
        except OSError:
            data = b""
        if not data:
            break
        seen(data)  # before forwarding: the run's baseline precedes the engine's work
        try:
            sink.sendall(data)
        except OSError:
            break
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)
