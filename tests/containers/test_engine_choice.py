"""Which engine a run's docker clients reach, and what follows it (containers/engine.py)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from greengate.containers.accounting import ContainerAccounting
from greengate.containers.engine import (
    LocalEngine,
    RemoteEngine,
    UnseenEngine,
    container_source,
    find_engine,
)
from greengate.measurement import Scope


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "docker.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    yield path
    listener.close()


def test_a_unix_docker_host_is_local_when_its_socket_is_there(
    engine_socket: str, tmp_path: Path
) -> None:
    assert find_engine({"DOCKER_HOST": f"unix://{engine_socket}"}) == LocalEngine(engine_socket)
    missing = {"DOCKER_HOST": f"unix://{tmp_path}/none.sock"}
    assert find_engine(missing) is None


def test_remote_hosts_and_other_contexts_are_named(tmp_path: Path) -> None:
    assert find_engine({"DOCKER_HOST": "tcp://10.0.0.5:2376"}) == RemoteEngine(
        "DOCKER_HOST=tcp://10.0.0.5:2376"
    )
    assert find_engine({"DOCKER_CONTEXT": "builder"}) == RemoteEngine(
        "the Docker context 'builder'"
    )
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    assert find_engine({"DOCKER_CONFIG": str(tmp_path)}) == RemoteEngine(
        "the Docker context 'remote'"
    )
    (tmp_path / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert not isinstance(find_engine({"DOCKER_CONFIG": str(tmp_path)}), RemoteEngine)


def test_what_follows_the_engine_in_each_scope(engine_socket: str) -> None:
    local = {"DOCKER_HOST": f"unix://{engine_socket}"}
    assert isinstance(container_source(local)(Scope.PROCESS), ContainerAccounting)
    # Machine scope already holds every container's work: nothing is added to it.
    assert container_source(local)(Scope.MACHINE) is None
    assert container_source({**local, "GREENGATE_CONTAINERS": "off"})(Scope.PROCESS) is None
    remote = container_source({"DOCKER_HOST": "ssh://ci@builder"})(Scope.PROCESS)
    assert isinstance(remote, UnseenEngine)
    assert remote.command_env() == {}
    work = remote.finish()
    assert "ssh://ci@builder" in work.notes[0] and "start / lap / stop" in work.notes[0]
