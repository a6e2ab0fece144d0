"""cgroup v2 reading against the real engine, where the machine mounts a hybrid hierarchy.

The test machine mounts cgroup v1 for its controllers and, beside it, the v2 tree at
``/sys/fs/cgroup/unified``: the kernel keeps ``cpu.stat``'s ``usage_usec`` there for every
cgroup (it is core accounting, no controller needed), so the v2 reader can be checked against
the engine's real containers here. Skipped on machines without such a mount (pure v1, or
pure v2, where the CLI tests already read v2).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from engine_fixtures import BURN, DOCKER, IMAGE, engine_cpu_ns, require_engine

from greengate.containers.accounting import ContainerAccounting
from greengate.containers.cgroupfs import Hierarchy
from greengate.containers.engine import LocalEngine

UNIFIED = Path("/sys/fs/cgroup/unified")


def test_the_v2_tree_counts_a_docker_run_rm() -> None:
    host = require_engine()
    if not (UNIFIED / "docker" / "cpu.stat").is_file():
        pytest.skip("no hybrid cgroup v2 tree with the engine's parent here")
    v2 = Hierarchy(UNIFIED, 2, None)  # memory is a v1 controller on a hybrid machine
    account = ContainerAccounting(LocalEngine(host.removeprefix("unix://")), lambda: [v2])
    env = {**os.environ, **account.command_env()}
    before = engine_cpu_ns()  # the v1 cpuacct parent: the independent figure
    subprocess.run(
        [DOCKER, "run", "--rm", "--network", "none", IMAGE, "sh", "-c", BURN.format(n=50_000_000)],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = account.finish()
    engine_seconds = (engine_cpu_ns() - before) / 1e9
    assert work is not None and work.method == "cgroup v2 cpu.stat"
    assert engine_seconds > 0.2
    assert work.cpu_seconds == pytest.approx(engine_seconds, rel=0.02)
    assert [c.image for c in work.containers] == [IMAGE]
