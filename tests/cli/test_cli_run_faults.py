"""Nothing is lost (issue 10): whatever fails after the command ended, its exit code and a
verdict come out. Real processes: bytes that are not UTF-8 in argv and branch, closed and
broken stdout, a bug after the command, and a ledger that accepts and never answers."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from factories import assert_valid_verdict

from greengate.ledger.storable import storable

PY = sys.executable
POLICY = "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - max_emissions: 1 g\n"
GREENGATE = [PY, "-m", "greengate", "run", "--intensity", "100"]


@pytest.fixture
def here(tmp_path: Path) -> Path:
    (tmp_path / "greengate.yml").write_text(POLICY)
    return tmp_path


def run(cwd: Path, *argv: str | bytes, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [*GREENGATE, *argv], cwd=cwd, capture_output=True, timeout=60, check=False, **kw
    )


def verdict(cwd: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((cwd / "greengate-verdict.json").read_text("utf-8"))
    assert_valid_verdict(data)
    return data


# --- bytes that are not UTF-8 -------------------------------------------------------------


def test_an_argument_that_is_not_utf8_keeps_the_exit_code_and_the_verdict(here: Path) -> None:
    done = run(here, "--", "sh", "-c", b"exit 4 #\xff")
    assert done.returncode == 4, done.stderr
    data = verdict(here)
    assert data["command"]["exit_code"] == 4
    assert data["command"]["argv"][2] == "exit 4 #\ufffd"
    assert data["undecodable"] == {"/command/argv/2": "ZXhpdCA0ICP/"}  # b"exit 4 #\xff"


def test_a_branch_that_is_not_utf8_is_recorded_in_verdict_and_ledger(here: Path) -> None:
    env = {**os.environb, b"GREENGATE_BRANCH": b"feat/\xff", b"GREENGATE_LEDGER": b"l.db"}
    done = run(here, "--", PY, "-c", "pass", env=env)
    assert done.returncode == 0, done.stderr
    data = verdict(here)
    assert data["context"]["branch"] == "feat/\ufffd"
    assert "/context/branch" in data["undecodable"]
    with sqlite3.connect(here / "l.db") as db:
        assert db.execute("SELECT branch FROM runs").fetchall() == [("feat/\\xff",)]


@pytest.mark.skipif(
    not os.environ.get("GREENGATE_TEST_POSTGRES_URL"),
    reason="GREENGATE_TEST_POSTGRES_URL is not set (.ci/run sets it)",
)
def test_a_branch_that_is_not_utf8_is_recorded_in_postgres(here: Path) -> None:
    import psycopg

    url = os.environ["GREENGATE_TEST_POSTGRES_URL"]
    branch = f"feat/{uuid.uuid4().hex}/".encode() + b"\xff"
    env = {**os.environb, b"GREENGATE_BRANCH": branch, b"GREENGATE_LEDGER": url.encode()}
    done = run(here, "--", PY, "-c", "pass", env=env)
    assert done.returncode == 0, done.stderr
    assert verdict(here)["status"] == "pass"
    stored = branch[:-1].decode() + "\\xff"
    with psycopg.connect(url) as db:
        rows = db.execute("SELECT count(*) FROM runs WHERE branch = %s", (stored,)).fetchone()
    assert rows == (1,)


def test_storable_text_keeps_valid_text_and_escapes_bad_bytes() -> None:
    assert storable("feat/ünï ✓") == "feat/ünï ✓"
    assert storable(b"feat/\xff".decode("utf-8", "surrogateescape")) == "feat/\\xff"
    assert storable(7) == 7 and storable(None) is None


# --- greengate's own stdout ---------------------------------------------------------------


def test_a_closed_stdout_is_not_greengates_error(here: Path) -> None:
    done = subprocess.run(
        ["sh", "-c", 'exec "$@" >&-', "sh", *GREENGATE, "--", "sh", "-c", "exit 5"],
        cwd=here,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 5, done.stderr
    assert verdict(here)["command"]["exit_code"] == 5
    assert b"internal error" not in done.stderr


def test_a_broken_stdout_is_not_greengates_error(here: Path) -> None:
    with subprocess.Popen(
        [*GREENGATE, "--", PY, "-c", "pass"], cwd=here, stdout=subprocess.PIPE
    ) as proc:
        assert proc.stdout is not None
        proc.stdout.close()  # the reader is gone before greengate prints its summary
        code = proc.wait(timeout=60)
    assert code == 0
    assert verdict(here)["status"] == "pass"


# --- a fault after the command ------------------------------------------------------------

# Runs greengate with one step after the command replaced by a failing one: any exception
# there, wherever it is raised, must keep the command's exit code and leave a verdict.
FAULTY = """\
import importlib, sys
module, _, name = sys.argv[1].rpartition(".")
def broken(*args, **kwargs):
    raise RuntimeError("injected fault")
setattr(importlib.import_module(module), name, broken)
from greengate.cli import main
sys.argv = ["greengate", *sys.argv[2:]]
sys.exit(main())
"""


# The flow imports the history step where it uses it (start-up), so it is replaced there.
@pytest.mark.parametrize(
    "step", ["greengate.gate.recording.judge_and_record", "greengate.gate.flow.grid_notes"]
)
@pytest.mark.parametrize("command_code", [0, 4])
def test_a_fault_after_the_command_keeps_its_exit_code(
    here: Path, step: str, command_code: int
) -> None:
    (here / "faulty.py").write_text(FAULTY)
    argv = [PY, "faulty.py", step, *GREENGATE[3:], "--", "sh", "-c", f"exit {command_code}"]
    done = subprocess.run(argv, cwd=here, capture_output=True, timeout=60, check=False)
    assert done.returncode == (command_code or 3), done.stderr
    stderr = done.stderr.decode()
    assert f"the command's exit code {command_code} is kept" in stderr
    assert "Traceback" not in stderr
    data = verdict(here)
    assert data["status"] == "error"
    assert data["command"]["exit_code"] == command_code
    assert "RuntimeError: injected fault" in data["reasons"][0]


# --- a ledger that accepts and never answers -------------------------------------------------


@pytest.fixture
def mute_server() -> Iterator[tuple[int, threading.Event]]:
    """A loopback TCP server that accepts connections and never says a word."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            accepted.set()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], accepted
    server.close()
    for conn in held:
        conn.close()


def test_sigterm_while_the_ledger_hangs_leaves_a_verdict(
    here: Path, mute_server: tuple[int, threading.Event]
) -> None:
    port, accepted = mute_server
    env = {**os.environ, "GREENGATE_LEDGER": f"postgresql://gg@127.0.0.1:{port}/gg"}
    with open(here / "err", "wb") as err:
        proc = subprocess.Popen(
            [*GREENGATE, "-q", "--", PY, "-c", "pass"],
            cwd=here,
            env=env,
            stderr=err,
            start_new_session=True,
        )
        try:
            assert accepted.wait(30), "greengate never reached the ledger"
            time.sleep(0.2)  # it is waiting for the server's answer now
            assert proc.poll() is None
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    stderr = (here / "err").read_text()
    assert code == 128 + signal.SIGTERM, stderr
    assert time.monotonic() - sent < 5, "the hung ledger step was not abandoned"
    data = verdict(here)
    assert data["status"] == "error"
    assert data["command"]["exit_code"] == 0  # the command itself succeeded
    assert data["measurement"] is not None  # the verdict made before the ledger step
    assert "cancelled by SIGTERM after the command ended" in data["reasons"][0]
