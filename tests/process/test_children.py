"""The kernel's children lists give the same live tree as psutil's scan of every process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from greengate.process.children import sampled_tree
from greengate.process.sampler import live_tree

# A tree with what a scan by parent pid finds and a naive walk could miss: a grandchild, a
# child started from a second thread (it sits in that thread's children list), a process
# whose name holds spaces and parentheses, and a child burning CPU.
TREE = r"""
import subprocess, sys, threading, time
kids = [subprocess.Popen(["sh", "-c", "sleep 30 & wait"])]
def from_thread():
    kids.append(subprocess.Popen(["sleep", "30"]))
t = threading.Thread(target=from_thread); t.start(); t.join()
kids.append(subprocess.Popen([sys.executable, "-c",
    "import ctypes; ctypes.CDLL(None).prctl(15, b'a (b) c', 0, 0, 0)\n"
    "import time\nt = time.time()\nwhile time.time() - t < 30: pass"]))
print("ready", flush=True)
time.sleep(30)
"""


@pytest.fixture
def tree() -> Iterator[subprocess.Popen[str]]:
    root = subprocess.Popen([sys.executable, "-c", TREE], stdout=subprocess.PIPE, text=True)
    assert root.stdout is not None and root.stdout.readline() == "ready\n"
    time.sleep(0.5)  # the grandchild started, the burner has used some CPU
    yield root
    for child in psutil.Process(root.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()
    root.kill()
    root.wait()


def test_the_walk_finds_the_same_processes_and_figures_as_the_scan(
    tree: subprocess.Popen[str],
) -> None:
    me = os.getpid()
    if not os.path.exists(f"/proc/{me}/task/{me}/children"):
        pytest.skip("this kernel has no children lists (CONFIG_PROC_CHILDREN)")
    before, walked, after = live_tree(), sampled_tree(), live_tree()
    assert set(before.processes) == set(walked.processes) == set(after.processes)
    assert len(walked.processes) >= 5  # root, sh, its sleep, the thread's sleep, the burner
    for pid, got in walked.processes.items():
        # The same kernel counters, read between two scans: never outside them.
        low, high = before.processes[pid], after.processes[pid]
        cpu = got.user_seconds + got.system_seconds
        assert low.user_seconds + low.system_seconds - 0.02 <= cpu
        assert cpu <= high.user_seconds + high.system_seconds + 0.02
        assert got.rss_bytes == pytest.approx(high.rss_bytes, rel=0.2, abs=1 << 20)
    assert walked.cpu_seconds > 0.1  # the burner's CPU is read, not zero


def test_without_the_kernels_lists_it_is_the_scan(
    tree: subprocess.Popen[str], tmp_path: Path
) -> None:
    # A /proc with no children files (CONFIG_PROC_CHILDREN off): the full scan is used.
    assert set(sampled_tree(proc=str(tmp_path)).processes) == set(live_tree().processes)
