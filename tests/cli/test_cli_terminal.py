"""``greengate run`` on a real terminal: tmux runs it and its screen is read back.

The live progress line shares the terminal with the command's output. Redrawn in place with
``\\r`` it glued onto whatever the command printed (``greengate: 50 ms, 0 Wh so farstep 1``);
it now keeps the bottom row for itself (issue 18). tmux is a real terminal emulator, so
what is asserted is what a person sees.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROWS = 14
STEPS = 5
# Each step prints half a line, sleeps past a progress redraw, then finishes the line.
SCRIPT = (
    "import sys, time\n"
    f"for i in range(1, {STEPS + 1}):\n"
    "    sys.stdout.write(f'step {i}'); sys.stdout.flush(); time.sleep(0.8); print(' done')\n"
)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[list[str]]:
    found = shutil.which("tmux")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed (.ci/run installs it)")
        pytest.skip("tmux is not installed")
    base = [found, "-S", str(tmp_path / "tmux.sock"), "-f", os.devnull]
    yield base
    subprocess.run([*base, "kill-server"], capture_output=True, check=False)


def _screen(tmux: list[str], history: bool = False) -> list[str]:
    extra = ["-S", "-200"] if history else []
    out = subprocess.run(
        [*tmux, "capture-pane", "-p", "-t", "gg", *extra],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\n")[:-1] if history else out.split("\n")[:ROWS]


def test_the_progress_line_never_glues_onto_the_commands_output(
    tmux: list[str], tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 g\n")
    (tmp_path / "steps.py").write_text(SCRIPT)
    greengate = [sys.executable, "-m", "greengate", "run", "--intensity", "100", "--"]
    command = shlex.join([*greengate, sys.executable, "steps.py"])
    session = ["new-session", "-d", "-s", "gg", "-x", "100", "-y", str(ROWS), "-c", str(tmp_path)]
    subprocess.run(
        [*tmux, *session, "sh", "-c", f"{command}; echo exit=$?; sleep 60"],
        check=True,
        env={**os.environ, "TERM": "screen"},
    )
    # While it runs: the progress line is alone on the bottom row, every step on its own.
    deadline, seen_live = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        screen = _screen(tmux)
        if screen[-1].startswith("greengate: ") and "step 3" in "\n".join(screen):
            seen_live = screen
            break
        time.sleep(0.1)
    assert seen_live is not None, "no progress line on the bottom row"
    assert seen_live[-1].rstrip().endswith("so far")
    for row in seen_live[:-1]:
        assert "greengate:" not in row, seen_live

    while time.monotonic() < deadline and not any(r.startswith("exit=") for r in _screen(tmux)):
        time.sleep(0.2)
    final = [row.rstrip() for row in _screen(tmux, history=True)]
    assert "exit=0" in final, final
    steps = [row for row in final if row.startswith("step")]
    assert steps == [f"step {i} done" for i in range(1, STEPS + 1)], final
    assert not [row for row in final if "so far" in row], final  # the line is gone at the end
    summary = next(row for row in final if "greengate: rule" in row)
    assert summary.startswith(" PASS  greengate:")
