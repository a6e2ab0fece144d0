"""Where the command's container engine is, and what it says about one container.

Only a local engine on a Unix socket can be put behind the run's proxy and have its
containers' cgroups read here. ``DOCKER_HOST`` pointing elsewhere (``tcp://``, ``ssh://``)
or a Docker context other than the default names an engine greengate cannot see into.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from greengate.containers.work import ContainerWork
from greengate.energy.interface import Containers, ContainerSource
from greengate.measurement import Scope

DEFAULT_SOCKET = "/var/run/docker.sock"
INSPECT_TIMEOUT = 2.0


@dataclass(frozen=True)
class LocalEngine:
    """An engine on this machine, on a Unix socket."""

    socket: str


@dataclass(frozen=True)
class RemoteEngine:
    """An engine greengate cannot read the cgroups of: how it is named, in words."""

    where: str


def find_engine(env: Mapping[str, str]) -> LocalEngine | RemoteEngine | None:
    """The engine a docker client started by the command would talk to; None: none here."""
    host = env.get("DOCKER_HOST", "")
    if host:
        if host.startswith("unix://"):
            path = host[len("unix://") :]
            return LocalEngine(path) if _is_socket(path) else None
        return RemoteEngine(f"DOCKER_HOST={host}")
    context = env.get("DOCKER_CONTEXT") or _current_context(env)
    if context and context != "default":
        return RemoteEngine(f"the Docker context {context!r}")
    return LocalEngine(DEFAULT_SOCKET) if _is_socket(DEFAULT_SOCKET) else None


class UnseenEngine(ContainerSource):
    """An engine whose containers cannot be measured from here: the verdict says so."""

    def __init__(self, engine: RemoteEngine) -> None:
        self.engine = engine

    def command_env(self) -> dict[str, str]:
        return {}

    def finish(self) -> ContainerWork:
        note = (
            f"{self.engine.where} names an engine whose containers greengate cannot measure: "
            "any container the command ran there is missing from this figure; measure the "
            "machine that runs them with greengate start / lap / stop (machine scope)"
        )
        return ContainerWork((), 0.0, 0.0, 0.0, 0.0, "unavailable", (note,))


def container_source(env: Mapping[str, str]) -> Containers:
    """What follows the containers of a run in ``scope``: the engine here, if there is one."""

    def build(scope: Scope) -> ContainerSource | None:
        if scope is Scope.MACHINE:
            return None  # the machine's figure already holds every container's work
        if env.get("GREENGATE_CONTAINERS", "").lower() in ("0", "off", "false", "no"):
            return None
        engine = find_engine(env)
        if engine is None:
            return None
        if isinstance(engine, RemoteEngine):
            return UnseenEngine(engine)
        from greengate.containers.accounting import ContainerAccounting

        return ContainerAccounting(engine)

    return build


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def _current_context(env: Mapping[str, str]) -> str | None:
    """The client configuration's ``currentContext`` (``docker context use``), if any."""
    directory = env.get("DOCKER_CONFIG") or os.path.join(env.get("HOME", "~"), ".docker")
    try:
        data = json.loads(Path(directory, "config.json").read_text())
    except (OSError, ValueError):
        return None
    context = data.get("currentContext") if isinstance(data, dict) else None
    return context if isinstance(context, str) else None


@dataclass(frozen=True)
class ContainerFacts:
    """What the engine says of one container: its full id, image and main process."""

    id: str
    image: str
    pid: int  # 0 where it is not running


def inspect(engine_socket: str, ref: str) -> ContainerFacts | None:
    """``GET /containers/{ref}/json`` on the engine; None where it cannot say (gone, down)."""
    import http.client  # only once the run has started a container
    import socket
    from urllib.parse import quote

    class UnixConnection(http.client.HTTPConnection):
        def connect(self) -> None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(INSPECT_TIMEOUT)
            sock.connect(engine_socket)
            self.sock = sock

    connection = UnixConnection("localhost", timeout=INSPECT_TIMEOUT)
    try:
        connection.request("GET", f"/containers/{quote(ref, safe='')}/json")
        response = connection.getresponse()
        body = response.read()
        if response.status != 200:
            return None
        data = json.loads(body)
        return ContainerFacts(
            id=str(data["Id"]),
            image=str((data.get("Config") or {}).get("Image") or data.get("Image") or ""),
            pid=int((data.get("State") or {}).get("Pid") or 0),
        )
    except (OSError, ValueError, KeyError, TypeError, http.client.HTTPException):
        return None
    finally:
        connection.close()
