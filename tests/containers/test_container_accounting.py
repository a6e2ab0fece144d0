"""The container accounting on a faithful fake cgroup v2 tree (tests/containers/fake_cgroups.py).

The machine the suite runs on mounts cgroup v1 for its engine's controllers; these cover the
v2 files, the tails of removed cgroups, other clients' containers and the systemd driver's
scopes. The proxy's news is handed in directly, as the proxy would call it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_cgroups import FakeCgroupTree

from greengate.containers.accounting import ContainerAccounting
from greengate.containers.engine import LocalEngine
from greengate.containers.work import ContainerWork

OURS = "a" * 64
OTHER = "b" * 64
NO_ENGINE = LocalEngine("/nonexistent/docker.sock")  # inspect finds nothing: ids come as given


@pytest.fixture
def tree(tmp_path: Path) -> FakeCgroupTree:
    fake = FakeCgroupTree(tmp_path / "cgroup")
    fake.make("docker")
    return fake


def accounting(tree: FakeCgroupTree) -> ContainerAccounting:
    # An hour between readings: only the test's own read_cgroups() calls read the tree.
    return ContainerAccounting(NO_ENGINE, lambda: [tree.hierarchy], poll_seconds=3600)


def by_id(work: ContainerWork | None) -> dict[str, float]:
    assert work is not None
    return {c.id: c.cpu_seconds for c in work.containers}


def test_a_removed_containers_last_moments_come_from_the_parent(tree: FakeCgroupTree) -> None:
    account = accounting(tree)
    account.container_started(OURS)
    tree.make(f"docker/{OURS}", anon=50 * 2**20)
    tree.burn(f"docker/{OURS}", 1.0)
    account.read_cgroups()
    tree.burn(f"docker/{OURS}", 0.7)  # after the last reading: only the parent keeps it
    tree.remove(f"docker/{OURS}")
    work = account.finish()
    assert by_id(work) == {OURS: pytest.approx(1.7)}
    assert work is not None
    assert work.cpu_low_seconds == work.cpu_high_seconds == pytest.approx(1.7)
    assert work.containers[0].peak_memory_bytes == 50 * 2**20
    assert work.method == "cgroup v2 cpu.stat"


def test_a_container_that_came_and_went_between_readings_is_counted(tree: FakeCgroupTree) -> None:
    account = accounting(tree)
    account.container_started(OURS)
    tree.make(f"docker/{OURS}")
    tree.burn(f"docker/{OURS}", 0.4)
    tree.remove(f"docker/{OURS}")
    assert sum(by_id(account.finish()).values()) == pytest.approx(0.4)


def test_work_before_the_runs_first_container_is_not_counted(tree: FakeCgroupTree) -> None:
    tree.make(f"docker/{OTHER}")
    tree.burn(f"docker/{OTHER}", 5.0)  # before the run asked for anything
    account = accounting(tree)
    account.container_started(OURS)
    tree.make(f"docker/{OURS}")
    tree.burn(f"docker/{OURS}", 0.5)
    tree.burn(f"docker/{OTHER}", 2.0)  # still running beside the run's: not the run's
    account.read_cgroups()
    tree.burn(f"docker/{OTHER}", 1.0)
    assert by_id(account.finish()) == {OURS: pytest.approx(0.5)}


def test_another_clients_container_stopping_too_makes_the_tail_a_band(
    tree: FakeCgroupTree,
) -> None:
    account = accounting(tree)
    account.container_started(OURS)
    for cid in (OURS, OTHER):
        tree.make(f"docker/{cid}")
    tree.burn(f"docker/{OURS}", 1.0)
    tree.burn(f"docker/{OTHER}", 3.0)
    account.read_cgroups()
    tree.burn(f"docker/{OURS}", 0.2)
    tree.burn(f"docker/{OTHER}", 0.6)
    account.read_cgroups()  # the rates: OURS 0.2 and OTHER 0.6 over one interval
    tree.burn(f"docker/{OURS}", 0.5)
    tree.burn(f"docker/{OTHER}", 1.5)
    tree.remove(f"docker/{OURS}")
    tree.remove(f"docker/{OTHER}")
    work = account.finish()
    assert work is not None
    # 2.0 s of tails between the two: a quarter is the run's by their last rates.
    assert work.cpu_seconds == pytest.approx(1.2 + 0.5)
    assert work.cpu_low_seconds == pytest.approx(1.2)
    assert work.cpu_high_seconds == pytest.approx(1.2 + 2.0)


def test_buildkit_steps_during_the_runs_build_are_the_runs(tree: FakeCgroupTree) -> None:
    account = accounting(tree)
    build = object()
    account.build_began(build, buildkit=True)
    tree.make("docker/buildkit/step1")
    tree.burn("docker/buildkit/step1", 0.8)
    account.read_cgroups()
    tree.burn("docker/buildkit/step1", 0.3)
    tree.remove("docker/buildkit/step1")
    account.build_ended(build)
    account.read_cgroups()
    tree.make("docker/buildkit/later")  # another client's build, after the run's ended
    account.read_cgroups()
    tree.burn("docker/buildkit/later", 2.0)
    work = account.finish()
    assert by_id(work) == {"step1": pytest.approx(1.1)}
    assert work is not None and work.containers[0].image == "build"


def test_a_classic_builds_steps_are_found_by_their_short_id(tree: FakeCgroupTree) -> None:
    account = accounting(tree)
    build = object()
    account.build_began(build, buildkit=False)
    account.build_step(OURS[:12])  # "---> Running in aaaaaaaaaaaa" in the engine's answer
    tree.make(f"docker/{OURS}")
    tree.make(f"docker/{OTHER}")
    tree.burn(f"docker/{OURS}", 0.9)
    tree.burn(f"docker/{OTHER}", 0.4)
    account.read_cgroups()
    account.build_ended(build)
    assert by_id(account.finish()) == {OURS: pytest.approx(0.9)}


def test_systemd_driver_scopes_are_read_on_their_own(tmp_path: Path) -> None:
    tree = FakeCgroupTree(tmp_path / "cgroup")
    scope = f"system.slice/docker-{OURS}.scope"
    tree.make("system.slice/ssh.service")
    account = accounting(tree)
    account.container_started(OURS)
    tree.make(scope)
    tree.burn(scope, 0.6)
    tree.burn("system.slice/ssh.service", 4.0)  # every other service shares the parent
    account.read_cgroups()
    tree.burn(scope, 0.2)
    account.read_cgroups()
    work = account.finish()
    assert by_id(work) == {OURS: pytest.approx(0.8)}
    assert work is not None and work.cpu_high_seconds == work.cpu_seconds  # still running


def test_a_stopped_systemd_scope_widens_the_band(tmp_path: Path) -> None:
    tree = FakeCgroupTree(tmp_path / "cgroup")
    scope = f"system.slice/docker-{OURS}.scope"
    tree.make("system.slice")
    account = accounting(tree)
    account.container_started(OURS)
    tree.make(scope)
    tree.burn(scope, 0.6)
    account.read_cgroups()
    tree.burn(scope, 0.1)  # unseen: system.slice's movement is every service's
    tree.remove(scope)
    work = account.finish()
    assert by_id(work) == {OURS: pytest.approx(0.6)}
    assert work is not None and work.cpu_high_seconds > work.cpu_seconds


def test_no_readable_hierarchy_says_the_work_is_missing() -> None:
    account = ContainerAccounting(NO_ENGINE, lambda: [], poll_seconds=3600)
    account.container_started(OURS)
    work = account.finish()
    assert work is not None and not work.containers
    (note,) = work.notes
    assert "missing from this figure" in note and "start / lap / stop" in note


def test_a_run_without_containers_has_no_container_work(tree: FakeCgroupTree) -> None:
    assert accounting(tree).finish() is None


def test_a_quiet_classic_builds_steps_are_those_that_appear_while_it_runs(
    tree: FakeCgroupTree,
) -> None:
    tree.make(f"docker/{OTHER}")  # running before the build: not a step
    account = accounting(tree)
    build = object()
    account.build_began(build, buildkit=False, quiet=True)  # no "Running in" will come
    tree.make(f"docker/{OURS}")
    tree.burn(f"docker/{OURS}", 0.9)
    tree.burn(f"docker/{OTHER}", 0.4)
    account.read_cgroups()
    tree.burn(f"docker/{OURS}", 0.1)
    tree.remove(f"docker/{OURS}")
    account.build_ended(build)
    assert by_id(account.finish()) == {OURS: pytest.approx(1.0)}
