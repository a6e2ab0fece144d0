"""The job's state directory: who the sampler is, what it has measured, where the laps fall.

Files (each small; written atomically or appended in one write):

- ``job.json``: the sampler's pid and token, when the job started, its limits;
- ``progress.json``: the sampler's cumulative record, rewritten every interval;
- ``laps.jsonl``: one line per ``greengate lap``, the cumulative record at that moment.

Times are CLOCK_MONOTONIC (shared by every process on the machine, immune to clock steps)
beside the wall clock at the same instant, for the verdict's timestamps.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from greengate.energy.procstat import MachineCpu
from greengate.errors import UsageError
from greengate.files.atomic import write_text_atomic
from greengate.files.json_text import dump_json, load_json
from greengate.job.histogram import UtilisationHistogram
from greengate.job.location import JOB_FILE

STATE_VERSION = 1
PROGRESS_FILE, LAPS_FILE = "progress.json", "laps.jsonl"


@dataclass(frozen=True)
class JobStart:
    """``job.json``: written by ``start`` before the sampler runs."""

    token: str  # names this job's sampler in its argv, so a reused pid is never taken for it
    started_mono: float
    started_wall: float
    max_duration_s: float
    interval_s: float
    pid: int | None = None  # the sampler, once it runs


@dataclass(frozen=True)
class Mark:
    """A point in the job: the cumulative record at a moment."""

    mono: float
    wall: float
    machine: MachineCpu
    histogram: UtilisationHistogram
    rapl_joules: float | None = None  # the RAPL packages since start; None: no counter read
    gpu_joules: float | None = None  # every GPU since start (NVML); None: no GPU followed

    def to_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "mono": self.mono,
            "wall": self.wall,
            "machine": [self.machine.busy_seconds, self.machine.total_seconds],
            "histogram": self.histogram.to_json(),
        }
        if self.rapl_joules is not None:
            data["rapl_joules"] = self.rapl_joules
        if self.gpu_joules is not None:
            data["gpu_joules"] = self.gpu_joules
        return data

    @classmethod
    def from_json(cls, data: object) -> Mark:
        if not isinstance(data, dict):
            raise ValueError("a mark is a mapping")
        busy, total = data["machine"]
        return cls(
            float(data["mono"]),
            float(data["wall"]),
            MachineCpu(float(busy), float(total)),
            UtilisationHistogram.from_json(data["histogram"]),
            None if data.get("rapl_joules") is None else float(data["rapl_joules"]),
            None if data.get("gpu_joules") is None else float(data["gpu_joules"]),
        )


@dataclass(frozen=True)
class Progress:
    """``progress.json``: the sampler's latest mark; ``ended`` says why it stopped, if it did."""

    origin: Mark  # the sampler's first reading: where the job's first lap begins
    mark: Mark
    samples: int
    ended: str | None = None  # "stopped", "max-duration", "restarted", "error: ..."
    rapl_error: str | None = None  # RAPL counters were there but could not be followed
    gpu_error: str | None = None  # GPUs were there but NVML could not follow them
    gpu_method: str | None = None  # how NVML's figure is made: counter or power readings
    gpu_band: tuple[float, float] | None = None  # its band, as fractions of the figure


@dataclass(frozen=True)
class Lap:
    """A lap boundary as ``greengate lap`` wrote it."""

    name: str
    mark: Mark
    note: str | None = None  # e.g. the sampler was not running: the lap ends at its last sample


class JobState:
    """One job's state directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    @property
    def job_path(self) -> Path:
        return self.directory / JOB_FILE

    def exists(self) -> bool:
        return self.job_path.is_file()

    def write_start(self, start: JobStart) -> None:
        """Record the job (again, with the pid once the sampler runs)."""
        data = {"version": STATE_VERSION, **vars(start)}
        write_text_atomic(self.job_path, dump_json(data))

    def read_start(self) -> JobStart:
        """The job, or a UsageError saying that no ``greengate start`` ran here."""
        try:
            data = load_json(self.job_path.read_text(encoding="utf-8"))
            return JobStart(
                token=str(data["token"]),
                started_mono=float(data["started_mono"]),
                started_wall=float(data["started_wall"]),
                max_duration_s=float(data["max_duration_s"]),
                interval_s=float(data["interval_s"]),
                pid=None if data.get("pid") is None else int(data["pid"]),
            )
        except FileNotFoundError:
            raise UsageError(
                f"no job was started here: {self.job_path} does not exist",
                hint="run 'greengate start' as the job's first step (with the same --state)",
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UsageError(
                f"{self.job_path} is not greengate's job state ({e})",
                hint="run 'greengate start --restart' to begin a new job",
            ) from None

    def write_progress(self, progress: Progress) -> None:
        data: dict[str, object] = {
            "origin": progress.origin.to_json(),
            "mark": progress.mark.to_json(),
            "samples": progress.samples,
        }
        if progress.ended is not None:
            data["ended"] = progress.ended
        if progress.rapl_error is not None:
            data["rapl_error"] = progress.rapl_error
        if progress.gpu_error is not None:
            data["gpu_error"] = progress.gpu_error
        if progress.gpu_method is not None:
            data["gpu_method"] = progress.gpu_method
        if progress.gpu_band is not None:
            data["gpu_band"] = list(progress.gpu_band)
        write_text_atomic(self.directory / PROGRESS_FILE, dump_json(data))

    def read_progress(self) -> Progress | None:
        """The sampler's latest record; None when it wrote none (it never ran)."""
        try:
            data = load_json((self.directory / PROGRESS_FILE).read_text(encoding="utf-8"))
            return Progress(
                Mark.from_json(data["origin"]),
                Mark.from_json(data["mark"]),
                int(data["samples"]),
                data.get("ended"),
                data.get("rapl_error"),
                data.get("gpu_error"),
                data.get("gpu_method"),
                _band(data.get("gpu_band")),
            )
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise UsageError(f"{self.directory / PROGRESS_FILE} is damaged ({e})") from None

    def append_lap(self, lap: Lap) -> None:
        """One line, one write(2) with O_APPEND: two laps at once cannot interleave."""
        line = dump_json({"name": lap.name, "mark": lap.mark.to_json(), "note": lap.note})
        fd = os.open(self.directory / LAPS_FILE, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)

    def read_laps(self) -> tuple[Lap, ...]:
        """The laps in the order they were closed; a torn last line (a killed lap) is skipped."""
        try:
            text = (self.directory / LAPS_FILE).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ()
        laps = []
        for line in text.splitlines():
            try:
                data = load_json(line)
                laps.append(Lap(str(data["name"]), Mark.from_json(data["mark"]), data.get("note")))
            except (ValueError, KeyError, TypeError):
                continue
        return tuple(sorted(laps, key=lambda lap: lap.mark.mono))

    def clear(self) -> None:
        """Remove the previous job's files (not the directory: the user may have chosen it)."""
        for name in (JOB_FILE, PROGRESS_FILE, LAPS_FILE):
            with contextlib.suppress(FileNotFoundError):
                (self.directory / name).unlink()


def _band(value: object) -> tuple[float, float] | None:
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"gpu_band {value!r} is not [low, high]")
    return float(value[0]), float(value[1])
