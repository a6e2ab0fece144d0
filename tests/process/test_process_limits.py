"""greengate under a process limit (issue 20): `start` says the documented "the sampler did
not start" (it was an internal error), and a sample that fails in a fork storm is skipped
instead of killing the sampler thread with a traceback."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from greengate.process.sampler import Sampler

PIDS_V1 = Path("/sys/fs/cgroup/pids")
CGROUP_V2 = Path("/sys/fs/cgroup")


def _pids_cgroup() -> Path | None:
    """A new cgroup with a pids controller (v1 or v2), or None where none can be made."""
    name = f"greengate-test-{uuid.uuid4().hex[:8]}"
    for parent in (PIDS_V1, CGROUP_V2):
        if not (parent / "cgroup.procs").exists():
            continue
        if parent == CGROUP_V2 and "pids" not in (parent / "cgroup.subtree_control").read_text():
            continue
        try:
            (parent / name).mkdir()
        except OSError:
            continue
        if (parent / name / "pids.max").exists():
            return parent / name
        (parent / name).rmdir()
    return None


@pytest.fixture
def pids_limited() -> Iterator[Path]:
    group = _pids_cgroup()
    if group is None:
        pytest.skip("no pids cgroup can be made here (needs root and a pids controller)")
    try:
        yield group
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
        time.sleep(0.2)
        group.rmdir()


def test_start_under_an_exhausted_process_limit_says_the_sampler_did_not_start(
    pids_limited: Path, tmp_path: Path
) -> None:
    # The limit admits greengate itself and nothing more: its sampler cannot be forked.
    script = (
        f"echo $$ > {pids_limited / 'cgroup.procs'} && echo 1 > {pids_limited / 'pids.max'} "
        f'&& exec "$0" -m greengate start --state "$1"'
    )
    done = subprocess.run(
        ["/bin/sh", "-c", script, sys.executable, str(tmp_path / "state")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "the sampler did not start" in done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr


def test_start_with_its_state_where_it_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    done = subprocess.run(
        [sys.executable, "-m", "greengate", "start", "--state", str(tmp_path / "a-file" / "s")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "the sampler did not start: Not a directory" in done.stderr
    assert "internal error" not in done.stderr


def test_a_sample_that_fails_is_skipped_not_a_dead_thread() -> None:
    failures: list[BaseException | None] = []
    seen: list[float] = []

    def on_sample(elapsed: float, _tree: object) -> None:
        seen.append(elapsed)
        if len(seen) == 1:  # e.g. a thread that cannot start in a fork storm
            raise RuntimeError("can't start new thread")

    before = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)
    try:
        sampler = Sampler(time.monotonic(), on_sample, max_interval=0.05)
        sampler.start()
        time.sleep(0.4)
        sampler.stop()
    finally:
        threading.excepthook = before
    assert failures == []
    assert len(seen) >= 3  # it went on sampling after the failure
