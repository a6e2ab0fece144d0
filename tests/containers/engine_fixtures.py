"""The test Docker engine (``.ci/start-dockerd``, found through GREENGATE_TEST_DOCKER_HOST)
and an independent reading of what its containers used: the engine's parent cgroup."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from factories import assert_valid_verdict

# Read at import: the hermetic-environment fixture (conftest.py) removes CI before each test.
IN_CI = os.environ.get("CI") == "true"
DOCKER_HOST = os.environ.get("GREENGATE_TEST_DOCKER_HOST", "")
# Debian's client: it builds with BuildKit without the buildx plugin (newer clients need it).
DOCKER = "/usr/bin/docker"
IMAGE = "gg-busybox:1"
BURN = "yes | head -c {n} | sha256sum"


def require_engine() -> str:
    """The test engine's DOCKER_HOST; skip without one locally, fail in CI (CI=true)."""
    if not DOCKER_HOST or not Path(DOCKER).is_file():
        why = "GREENGATE_TEST_DOCKER_HOST is not set (.ci/run starts .ci/start-dockerd)"
        if IN_CI:
            pytest.fail(why + "; CI must run the container tests, not skip them", pytrace=False)
        pytest.skip(why)
    return DOCKER_HOST


def docker(*args: str, check: bool = True) -> str:
    """Run Debian's docker client against the test engine, as a process outside any run."""
    proc = subprocess.run(
        [DOCKER, *args],
        env={**os.environ, "DOCKER_HOST": DOCKER_HOST},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


def engine_cpu_ns() -> int:
    """CPU time of every container of the engine so far, read by hand from its parent cgroup
    (cgroupfs driver: ``docker``), v1 cpuacct or v2 cpu.stat: the independent figure."""
    for path in (
        Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage"),
        Path("/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage"),
    ):
        if path.is_file():
            return int(path.read_text())
    stat = Path("/sys/fs/cgroup/docker/cpu.stat").read_text()
    usec = next(line.split()[1] for line in stat.splitlines() if line.startswith("usage_usec"))
    return int(usec) * 1000


def container_cpu_ns(container_id: str) -> int:
    """CPU time of one running container, read by hand from its own cgroup."""
    for path in (
        Path(f"/sys/fs/cgroup/cpuacct/docker/{container_id}/cpuacct.usage"),
        Path(f"/sys/fs/cgroup/cpu,cpuacct/docker/{container_id}/cpuacct.usage"),
    ):
        if path.is_file():
            return int(path.read_text())
    stat = Path(f"/sys/fs/cgroup/docker/{container_id}/cpu.stat").read_text()
    usec = next(line.split()[1] for line in stat.splitlines() if line.startswith("usage_usec"))
    return int(usec) * 1000


def containers_of(verdict_path: Path) -> dict[str, Any]:
    """The verdict's ``measurement.containers`` section (a KeyError says it is missing), from
    a verdict the schema accepts."""
    data = json.loads(verdict_path.read_text())
    assert_valid_verdict(data)
    return dict(data["measurement"]["containers"])
