"""``greengate stop`` with a live grid: the job's span priced by the provider, or its failure
judged as ``run`` judges it (``grid.fallback``)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Greengate
from grid_server import GridServer, grid_server

from greengate.job.session import sampler_alive
from greengate.job.state import JobState


def _policy(server: GridServer, fallback: str) -> str:
    return (
        "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        f"grid:\n  provider: electricitymaps\n  zone: DE\n  url: {server.url}\n"
        f"  timeout: 1 s\n  fallback: {fallback}\n"
    )


@pytest.fixture
def server() -> Iterator[GridServer]:
    with grid_server() as s:  # no routes: every request is a 404, the provider fails
        yield s


@pytest.fixture
def job_dir(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path
    state = JobState(tmp_path / ".greengate" / "job")  # never leave a sampler behind
    if state.exists():
        start = state.read_start()
        if sampler_alive(start) and start.pid is not None:
            os.kill(start.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("fallback", "code", "status"), [("error", 3, "error"), ("bundled", 0, "pass")]
)
def test_a_failed_live_grid_is_judged_by_its_fallback(
    greengate: Greengate,
    job_dir: Path,
    server: GridServer,
    fallback: str,
    code: int,
    status: str,
) -> None:
    (job_dir / "greengate.yml").write_text(_policy(server, fallback))
    env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": "t"}
    assert greengate("start", env=env, cwd=job_dir).returncode == 0
    stopped = greengate("stop", "--job", "build", env=env, cwd=job_dir)
    assert stopped.returncode == code, stopped.stderr
    v = stopped.verdict()
    assert v["status"] == status
    intensity = v["measurement"]["intensity"]
    assert intensity["live"]["fallback_reason"]  # the reason is kept either way
    assert intensity["zone"] == "DEU"  # the bundled yearly figure was charged
    grid_reason = any("grid.fallback is error" in r for r in v["reasons"])
    assert grid_reason is (fallback == "error")
    assert v["measurement"]["energy_kwh"] > 0  # the figures stay
