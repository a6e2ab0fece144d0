"""Helpers shared by the bench scripts: a hermetic environment and process timing."""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GREENGATE = str(BIN / "greengate")
CODECARBON = str(BIN / "codecarbon")
# Byte-compile greengate as pip does when it installs a wheel. An editable install run with
# PYTHONDONTWRITEBYTECODE=1 (set on some machines) would otherwise recompile every module
# changed since its .pyc was written, on every run, and time that instead of greengate.
compileall.compile_dir(ROOT / "greengate", quiet=1)

POLICY = """version: 1
defaults:
  country: FRA
budgets:
  - max_emissions: 1 kg
"""


def workdir() -> Path:
    """A temporary directory holding a policy, with greengate's cache pointed inside it."""
    d = Path(tempfile.mkdtemp(prefix="greengate-bench-"))
    (d / "greengate.yml").write_text(POLICY)
    os.environ["GREENGATE_CACHE_DIR"] = str(d / "cache")
    return d


def gg_run(verdict: Path, *command: str, policy: Path | None = None) -> list[str]:
    """``greengate run --quiet`` at a fixed 100 g/kWh (no grid look-up) writing ``verdict``."""
    argv = [GREENGATE, "run", "--quiet", "--intensity", "100", "--verdict", str(verdict)]
    if policy is not None:
        argv += ["--policy", str(policy)]
    return [*argv, "--", *command]


def timed(
    argv: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, float, int]:
    """Run argv; return (wall seconds, CPU seconds of it and every process it reaped, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, ru.ru_utime + ru.ru_stime, proc.returncode


def tree_cpu(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Ground truth: run argv bare with this process as the child subreaper, reap every
    descendant (orphans included) and sum the kernel's rusage. Returns (wall, CPU-seconds)."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    cpu = 0.0
    wall = 0.0
    while True:
        try:
            pid, _, ru = os.wait4(-1, 0)
        except ChildProcessError:
            break
        cpu += ru.ru_utime + ru.ru_stime
        if pid == proc.pid:
            wall = time.perf_counter() - start
    proc.returncode = 0
    libc.prctl(36, 0, 0, 0, 0)
    return wall, cpu


def peak_rss(pid: int) -> int:
    """The high-water mark of ``pid``'s own resident memory (VmHWM; its children not counted)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def median(values: list[float]) -> float:
    return statistics.median(values)


def cleanup(d: Path) -> None:
    shutil.rmtree(d, ignore_errors=True)
