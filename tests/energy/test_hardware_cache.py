"""The hardware cache: hit without spawning, miss spawns detection, bad files re-detected.

One test runs codecarbon's real detection (about 2 s); the others hand the detector a fake
spawn that writes what the detection process would, so the protocol is tested quickly.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import FAKE_HARDWARE, seed_hardware_cache

from greengate.energy import detect as detect_module
from greengate.energy.hardware import (
    Hardware,
    HardwareDetectionError,
    HardwareDetector,
    cache_dir,
    cache_path,
    hardware_to_json,
    quick_identity,
)

OTHER_HARDWARE = dataclasses.replace(FAKE_HARDWARE, cpu_model="Re-detected CPU", tdp_watts=35.0)


class Spawns:
    """The detection spawn, faked: records each cache path it is given and calls ``write``."""

    def __init__(self, write: Callable[[Path], None] | None = None) -> None:
        self.write = write
        self.calls: list[Path] = []

    def __call__(self, path: Path) -> None:
        self.calls.append(path)
        if self.write is not None:
            self.write(path)


def writes(hardware: Hardware) -> Callable[[Path], None]:
    return lambda path: path.write_text(hardware_to_json(hardware, quick_identity()))


def test_a_seeded_cache_is_used_without_spawning(tmp_path: Path) -> None:
    seed_hardware_cache(tmp_path)
    spawn = Spawns()
    detector = HardwareDetector(tmp_path, spawn=spawn)
    detector.start()
    assert detector.peek() == FAKE_HARDWARE  # known before the command runs
    assert detector.result() == FAKE_HARDWARE
    assert spawn.calls == []


def test_a_missing_cache_runs_codecarbons_detection(tmp_path: Path) -> None:
    directory = tmp_path / "not-yet-created"
    detector = HardwareDetector(directory)
    detector.start()
    assert detector.peek() is None  # the command does not wait for it
    hardware = detector.result()
    path = cache_path(directory, quick_identity())
    written = json.loads(path.read_text())
    assert written["identity"] == quick_identity()
    assert Hardware(**written["hardware"]) == hardware
    assert hardware.threads == os.cpu_count()
    assert hardware.watts_per_thread > 0
    assert [p.name for p in directory.iterdir()] == [path.name]  # no temporary file left
    # The next run is a cache hit.
    again = HardwareDetector(directory)
    again.start()
    assert again.peek() == hardware


@pytest.mark.parametrize(
    "content",
    [
        "",  # an empty file
        "{not json",
        '{"identity": {}}',  # no hardware
        '{"hardware": {"cpu_model": "x"}}',  # fields missing
        '{"error": "codecarbon failed last time"}',  # a stale error is retried, not trusted
    ],
)
def test_a_bad_cache_is_detected_again(tmp_path: Path, content: str) -> None:
    path = cache_path(tmp_path, quick_identity())
    path.write_text(content)
    spawn = Spawns(writes(OTHER_HARDWARE))
    detector = HardwareDetector(tmp_path, spawn=spawn)
    detector.start()
    assert detector.peek() is None
    assert detector.result() == OTHER_HARDWARE
    assert spawn.calls == [path]


def test_a_detection_error_raises(tmp_path: Path) -> None:
    error = json.dumps({"error": "ValueError: no cpuinfo"})
    detector = HardwareDetector(tmp_path, spawn=Spawns(lambda p: p.write_text(error)))
    detector.start()
    with pytest.raises(HardwareDetectionError, match="ValueError: no cpuinfo"):
        detector.result()


def test_an_unreadable_detection_result_raises(tmp_path: Path) -> None:
    detector = HardwareDetector(tmp_path, spawn=Spawns(lambda p: p.write_text('{"identity": {}}')))
    detector.start()
    with pytest.raises(HardwareDetectionError, match="unreadable hardware cache"):
        detector.result()


def test_a_detection_that_never_finishes_times_out(tmp_path: Path) -> None:
    detector = HardwareDetector(tmp_path, timeout=0.1, spawn=Spawns())
    detector.start()
    with pytest.raises(HardwareDetectionError, match=r"did not finish in 100 ms"):
        detector.result()


def test_an_unusable_cache_directory_does_not_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    spawn = Spawns(writes(OTHER_HARDWARE))
    detector = HardwareDetector(tmp_path / "a-file" / "cache", spawn=spawn)  # cannot be created
    detector.start()
    assert detector.result() == OTHER_HARDWARE
    (written,) = spawn.calls
    assert written.name == cache_path(tmp_path, quick_identity()).name
    assert written.parent.is_dir() and tmp_path not in written.parents


def test_the_cache_is_keyed_by_the_machine(tmp_path: Path) -> None:
    identity = quick_identity()
    assert cache_path(tmp_path, identity) == cache_path(tmp_path, dict(identity))
    for key in identity:
        changed = {**identity, key: identity[key] + "-changed"}
        assert cache_path(tmp_path, changed) != cache_path(tmp_path, identity), key


def test_a_cache_of_another_machine_is_not_used(tmp_path: Path) -> None:
    other = {**quick_identity(), "host": "another-host"}
    cache_path(tmp_path, other).write_text(hardware_to_json(FAKE_HARDWARE, other))
    spawn = Spawns(writes(OTHER_HARDWARE))
    detector = HardwareDetector(tmp_path, spawn=spawn)
    detector.start()
    assert detector.result() == OTHER_HARDWARE
    assert len(spawn.calls) == 1


def test_the_detection_process_writes_an_error_instead_of_crashing(tmp_path: Path) -> None:
    def broken() -> Hardware:
        raise RuntimeError("py-cpuinfo exploded")

    target = tmp_path / "hw.json"
    assert detect_module.main(str(target), hardware=broken) == 0
    data = json.loads(target.read_text())
    assert data == {"identity": quick_identity(), "error": "RuntimeError: py-cpuinfo exploded"}
    assert [p.name for p in tmp_path.iterdir()] == ["hw.json"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GREENGATE_CACHE_DIR": "/c/gg", "XDG_CACHE_HOME": "/x"}, "/c/gg"),
        ({"XDG_CACHE_HOME": "/x"}, "/x/greengate"),
        ({"GREENGATE_CACHE_DIR": "", "XDG_CACHE_HOME": "/x"}, "/x/greengate"),
    ],
)
def test_cache_dir(env: dict[str, str], expected: str) -> None:
    assert cache_dir(env) == Path(expected)


def test_cache_dir_defaults_to_the_home_cache() -> None:
    assert cache_dir({}) == Path(os.path.expanduser("~")) / ".cache" / "greengate"


def test_the_tests_never_use_the_home_cache(hardware_cache: Path) -> None:
    assert cache_dir() == hardware_cache


def test_poll_sees_a_detection_finished_while_the_command_runs_and_never_waits(
    tmp_path: Path,
) -> None:
    spawn = Spawns()  # the detection runs on: nothing written yet
    detector = HardwareDetector(tmp_path, spawn=spawn)
    detector.start()
    assert detector.poll() is None
    spawn.calls[0].write_text("{half a fi")  # being written: not yet, and no error
    assert detector.poll() is None
    writes(OTHER_HARDWARE)(spawn.calls[0])
    assert detector.poll() == OTHER_HARDWARE
    assert detector.peek() == OTHER_HARDWARE  # kept, as result() keeps it


def test_a_cache_that_cannot_be_written_costs_only_the_detection(tmp_path: Path) -> None:
    from greengate.energy.hardware import spawn_detection

    path = cache_path(tmp_path, quick_identity())
    path.mkdir()  # the detector's write fails there, as on a full or read-only disk
    timeout = 25.0
    detector = HardwareDetector(tmp_path, timeout=timeout, spawn=spawn_detection)
    began = time.monotonic()
    detector.start()
    hardware = detector.result()  # was: no file ever came, "did not finish in 30 s"
    assert time.monotonic() - began < timeout
    assert hardware.threads == os.cpu_count() and path.is_dir()


def test_a_detector_that_dies_without_a_result_is_known_at_once(tmp_path: Path) -> None:
    import subprocess

    def dies(path: Path) -> int:
        read, write = os.pipe()
        subprocess.run(["/bin/sh", "-c", "exit 1"], stdout=write, check=False)
        os.close(write)
        return read

    detector = HardwareDetector(tmp_path, timeout=20.0, spawn=dies)
    began = time.monotonic()
    detector.start()
    with pytest.raises(HardwareDetectionError, match="ended without a result"):
        detector.result()
    assert time.monotonic() - began < 5
