"""The process's end without the interpreter's teardown: nothing a normal exit finishes is lost."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import Greengate


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_buffered_output_and_atexit_handlers_are_finished_and_the_code_kept() -> None:
    done = _python(
        """\
        import atexit, sys
        from greengate.cli.exiting import exit_now
        atexit.register(lambda: print("atexit ran"))
        sys.stdout.write("buffered, never flushed by hand")  # a pipe: block-buffered
        sys.stderr.write("to stderr")
        exit_now(7)
        """
    )
    assert done.returncode == 7
    assert done.stdout == "buffered, never flushed by handatexit ran\n"
    assert done.stderr == "to stderr"


def test_a_live_non_daemon_thread_is_waited_for() -> None:
    done = _python(
        """\
        import threading, time
        from greengate.cli.exiting import exit_now
        def late():
            time.sleep(0.3)
            print("the thread finished")
        threading.Thread(target=late).start()
        exit_now(4)
        """
    )
    assert done.returncode == 4
    assert done.stdout == "the thread finished\n"


@pytest.mark.parametrize(("code", "expected"), [(0, 120), (3, 3)])
def test_a_failed_flush_of_stdout_is_an_error_as_in_cpython(code: int, expected: int) -> None:
    done = _python(
        f"""\
        import io, sys
        from greengate.cli.exiting import exit_now
        class Broken(io.StringIO):
            def flush(self):
                raise BrokenPipeError(32, "Broken pipe")
        sys.stdout = Broken()
        exit_now({code})
        """
    )
    assert done.returncode == expected, done.stderr


def test_a_run_ends_with_the_commands_code_output_and_verdict(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_energy: 1 kWh\n")
    done = greengate("run", "--quiet", "--", "sh", "-c", "printf out; exit 5")
    assert done.returncode == 5, done.stderr
    assert done.stdout.startswith(b"out")
    assert done.verdict()["command"]["exit_code"] == 5
