"""The detached sampler: ``/proc/stat`` every interval, folded into the job's record.

Started by ``greengate start`` as ``python -m greengate.job.sampler STATE TOKEN`` in a new
session with every standard stream on /dev/null and no other descriptor inherited: a CI
step's pipes must close when the step ends (a child holding them open hangs GitHub's and
GitLab's runners, gitlab-runner#2880). It forks once more, so it is never a session leader
and ``start``'s child is reaped at once, then loops until one of:

- SIGTERM, SIGINT or SIGHUP (``greengate stop``): a last sample, then ``ended: stopped``;
- ``--max-duration`` since ``start`` (default 6 h): ``ended: max-duration``;
- the state directory or its ``job.json`` is removed (a runner cleaning its temp directory),
  or another ``start --restart`` took it over: it exits, so no sampler outlives its job.

It imports only the record, ``/proc/stat``, the RAPL and NVML readers and atomic writes: its own
footprint is part of what it measures (BENCHMARKS.md, ``bench/job.py``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from dataclasses import replace

from greengate.energy.procstat import read_machine_cpu
from greengate.files.json_text import load_json
from greengate.job.counters import follower_from_env, gpu_follower_from_env
from greengate.job.histogram import UtilisationHistogram
from greengate.job.location import JOB_FILE
from greengate.job.state import JobState, Mark, Progress

MODULE = "greengate.job.sampler"
_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}


def _owner(state: JobState) -> str | None:
    """The token in job.json now; None when the file (or the directory) is gone."""
    try:
        with open(state.directory / JOB_FILE, encoding="utf-8") as f:
            return str(load_json(f.read()).get("token"))
    except (OSError, ValueError, AttributeError):
        return None


def sample_loop(state: JobState, token: str) -> str:
    """Measure until told to stop; returns why it ended."""
    start = state.read_start()
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    first = read_machine_cpu()
    if first is None:
        return "error: /proc/stat is unreadable"
    rapl, gpu = follower_from_env(), gpu_follower_from_env()
    rapl.begin()
    gpu.begin()
    origin = Mark(
        time.monotonic(), time.time(), first, UtilisationHistogram(), rapl.joules(), gpu.joules()
    )
    state.write_start(replace(start, pid=os.getpid()))
    mark, samples = origin, 0
    state.write_progress(
        Progress(origin, mark, samples, None, rapl.error, gpu.error, gpu.method, gpu.band)
    )
    deadline = start.started_mono + start.max_duration_s
    while True:
        received = signal.sigtimedwait(_SIGNALS, start.interval_s)
        reading, now = read_machine_cpu(), time.monotonic()
        if reading is not None:
            used = reading - mark.machine
            histogram = mark.histogram.added(now - mark.mono, used.utilisation)
            joules, gpu_joules = rapl.joules(), gpu.joules()
            mark = Mark(now, time.time(), reading, histogram, joules, gpu_joules)
            samples += 1
        owner = _owner(state)
        if owner is None:
            return "state-removed"  # nothing left to write to
        if owner != token:
            return "restarted"  # the directory is another sampler's now
        ended = None
        if received is not None:
            ended = "stopped"
        elif now >= deadline:
            ended = "max-duration"
        elif reading is None:
            ended = "error: /proc/stat became unreadable"
        state.write_progress(
            Progress(origin, mark, samples, ended, rapl.error, gpu.error, gpu.method, gpu.band)
        )
        if ended is not None:
            return ended


def main(argv: list[str]) -> int:
    """Entry point of the detached process: ``STATE TOKEN``."""
    directory, token = argv
    if os.fork() > 0:
        os._exit(0)  # the intermediate: ``start`` reaps it; the sampler is reparented
    os.chdir("/")  # hold no workspace or mount busy
    # OSError: the state directory went away under us; the job is over either way.
    with contextlib.suppress(OSError):
        sample_loop(JobState(directory), token)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
