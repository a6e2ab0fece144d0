"""What the machine is, detected once by codecarbon and cached on disk.

codecarbon's detection takes about 1.8 s here (py-cpuinfo's subprocess, pandas, fuzzy TDP
matching), longer than many CI commands. So the command never waits for it: on a cache miss
a detached process (``python -m greengate.energy.detect``) runs it beside the command and
writes the cache; greengate reads the file when the command is done.

The result also comes back through a pipe, so a cache that cannot be written (a read-only
or full disk, HOME=/nonexistent) costs nothing beyond the detection itself: greengate has
the result the moment the detector ends, and learns at once when it ended without one
(before, it polled for a file that never came until its 30 s ran out).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from greengate.files.cache import cache_dir as cache_dir
from greengate.files.json_text import dump_json, load_json
from greengate.units import format_duration, format_power

CACHE_FORMAT = 1
# codecarbon's constant for a CPU model missing from its TDP table (core/cpu.py).
DEFAULT_WATTS_PER_THREAD = 4.0


@dataclass(frozen=True)
class Hardware:
    """The machine as codecarbon sees it, and where each figure came from."""

    cpu_model: str
    threads: int  # logical CPUs visible here
    socket_threads: int  # threads per socket as the OS reports them (cpuinfo "siblings")
    tdp_watts: float | None  # the socket's TDP from codecarbon's table; None if unknown
    tdp_match: str | None  # the table row that matched
    virtualised: bool  # a hypervisor is visible (cpuinfo flag)
    ram_total_bytes: int
    rapl: bool  # RAPL counters readable

    @property
    def watts_per_thread(self) -> float:
        """Power of one busy hardware thread: socket TDP over the socket's threads."""
        if self.tdp_watts is None:
            return DEFAULT_WATTS_PER_THREAD
        return self.tdp_watts / max(self.socket_threads, 1)

    @property
    def power_source(self) -> str:
        if self.tdp_watts is None:
            return (
                f"codecarbon default {format_power(DEFAULT_WATTS_PER_THREAD)} per thread "
                f"({self.cpu_model!r} is not in its TDP table)"
            )
        return (
            f"codecarbon TDP table: {self.tdp_match!r} {format_power(self.tdp_watts)} "
            f"over {self.socket_threads} threads per socket"
        )


def cpuinfo_fields() -> dict[str, str]:
    """The first processor's block of /proc/cpuinfo (empty where there is none)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break  # the first processor's block is enough
                key, _, value = line.partition(":")
                fields[key.strip()] = value.strip()
    except OSError:
        pass
    return fields


def quick_identity() -> dict[str, str]:
    """Cheap facts that change when the machine or the data changes: the cache key."""
    info = cpuinfo_fields()
    try:
        machine_id = Path("/etc/machine-id").read_text().strip()
    except OSError:
        machine_id = ""
    return {
        "format": str(CACHE_FORMAT),
        "host": platform.node(),
        "machine_id": machine_id,
        "cpu": info.get("model name", ""),
        "threads": str(os.cpu_count() or 1),
        "codecarbon": _codecarbon_data_stamp(),
    }


def _codecarbon_data_stamp() -> str:
    import importlib.util

    spec = importlib.util.find_spec("codecarbon")
    if spec is None or not spec.submodule_search_locations:
        return "absent"
    table = Path(next(iter(spec.submodule_search_locations))) / "data/hardware/cpu_power.csv"
    try:
        st = table.stat()
    except OSError:
        return "no-table"
    return f"{st.st_size}-{int(st.st_mtime)}"


def cache_path(directory: Path, identity: dict[str, str]) -> Path:
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return directory / f"hardware-{digest}.json"


def hardware_to_json(hw: Hardware, identity: dict[str, str]) -> str:
    return dump_json({"identity": identity, "hardware": asdict(hw)}, indent=1)


def _from_json(text: str) -> Hardware:
    data = load_json(text)
    if "error" in data:
        raise HardwareDetectionError(str(data["error"]))
    return Hardware(**data["hardware"])


def _writable_directory(directory: Path) -> bool:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(directory, os.W_OK | os.X_OK)


class HardwareDetectionError(Exception):
    """codecarbon's detection failed; the caller falls back and says so."""


def spawn_detection(path: Path) -> int | None:
    """Start ``python -m greengate.energy.detect PATH`` detached, and return at once: the
    read end of the pipe its stdout is (the result, then end of file), or None."""
    # Double fork through sh so the detector is never our child: greengate's wait4(-1)
    # reaps only the command's tree, and the detector's CPU is not charged to the job.
    # The pipe's read end is not inheritable (PEP 446): the command never holds it.
    read, write = os.pipe()
    try:
        subprocess.run(
            [
                "/bin/sh",
                "-c",
                '"$0" -m greengate.energy.detect "$1" </dev/null 2>/dev/null &',
                sys.executable,
                str(path),
            ],
            stdout=write,
            check=False,
        )
    except OSError:  # no process left to start: the detection is simply not done
        os.close(read)
        return None
    finally:
        os.close(write)
    return read


class HardwareDetector:
    """Starts detection before the command (unless cached) and collects it afterwards.

    ``spawn`` starts the detection that writes the cache file it is given (by default the
    detached ``greengate.energy.detect`` process); ``result`` waits for that file.
    """

    def __init__(
        self,
        directory: Path,
        timeout: float = 30.0,
        spawn: Callable[[Path], int | None] = spawn_detection,
    ) -> None:
        self._directory = directory
        self._spawn = spawn
        self._path: Path | None = None  # the cache file, once start() has identified the machine
        self._timeout = timeout
        self._cached: Hardware | None = None
        self._started = 0.0
        self._pipe: int | None = None  # the detector's stdout: its result, then end of file
        self._said = b""
        self._ended = False  # the detector closed the pipe: all it will say is in _said

    def start(self) -> None:
        """Load the cache, or launch the detached detection process."""
        # Identified here, not in __init__: a run with a runner profile never starts this.
        path = cache_path(self._directory, quick_identity())
        try:
            self._cached = _from_json(path.read_text(encoding="utf-8"))
            return
        except (OSError, ValueError, TypeError, KeyError, HardwareDetectionError):
            pass
        if not _writable_directory(path.parent):
            # A read-only cache (a runner's read-only HOME) must not stop the command: detect
            # into a private temporary directory instead, and again on the next run.
            import tempfile

            with contextlib.suppress(OSError):  # no temporary directory either: the pipe
                path = Path(tempfile.mkdtemp(prefix="greengate-hardware-")) / path.name
        self._path = path
        self._started = time.monotonic()
        self._pipe = self._spawn(path)

    def peek(self) -> Hardware | None:
        """The hardware if already known (cache hit), without waiting."""
        return self._cached

    def poll(self) -> Hardware | None:
        """The hardware if known by now (a cache hit, or the detection has written it),
        never waiting: the stop check's live figure, while detection runs beside the run."""
        if self._cached is None and self._path is not None:
            try:
                text = self._path.read_text(encoding="utf-8")
                self._cached = _from_json(text) if text else None
            except (OSError, ValueError, TypeError, KeyError, HardwareDetectionError):
                pass  # not written yet; result() waits for it and says what went wrong
        if self._cached is None and self._pipe is not None:  # a cache it could not write
            with contextlib.suppress(ValueError, TypeError, KeyError, HardwareDetectionError):
                if self._wait_for_pipe(0.0) and self._said:
                    self._cached = _from_json(self._said.decode("utf-8", "replace"))
        return self._cached

    def result(self) -> Hardware:
        """The detected hardware; raises HardwareDetectionError on failure or timeout."""
        if self._cached is not None:
            return self._cached
        assert self._path is not None, "start() first"
        while True:
            try:
                text = self._path.read_text(encoding="utf-8")
            except OSError:
                text = None
            if not text and self._ended:
                text = self._said.decode("utf-8", "replace")
                if not text:
                    raise HardwareDetectionError(
                        "codecarbon's hardware detection ended without a result"
                    )
            if text:
                try:
                    self._cached = _from_json(text)
                except (ValueError, TypeError, KeyError) as e:
                    raise HardwareDetectionError(f"unreadable hardware cache: {e}") from e
                return self._cached
            if time.monotonic() - self._started > self._timeout:
                raise HardwareDetectionError(
                    "codecarbon's hardware detection did not finish in "
                    f"{format_duration(self._timeout)}"
                )
            self._wait_for_pipe(0.02)

    def _wait_for_pipe(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for the detector's output; True once it has ended."""
        if self._pipe is None:
            time.sleep(seconds)
            return False
        import select

        readable, _, _ = select.select([self._pipe], [], [], seconds)
        if not readable:
            return False
        chunk = os.read(self._pipe, 65536)
        if chunk:
            self._said += chunk
            return False
        os.close(self._pipe)
        self._pipe = None
        self._ended = True
        return True
