"""Files a user names: only regular files are read, every read is bounded, nothing hangs.

Real FIFOs, devices and sockets, and real ``greengate`` processes with a timeout: before
issue 10 a FIFO as the policy blocked ``open`` forever and ``/dev/zero`` as a measurement
was read until memory ran out.
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Greengate

from greengate.files.user_file import UserFileError, append_user_file, read_user_file

POLICY = "version: 1\nbudgets:\n  - max_emissions: 1 kg\n"


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yml"
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.listen()
    yield path
    server.close()


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_user_file(str(path), limit=100) == b"x" * 100


def test_a_file_over_the_bound_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 101)
    with pytest.raises(UserFileError, match="larger than 100 bytes") as e:
        read_user_file(str(path), limit=100)
    assert e.value.problem == "too-large"


def test_a_fifo_is_refused_at_once(fifo: Path) -> None:
    # No writer ever opens the FIFO: a blocking open() would wait for ever.
    with pytest.raises(UserFileError, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_user_file(str(fifo), limit=100)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_a_device_is_refused(device: str) -> None:
    with pytest.raises(UserFileError, match="is a character device, not a regular file"):
        read_user_file(device, limit=1 << 20)


def test_a_socket_is_refused(unix_socket: Path) -> None:
    with pytest.raises(UserFileError, match="is a socket, not a regular file"):
        read_user_file(str(unix_socket), limit=100)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UserFileError, match="is a directory, not a regular file"):
        read_user_file(str(tmp_path), limit=100)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(UserFileError, match="no such file") as e:
        read_user_file(str(tmp_path / "nope"), limit=100)
    assert e.value.missing


def test_appending_to_a_fifo_does_not_block(fifo: Path) -> None:
    with pytest.raises(UserFileError, match="FIFO"):
        append_user_file(str(fifo), "x\n")


def test_appending_creates_and_appends(tmp_path: Path) -> None:
    path = tmp_path / "out"
    append_user_file(str(path), "a\n")
    append_user_file(str(path), "b\n")
    assert path.read_text() == "a\nb\n"


# --- through the CLI, in real processes ----------------------------------------------------


def test_a_fifo_policy_is_a_located_exit_2(greengate: Greengate, fifo: Path) -> None:
    done = greengate("validate", str(fifo), timeout=20)
    assert done.returncode == 2
    assert f"{fifo}: is a FIFO (named pipe), not a policy file" in done.stderr


def test_a_device_as_the_policy_is_refused(greengate: Greengate) -> None:
    done = greengate("validate", "/dev/zero", timeout=20)
    assert done.returncode == 2
    assert "/dev/zero: is a character device, not a policy file" in done.stderr


def test_dev_zero_as_a_measurement_is_refused(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    done = greengate("check", "--measurement", "/dev/zero", timeout=20)
    assert done.returncode == 2, done.stderr
    assert "/dev/zero: is a character device, not a regular file" in done.stderr


def test_a_fifo_measurement_is_refused(greengate: Greengate, tmp_path: Path, fifo: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    done = greengate("check", "--measurement", str(fifo), timeout=20)
    assert done.returncode == 2, done.stderr
    assert "FIFO" in done.stderr


def test_a_fifo_to_import_is_refused(greengate: Greengate, tmp_path: Path, fifo: Path) -> None:
    ledger = tmp_path / "ledger.db"
    done = greengate("ledger", "import", str(fifo), "--ledger", str(ledger), timeout=20)
    assert done.returncode == 2, done.stderr
    assert "FIFO" in done.stderr


def test_a_fifo_step_summary_does_not_hang_the_run(
    greengate: Greengate, tmp_path: Path, fifo: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(fifo), "GREENGATE_INTENSITY": "300"}
    done = greengate("run", "--", "true", env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    assert "cannot write the job summary (GITHUB_STEP_SUMMARY)" in done.stderr
    assert "FIFO" in done.stderr
    assert done.verdict()["status"] == "pass"


def test_a_verdict_written_to_a_device_leaves_the_device_alone(tmp_path: Path) -> None:
    # Before: the atomic writer renamed its temporary file over the target, so
    # ``--verdict /dev/null`` as root replaced the machine's /dev/null with a regular file.
    from greengate.files.atomic import write_text_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        write_text_atomic(fifo, "verdict\n")
        assert os.read(reader, 100) == b"verdict\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # a device takes the same path as a FIFO


def test_a_verdict_to_a_fifo_nobody_reads_fails_at_once(tmp_path: Path) -> None:
    from greengate.files.atomic import write_text_atomic

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        write_text_atomic(fifo, "verdict\n")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
