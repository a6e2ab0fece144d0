"""Real-process tests of cancellation: signals reach the whole tree, once, and the verdict
survives every sequence a CI runner sends (issue 10, "Cancellation").

greengate runs in a session of its own (``start_new_session``): no controlling terminal,
as on a CI runner, whatever terminal runs the tests. The one terminal test uses a pty.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from factories import assert_valid_verdict

PY = sys.executable
POLICY = "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - max_emissions: 1 g\n"

# A command that ignores SIGINT and SIGTERM, as a stuck build tool does, and says it started.
STUBBORN = """\
import os, pathlib, signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path("command.pid").write_text(str(os.getpid()))
time.sleep(60)
"""


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Gated:
    """``greengate run`` in its own session, its output in files (an orphan holding a pipe
    open must not keep the test waiting)."""

    def __init__(self, tmp_path: Path, *command: str, options: tuple[str, ...] = ()) -> None:
        self.tmp = tmp_path
        (tmp_path / "greengate.yml").write_text(POLICY)
        argv = [PY, "-m", "greengate", "run", "-q", "--intensity", "100", *options, "--"]
        with open(tmp_path / "stderr", "wb") as err:
            self.proc = subprocess.Popen(
                [*argv, *command],
                cwd=tmp_path,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,
            )

    def ready(self, name: str = "command.pid") -> int:
        """Wait until the command wrote its pid file; the pid."""
        path = self.tmp / name

        def written() -> bool:
            assert self.proc.poll() is None, self.stderr()
            return path.exists() and path.read_text() != ""

        wait_for(written, f"{name} (the command starting)")
        return int(path.read_text())

    def stderr(self) -> str:
        return (self.tmp / "stderr").read_text(errors="replace")

    def verdict(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.tmp / "greengate-verdict.json").read_text())
        return data

    def wait(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


# --- the whole tree, once -----------------------------------------------------------------


def test_sigterm_reaches_a_background_child_of_the_command(tmp_path: Path) -> None:
    # Before: only `sh` got the signal; `sleep` outlived greengate.
    run = Gated(tmp_path, "sh", "-c", "sleep 30 & echo $! > command.pid; wait")
    sleeper = run.ready()
    os.kill(run.proc.pid, signal.SIGTERM)
    assert run.wait() == 128 + signal.SIGTERM, run.stderr()
    assert not alive(sleeper), "the command's background child outlived the cancel"
    verdict = run.verdict()
    assert_valid_verdict(verdict)
    assert verdict["command"]["interrupted"] is True


ESCAPEE = """\
import os, pathlib, time
if os.fork() == 0:
    os.setsid()  # leaves the command's process group, as daemons do
    pathlib.Path("escapee.pid").write_text(str(os.getpid()))
    time.sleep(30)
    os._exit(0)
while not pathlib.Path("escapee.pid").exists():
    time.sleep(0.01)
pathlib.Path("command.pid").write_text(str(os.getpid()))
time.sleep(30)
"""


def test_a_descendant_that_left_the_process_group_is_signalled_too(tmp_path: Path) -> None:
    (tmp_path / "command.py").write_text(ESCAPEE)
    run = Gated(tmp_path, PY, "command.py")
    run.ready()
    escapee = int((tmp_path / "escapee.pid").read_text())
    os.kill(run.proc.pid, signal.SIGTERM)
    assert run.wait() == 128 + signal.SIGTERM, run.stderr()
    assert not alive(escapee), "a descendant in its own session outlived the cancel"


COUNTS_SIGINT = """\
import os, pathlib, signal, sys, time
def counter(name):
    got = []
    def count(signum, frame):
        got.append(signum)
        pathlib.Path(name).write_text(str(len(got)))
    signal.signal(signal.SIGINT, count)
    return got
if os.fork() == 0:
    os.setsid()
    got = counter("escapee.count")
    pathlib.Path("escapee.pid").write_text(str(os.getpid()))
else:
    got = counter("command.count")
    while not pathlib.Path("escapee.pid").exists():
        time.sleep(0.01)
    pathlib.Path("command.pid").write_text(str(os.getpid()))
deadline = time.monotonic() + 30
while not got and time.monotonic() < deadline:
    time.sleep(0.01)
time.sleep(1.0)  # a second delivery would arrive in this second
sys.exit(0)
"""


def test_ctrl_c_at_a_terminal_reaches_each_process_exactly_once(tmp_path: Path) -> None:
    # The terminal sends SIGINT to its foreground process group, greengate and the command
    # alike; greengate must not send it again, but must send it to what left the group.
    (tmp_path / "greengate.yml").write_text(POLICY)
    (tmp_path / "command.py").write_text(COUNTS_SIGINT)
    argv = [PY, "-m", "greengate", "run", "-q", "--intensity", "100", "--", PY, "command.py"]
    pid, master = pty.fork()
    if pid == 0:  # the child: a session leader whose terminal is the pty, in its foreground
        os.chdir(tmp_path)
        os.execv(PY, argv)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "command.pid").exists():
            assert time.monotonic() < deadline, output.decode(errors="replace")
            if select.select([master], [], [], 0.05)[0]:
                output += os.read(master, 4096)
        os.write(master, b"\x03")  # Ctrl-C, as typed
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: every process of the terminal has closed it
                break
            if not chunk:
                break
            output += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(master)
    assert (tmp_path / "command.count").read_text() == "1", output
    assert (tmp_path / "escapee.count").read_text() == "1", output
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGINT, output
    verdict = json.loads((tmp_path / "greengate-verdict.json").read_text())
    assert verdict["command"]["interrupted"] is True


# --- the verdict survives -----------------------------------------------------------------


def test_a_command_ignoring_sigterm_gets_a_verdict_at_once_and_is_killed_after_the_grace(
    tmp_path: Path,
) -> None:
    (tmp_path / "command.py").write_text(STUBBORN)
    run = Gated(tmp_path, PY, "command.py", options=("--grace-period", "3"))
    command = run.ready()
    os.kill(run.proc.pid, signal.SIGTERM)
    sent = time.monotonic()
    path = tmp_path / "greengate-verdict.json"
    wait_for(path.exists, "the interrupted verdict", timeout=2.5)
    assert run.proc.poll() is None, "the verdict must come before the tree is gone"
    early = run.verdict()
    assert_valid_verdict(early)
    assert (early["status"], early["command"]["interrupted"]) == ("error", True)
    assert "cancelled by SIGTERM while the command was running" in early["reasons"][0]

    assert run.wait() == 128 + signal.SIGTERM, run.stderr()
    assert time.monotonic() - sent >= 3 - 0.1  # the grace period was given
    assert not alive(command)
    final = run.verdict()
    assert_valid_verdict(final)
    assert final["command"]["interrupted"] is True
    assert final["measurement"] is not None  # measured up to the kill
    assert any("grace period of 3 s" in note for note in final["measurement"]["notes"])


CHECKS_THE_VERDICT = """\
import json, os, pathlib, signal, sys, time
def on_term(signum, frame):
    verdict = pathlib.Path("greengate-verdict.json")
    seen = json.loads(verdict.read_text())["command"]["interrupted"] if verdict.exists() else None
    pathlib.Path("seen").write_text(repr(seen))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
pathlib.Path("command.pid").write_text(str(os.getpid()))
time.sleep(60)
"""


def test_the_interrupted_verdict_is_written_before_the_signal_is_forwarded(
    tmp_path: Path,
) -> None:
    # So that whatever the command does on the signal, and whenever the runner kills
    # greengate after it, a verdict is already there.
    (tmp_path / "command.py").write_text(CHECKS_THE_VERDICT)
    run = Gated(tmp_path, PY, "command.py")
    run.ready()
    os.kill(run.proc.pid, signal.SIGTERM)
    assert run.wait() == 128 + signal.SIGTERM, run.stderr()
    assert (tmp_path / "seen").read_text() == "True"


def test_the_runners_cancel_sequence_always_leaves_an_interrupted_verdict(tmp_path: Path) -> None:
    # GitHub's runner and the Azure agent: SIGINT, SIGTERM 7.5 s later, SIGKILL 2.5 s after
    # that (ProcessInvoker.cs), against a command that ignores both. Default grace period.
    (tmp_path / "command.py").write_text(STUBBORN)
    run = Gated(tmp_path, PY, "command.py")
    command = run.ready()
    os.kill(run.proc.pid, signal.SIGINT)
    start = time.monotonic()
    for at, sig in ((7.5, signal.SIGTERM), (10.0, signal.SIGKILL)):
        while run.proc.poll() is None and time.monotonic() - start < at:
            time.sleep(0.02)
        if run.proc.poll() is None:
            run.proc.send_signal(sig)
    run.wait()
    verdict = run.verdict()
    assert_valid_verdict(verdict)
    assert verdict["command"]["interrupted"] is True
    assert verdict["command"]["exit_code"] == 128 + signal.SIGINT
    assert not alive(command), "greengate kills the tree before the runner kills greengate"


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_a_bad_grace_period_is_a_usage_error(tmp_path: Path, value: str) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    done = subprocess.run(
        [PY, "-m", "greengate", "run", "--grace-period", value, "--", PY, "-c", "pass"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "--grace-period" in done.stderr
    assert not (tmp_path / "greengate-verdict.json").exists()
