"""Fixtures every test module gets: a hermetic environment and a seeded hardware cache.

No test touches ``~/.cache``: ``GREENGATE_CACHE_DIR`` points at a session-wide temporary
directory that already holds this machine's hardware (``FAKE_HARDWARE``), so a gated run
neither spawns codecarbon's 2-second detection nor depends on the machine's real CPU.
CI variables of the machine running the tests are removed, so a test suite run inside
GitHub Actions behaves like one on a laptop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from greengate.energy.hardware import Hardware, cache_path, hardware_to_json, quick_identity

#: What the seeded cache says this machine is: 10 W per busy thread.
FAKE_HARDWARE = Hardware(
    cpu_model="Test CPU 8-thread 80 W",
    threads=os.cpu_count() or 1,
    socket_threads=8,
    tdp_watts=80.0,
    tdp_match="Test CPU 8-thread 80 W",
    virtualised=False,
    ram_total_bytes=16 * 1024**3,
    rapl=False,
)

#: Variables that would change what greengate does if the machine running the tests set them.
_OUTSIDE_VARIABLES = (
    # CI providers' markers and the variables the context and reporters read
    "CI",
    "GITHUB_ACTIONS",
    "GITHUB_JOB",
    "GITHUB_HEAD_REF",
    "GITHUB_REF_NAME",
    "GITHUB_SHA",
    "GITHUB_STEP_SUMMARY",
    "GITHUB_OUTPUT",
    "GITLAB_CI",
    "RUNNER_ENVIRONMENT",
    "RUNNER_OS",
    "CI_SERVER_HOST",
    "CI_RUNNER_TAGS",
    "CI_RUNNER_DESCRIPTION",
    "TF_BUILD",
    "JENKINS_URL",
    # greengate's own options
    "GREENGATE_POLICY",
    "GREENGATE_JOB",
    "GREENGATE_BRANCH",
    "GREENGATE_VERDICT",
    "GREENGATE_COUNTRY",
    "GREENGATE_INTENSITY",
    "GREENGATE_QUIET",
    "GREENGATE_VIOLATION_EXIT_CODE",
    "GREENGATE_POLICY_FROM",
    "GREENGATE_REPORT",
    "GREENGATE_MEASUREMENT",
    "GREENGATE_DEBUG",
    "GREENGATE_FORCE_NVML",
    "GREENGATE_UNIT",
    "GREENGATE_STATE",
    "GREENGATE_JOB_KEY",
    "GREENGATE_MAX_DURATION",
    "RUNNER_TEMP",
    "GREENGATE_GRACE_PERIOD",
    "GREENGATE_STOP_AT_LIMIT",
    "GREENGATE_STOP_SIGNAL",
    "GREENGATE_LEDGER",
    "GREENGATE_LEDGER_DEFAULT",
    "XDG_CACHE_HOME",
    # which container engine a run's docker clients reach (greengate/containers)
    "DOCKER_HOST",
    "DOCKER_CONTEXT",
    "GREENGATE_CONTAINERS",
)


def seed_hardware_cache(directory: Path, hardware: Hardware = FAKE_HARDWARE) -> Path:
    """Write the cache file ``HardwareDetector(directory)`` looks for on this machine."""
    identity = quick_identity()
    path = cache_path(directory, identity)
    directory.mkdir(parents=True, exist_ok=True)
    path.write_text(hardware_to_json(hardware, identity), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def hardware_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache directory already holding ``FAKE_HARDWARE`` for this machine."""
    directory = tmp_path_factory.mktemp("greengate-cache")
    seed_hardware_cache(directory)
    return directory


@pytest.fixture(scope="session")
def no_machine_identity(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory: no DMI identity (no cloud profile) and no RAPL counters."""
    return tmp_path_factory.mktemp("no-sysfs")


@pytest.fixture(autouse=True)
def _hermetic_environment(
    monkeypatch: pytest.MonkeyPatch, hardware_cache: Path, no_machine_identity: Path
) -> None:
    for name in _OUTSIDE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(hardware_cache))
    # Whatever machine runs the tests (a cloud VM, bare metal with readable RAPL), runs are
    # estimated from FAKE_HARDWARE unless a test sets these itself.
    monkeypatch.setenv("GREENGATE_DMI_DIR", str(no_machine_identity))
    monkeypatch.setenv("GREENGATE_POWERCAP_DIR", str(no_machine_identity))


@dataclass(frozen=True)
class CliResult:
    """How one ``python -m greengate ...`` ended."""

    returncode: int
    stdout: bytes
    stderr: str
    cwd: Path

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    def verdict(self, name: str = "greengate-verdict.json") -> dict[str, Any]:
        """The verdict JSON the run wrote (relative to its working directory)."""
        data: dict[str, Any] = json.loads((self.cwd / name).read_text(encoding="utf-8"))
        return data


Greengate = Callable[..., CliResult]


@pytest.fixture
def greengate(tmp_path: Path) -> Iterator[Greengate]:
    """Run the real CLI in a fresh process: ``greengate("run", "--", ...)``.

    Runs in ``tmp_path`` (not a git checkout, so no branch is found there) unless ``cwd``
    is given; ``env`` adds variables to the hermetic environment.
    """

    def run(
        *args: str,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 60,
    ) -> CliResult:
        where = cwd or tmp_path
        proc = subprocess.run(
            [sys.executable, "-m", "greengate", *args],
            cwd=where,
            env={**os.environ, **(env or {})},
            capture_output=True,
            timeout=timeout,
            check=False,
        )
        return CliResult(
            proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"), where
        )

    yield run
