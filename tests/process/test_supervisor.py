"""Real-process tests of the supervisor: exit codes, signals, orphans, short-lived children."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from greengate.process.supervisor import TreeSample, supervise

PY = sys.executable


def burn_code(seconds: float) -> str:
    return (
        f"import time\ns = time.process_time()\nwhile time.process_time() - s < {seconds}: pass\n"
    )


def supervise_isolated(command_code: str, tmp_path: Path) -> list[str]:
    """supervise() a Python snippet inside a fresh interpreter, so lingering orphans stay
    isolated from this test process; returns [seconds, lingering, cpu_seconds, exit_code]."""
    (tmp_path / "command.py").write_text(command_code)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys, time\n"
        "from greengate.process.supervisor import supervise\n"
        "t = time.monotonic()\n"
        f"r = supervise([sys.executable, {str(tmp_path / 'command.py')!r}])\n"
        "line = f'{time.monotonic() - t} {r.usage.lingering} {r.usage.cpu_seconds} '\n"
        "line += str(r.outcome.exit_code)\n"
        f"open({str(tmp_path / 'out')!r}, 'w').write(line)\n"
    )
    # No pipes: a lingering daemon would hold them open and make us wait for it.
    subprocess.run([PY, str(probe)], stdout=subprocess.DEVNULL, timeout=60, check=True)
    return (tmp_path / "out").read_text().split()


def test_exit_code_passes_through() -> None:
    assert supervise([PY, "-c", "raise SystemExit(7)"]).outcome.exit_code == 7
    assert supervise([PY, "-c", "pass"]).outcome.exit_code == 0


def test_killed_by_signal_gives_128_plus_n() -> None:
    result = supervise([PY, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"])
    assert result.outcome.exit_code == 128 + signal.SIGKILL
    assert result.outcome.signal == signal.SIGKILL
    assert not result.outcome.interrupted


def test_not_found_is_127_and_not_executable_is_126(tmp_path: Path) -> None:
    missing = supervise(["greengate-no-such-command-xyz"])
    assert missing.outcome.exit_code == 127
    assert missing.start_error == "command not found"
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    denied = supervise([str(script)])
    assert denied.outcome.exit_code == 126
    assert denied.start_error is not None and "cannot be executed" in denied.start_error


def test_short_lived_children_are_accounted_exactly() -> None:
    # Twenty children of 0.1 CPU-s each, far shorter than any sampling interval.
    code = (
        "import subprocess, sys\n"
        f"child = {burn_code(0.1)!r}\n"
        "ps = [subprocess.Popen([sys.executable, '-c', child]) for _ in range(20)]\n"
        "[p.wait() for p in ps]\n"
    )
    result = supervise([PY, "-c", code])
    assert result.outcome.exit_code == 0
    assert result.usage.cpu_seconds >= 20 * 0.1
    assert result.usage.cpu_seconds < 20 * 0.1 + 3.0  # interpreter start-ups, not more


def test_children_their_own_parent_reaps_are_counted() -> None:
    # issue 19: sh reaps its own children, so counting greengate's reaps said "1 process".
    # Each child lives for many sampling intervals (0.05 s at the start), so each is seen.
    script = "sleep 0.6 & sleep 0.6 & sleep 0.6 & sleep 0.6 & wait"
    result = supervise(["sh", "-c", script])
    assert result.outcome.exit_code == 0
    assert result.usage.processes == 5  # sh and its four sleeps
    alone = supervise(["sleep", "0.2"])
    assert alone.usage.processes == 1


def test_double_forked_orphan_is_reaped_and_counted(tmp_path: Path) -> None:
    # The grandchild burns 0.5 CPU-s after its parent exited; the command never waits for
    # it (it cannot: not its child), but reads a pipe only the grandchild still holds open,
    # so it ends after the grandchild, however loaded the machine.
    code = (
        "import os, time\n"
        "r, w = os.pipe()\n"
        "if os.fork() == 0:\n"
        "    if os.fork() == 0:\n"
        + textwrap.indent(burn_code(0.5), " " * 8)
        + "        os._exit(0)\n"
        "    os._exit(0)\n"
        "os.close(w)\n"
        "os.wait()\n"
        "os.read(r, 1)\n"
    )
    _, lingering, cpu, code_ = supervise_isolated(code, tmp_path)
    assert code_ == "0"
    assert lingering == "0"
    assert float(cpu) >= 0.5


def test_lingering_daemon_is_not_waited_for_but_accounted(tmp_path: Path) -> None:
    # The parent waits for the daemon's 0.4 CPU-s, not a wall time: on a loaded machine a
    # second of wall time may hold less than that.
    code = (
        "import os, time\n"
        "r, w = os.pipe()\n"
        "if os.fork() == 0:\n"
        + textwrap.indent(burn_code(0.4), " " * 4)
        + "    os.write(w, b'x')\n    time.sleep(30)\n    os._exit(0)\n"
        "os.read(r, 1)\n"
    )
    elapsed, lingering, cpu, _ = supervise_isolated(code, tmp_path)
    assert float(elapsed) < 10  # did not wait 30 s for the daemon
    assert lingering == "1"
    assert float(cpu) >= 0.4


def test_memory_of_the_tree_is_sampled() -> None:
    code = (
        "b = bytearray(200 * 1024 * 1024)\nimport time\n"
        "for i in range(0, len(b), 4096): b[i] = 1\ntime.sleep(1.5)"
    )
    result = supervise([PY, "-c", code], sample_interval=0.2)
    assert result.usage.peak_rss_bytes >= 200 * 1024 * 1024
    assert 50 * 1024 * 1024 < result.usage.mean_rss_bytes <= result.usage.peak_rss_bytes


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_to_greengate_is_forwarded(tmp_path: Path, sig: signal.Signals) -> None:
    # The command records the signal it got, then exits 0; greengate passes on 128+N.
    marker = tmp_path / "got"
    code = (
        "import signal, sys, time, pathlib\n"
        f"p = pathlib.Path({str(marker)!r})\n"
        "def h(n, f):\n    p.write_text(str(n)); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, h); signal.signal(signal.SIGTERM, h)\n"
        "p.write_text('ready')\n"
        "time.sleep(30)\n"
    )
    # Signal handlers need the main thread, so the supervisor runs in a child interpreter.
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sys\nfrom greengate.process.supervisor import supervise\n"
        f"r = supervise([sys.executable, '-c', {code!r}])\n"
        "print(r.outcome.exit_code, r.outcome.interrupted, r.outcome.signal)\n"
    )
    proc = subprocess.Popen(
        [PY, str(probe)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 20
    while not (marker.exists() and marker.read_text() == "ready"):
        assert time.monotonic() < deadline, "command never started"
        time.sleep(0.05)
    os.kill(proc.pid, sig)
    out, _ = proc.communicate(timeout=20)
    assert marker.read_text() == str(int(sig))
    assert out.split() == [str(128 + sig), "True", "None"]


def test_a_stop_check_stops_the_tree_at_the_sample_it_answers() -> None:
    seen: list[float] = []

    def check(sample: TreeSample) -> int | None:
        seen.append(sample.elapsed_seconds)
        return signal.SIGTERM if sample.cpu_seconds > 0.3 else None

    start = time.monotonic()
    run = supervise([PY, "-c", burn_code(30)], stop_check=check, grace_seconds=5)
    assert time.monotonic() - start < 10
    assert run.stop_signal == signal.SIGTERM
    assert (run.outcome.exit_code, run.outcome.signal) == (143, signal.SIGTERM)
    assert not run.outcome.interrupted and not run.killed_after_grace
    # Asked once per sample until it answered, never after.
    assert len(seen) >= 2 and seen == sorted(seen)


def test_a_stop_check_that_never_answers_leaves_the_command_alone() -> None:
    run = supervise([PY, "-c", burn_code(0.3)], stop_check=lambda sample: None)
    assert run.stop_signal is None and run.outcome.exit_code == 0
