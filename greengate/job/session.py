"""``start``, ``lap`` and ``stop`` on a job's state directory: the sampler's life and the laps."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from greengate.energy.procstat import read_machine_cpu
from greengate.errors import MeasurementError, UsageError
from greengate.job.sampler import MODULE
from greengate.job.state import JobStart, JobState, Lap, Mark, Progress

DEFAULT_MAX_DURATION_S = 6 * 3600.0
DEFAULT_INTERVAL_S = 1.0
START_TIMEOUT_S = 10.0
LAST_LAP = "rest"  # the stretch after the last ``greengate lap``, unless stop names it
MIN_LAP_S = 0.05  # a last lap shorter than this (stop right after lap) is no lap


@dataclass(frozen=True)
class LapSpan:
    """One lap of the job: from one mark to the next."""

    name: str
    begin: Mark
    end: Mark
    note: str | None = None

    @property
    def seconds(self) -> float:
        return max(self.end.mono - self.begin.mono, 0.0)


@dataclass(frozen=True)
class JobRecord:
    """What ``stop`` found: the laps, the whole job, and what went wrong with the sampler."""

    state_dir: str
    origin: Mark
    end: Mark
    laps: tuple[LapSpan, ...]
    problem: str | None  # the sampler died or ended early: the job is measured until then
    rapl_error: str | None = None  # RAPL counters there, but not followed: why
    gpu_error: str | None = None  # GPUs there, but NVML not followed: why
    gpu_method: str | None = None  # NVML's counter or its power readings integrated
    gpu_band: tuple[float, float] | None = None  # that figure's band, as fractions of it

    @property
    def whole(self) -> LapSpan:
        return LapSpan("job", self.origin, self.end)


def wall_time(mark: Mark) -> datetime:
    """The wall clock at a mark, as the verdict shows it."""
    return datetime.fromtimestamp(mark.wall, tz=timezone.utc)


def sampler_alive(start: JobStart) -> bool:
    """Whether this job's sampler runs: its pid exists and its argv carries the job's token."""
    if start.pid is None:
        return False
    try:
        with open(f"/proc/{start.pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return MODULE.encode() in argv and start.token.encode() in argv


def _terminate(start: JobStart, state: JobState, wait_s: float) -> Progress | None:
    """SIGTERM the sampler; its last record once it has written ``ended`` (or the wait ran out)."""
    assert start.pid is not None
    try:
        os.kill(start.pid, signal.SIGTERM)
    except ProcessLookupError:
        return state.read_progress()
    deadline = time.monotonic() + wait_s
    while True:
        progress = state.read_progress()
        if (progress is not None and progress.ended) or time.monotonic() > deadline:
            return progress
        time.sleep(0.01)


def start_job(
    state: JobState,
    *,
    max_duration_s: float = DEFAULT_MAX_DURATION_S,
    interval_s: float = DEFAULT_INTERVAL_S,
    restart: bool = False,
) -> JobStart:
    """Begin measuring: write the job, launch the detached sampler, return once it samples."""
    if read_machine_cpu() is None:
        raise UsageError(
            "job-wide measuring reads the machine's utilisation from /proc/stat, and there is "
            "none here",
            hint="start/lap/stop need Linux; wrap single commands with 'greengate run' instead",
        )
    try:
        return _start(state, max_duration_s, interval_s, restart)
    except subprocess.TimeoutExpired:
        raise MeasurementError(f"the sampler did not start within {START_TIMEOUT_S:g} s") from None
    except OSError as e:
        # No process or thread left (ulimit -u, EAGAIN), the state's disk full or read-only:
        # the documented failure of `start`, with the machine's own words, never a traceback.
        where = f" ({e.filename})" if e.filename else ""
        raise MeasurementError(
            f"the sampler did not start: {e.strerror or type(e).__name__}{where}",
            hint=f"the job's state lives in {state.directory}; --state DIR puts it elsewhere",
        ) from None


def _start(state: JobState, max_duration_s: float, interval_s: float, restart: bool) -> JobStart:
    state.directory.mkdir(parents=True, exist_ok=True)
    if state.exists():
        previous = state.read_start() if state.job_path.stat().st_size else None
        if previous is not None and sampler_alive(previous):
            if not restart:
                began = datetime.fromtimestamp(previous.started_wall, tz=timezone.utc)
                raise UsageError(
                    f"a job is already being measured in {state.directory} (sampler pid "
                    f"{previous.pid}, started {began:%Y-%m-%d %H:%M:%S} UTC)",
                    hint="end it with 'greengate stop', or pass --restart to discard it",
                )
            _terminate(previous, state, 2.0)
        state.clear()
    token = os.urandom(8).hex()
    job = JobStart(token, time.monotonic(), time.time(), max_duration_s, interval_s)
    state.write_start(job)
    directory = str(state.directory.resolve())
    intermediate = subprocess.Popen(
        [sys.executable, "-m", MODULE, directory, token],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,  # its own session: the step's signals and terminal are not its
        cwd="/",
    )
    intermediate.wait(START_TIMEOUT_S)  # it forks the sampler and exits at once
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        progress = state.read_progress()
        if progress is not None:
            running = state.read_start()
            if progress.ended:
                raise MeasurementError(f"the sampler stopped at once: {progress.ended}")
            return running
        time.sleep(0.01)
    raise MeasurementError(f"the sampler did not start within {START_TIMEOUT_S:g} s")


def _now(mark: Mark) -> Mark:
    """``mark`` carried forward to this instant with a fresh /proc/stat reading."""
    reading, now = read_machine_cpu(), time.monotonic()
    if reading is None:
        return mark
    used = reading - mark.machine
    histogram = mark.histogram.added(now - mark.mono, used.utilisation)
    # RAPL and NVML stay at the sampler's last reading: the counters' state is the sampler's.
    # The lap is cut up to one interval early for them, never counted twice or lost.
    return Mark(now, time.time(), reading, histogram, mark.rapl_joules, mark.gpu_joules)


def check_lap_name(name: str) -> str:
    """A step name as a person reads it: printable, one line, at most 200 characters."""
    name = name.strip()
    if not name or len(name) > 200 or not name.isprintable():
        raise UsageError(
            f"{name[:60]!r} is not a lap name",
            hint="name the step the lap closes, e.g. 'greengate lap build' (1-200 printable "
            "characters)",
        )
    return name


def close_lap(state: JobState, name: str) -> Lap:
    """Close the current lap under ``name``; never waits on the sampler."""
    name = check_lap_name(name)
    start = state.read_start()
    progress = state.read_progress()
    if progress is None:
        raise MeasurementError("the job's sampler never wrote a sample", hint="restart the job")
    if sampler_alive(start) and progress.ended is None:
        lap = Lap(name, _now(progress.mark))
    else:
        lap = Lap(name, progress.mark, _dead(progress))
    state.append_lap(lap)
    return lap


def _dead(progress: Progress) -> str:
    why = {
        None: "it was killed",
        "max-duration": "its --max-duration ran out",
        "stopped": "it was stopped",
    }.get(progress.ended, progress.ended)
    when = wall_time(progress.mark)
    return f"the sampler stopped at {when:%H:%M:%S} UTC ({why}): measured until then"


def current_lap(state: JobState) -> tuple[int, str | None] | None:
    """For ``run`` inside a job: the open lap's number (1-based) and the lap before it."""
    try:
        start = state.read_start()
    except UsageError:
        return None
    if not sampler_alive(start):
        return None
    laps = state.read_laps()
    return len(laps) + 1, laps[-1].name if laps else None


def stop_job(state: JobState, last_lap: str = LAST_LAP) -> JobRecord:
    """End the sampler, close the last lap, and clear the state for the next job."""
    last_lap = check_lap_name(last_lap)
    start = state.read_start()
    problem = None
    if sampler_alive(start):
        progress = _terminate(start, state, max(3 * start.interval_s, 2.0))
        if progress is not None and progress.ended != "stopped":
            problem = "the sampler did not answer stop: measured until its last sample"
    else:
        progress = state.read_progress()
        if progress is not None:
            problem = _dead(progress)
    if progress is None:
        state.clear()
        raise MeasurementError("the job's sampler never wrote a sample: nothing was measured")
    end = progress.mark
    spans: list[LapSpan] = []
    begin = progress.origin
    for lap in state.read_laps():
        mark = lap.mark if lap.mark.mono <= end.mono else end
        spans.append(LapSpan(lap.name, begin, mark, lap.note))
        begin = mark
    if not spans or end.mono - begin.mono >= MIN_LAP_S:
        spans.append(LapSpan(last_lap, begin, end))
    else:
        spans[-1] = replace(spans[-1], end=end)  # laps must add up to the whole job
    state.clear()
    return JobRecord(
        str(state.directory),
        progress.origin,
        end,
        tuple(spans),
        problem,
        progress.rapl_error,
        progress.gpu_error,
        progress.gpu_method,
        progress.gpu_band,
    )
