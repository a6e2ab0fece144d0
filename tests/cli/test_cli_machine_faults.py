"""Nothing lost whatever the machine does (issue 20): a verdict path that cannot be written
with the ledger on, a current directory deleted under greengate. Real processes."""

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
from collections.abc import Iterator
from pathlib import Path

import pytest
from factories import assert_valid_verdict

PY = sys.executable
POLICY = "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - max_emissions: 1 g\n"


def greengate(
    cwd: Path, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "greengate", *argv],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _runs(ledger: Path) -> int:
    with sqlite3.connect(ledger) as db:
        count: int = db.execute("SELECT count(*) FROM runs").fetchone()[0]
    return count


@pytest.mark.parametrize("code", [0, 5])
def test_an_unwritable_verdict_path_with_the_ledger_on_is_the_users_error(
    tmp_path: Path, code: int
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    ledger = tmp_path / "runs.db"
    done = greengate(
        tmp_path,
        "run",
        "--verdict",
        str(tmp_path / "no-such-dir" / "v.json"),
        "--",
        "sh",
        "-c",
        f"exit {code}",
        env={"GREENGATE_LEDGER": str(ledger)},
    )
    # As with the ledger off: the command's failure wins; a pass without its verdict is 3.
    assert done.returncode == (code or 3), done.stderr
    assert f"cannot write the verdict to {tmp_path / 'no-such-dir' / 'v.json'}" in done.stderr
    assert "a bug in greengate" not in done.stderr and "internal error" not in done.stderr
    assert _runs(ledger) == 1  # recorded all the same


def test_a_deleted_current_directory_still_runs_the_command(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yml"
    policy.write_text(POLICY)
    gone = tmp_path / "gone"
    gone.mkdir()
    script = (
        f"import os, subprocess, sys; os.chdir({str(gone)!r}); os.rmdir({str(gone)!r}); "
        f"sys.exit(subprocess.run([sys.executable, '-m', 'greengate', 'run', '--policy', "
        f"{str(policy)!r}, '--', 'sh', '-c', 'echo ran; exit 5'], "
        "env={**os.environ, 'GREENGATE_LEDGER': 'off'}).returncode)"
    )
    done = subprocess.run(
        [PY, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 5, done.stderr
    assert "ran" in done.stdout
    assert "internal error" not in done.stderr
    assert "cannot write the verdict to greengate-verdict.json" in done.stderr


@pytest.fixture
def mute_ledger() -> Iterator[tuple[str, threading.Event]]:
    """A PostgreSQL URL whose server accepts connections and never says a word."""
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

    threading.Thread(target=serve, daemon=True).start()
    yield f"postgresql://gg@127.0.0.1:{server.getsockname()[1]}/gg", accepted
    server.close()
    for conn in held:
        conn.close()


@pytest.mark.parametrize("verb", ["check", "stop"])
def test_sigterm_while_the_ledger_hangs_leaves_a_verdict(
    tmp_path: Path, mute_ledger: tuple[str, threading.Event], verb: str
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    off = {"GREENGATE_LEDGER": "off"}
    if verb == "check":
        made = greengate(tmp_path, "run", "--verdict", "made.json", "--", PY, "-c", "pass", env=off)
        assert made.returncode == 0, made.stderr
        argv = ["check", "-q", "--measurement", "made.json"]
    else:
        started = greengate(tmp_path, "start", "--interval", "0.1s", env=off)
        assert started.returncode == 0, started.stderr
        argv = ["stop", "-q"]
    url, accepted = mute_ledger
    with open(tmp_path / "err", "wb") as err:
        proc = subprocess.Popen(
            [PY, "-m", "greengate", *argv],
            cwd=tmp_path,
            env={**os.environ, "GREENGATE_LEDGER": url},
            stderr=err,
            start_new_session=True,
        )
        try:
            assert accepted.wait(30), "greengate never reached the ledger"
            time.sleep(0.2)  # it is waiting for the server's answer now
            proc.send_signal(signal.SIGTERM)
            sent = time.monotonic()
            code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    stderr = (tmp_path / "err").read_text()
    assert code == 128 + signal.SIGTERM, stderr
    assert time.monotonic() - sent < 5
    data = json.loads((tmp_path / "greengate-verdict.json").read_text())
    assert_valid_verdict(data)
    assert data["status"] == "error" and data["measurement"] is not None
    assert "cancelled by SIGTERM" in data["reasons"][0]
