"""Real-process tests of stopping a run at its limit (issue 23): greengate run with a fixed
power model (a custom profile: 36 W per busy vCPU, nothing idle, so one CPU-second is
exactly 10 mWh) and a fixed intensity, so the live figure is a function of CPU time alone.

A single-threaded burn uses at most one CPU-second per second, and the sampler samples at
least once a second: one interval adds at most 10 mWh (plus the tree's memory, microwatts).
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, Greengate
from factories import assert_valid_verdict

KWH_PER_CPU_S = 36 / 3600 / 1000  # 36 W for one second
ONE_INTERVAL_KWH = 1.05 * KWH_PER_CPU_S  # a second of one CPU, and a little memory
EXAMPLE = Path(__file__).parents[2] / "examples" / "checkpoint_train.py"

# Burns ``sys.argv[1]`` CPU-seconds, then says so.
BURN = """\
import sys, time
end = time.process_time() + float(sys.argv[1])
while time.process_time() < end:
    pass
print("finished", flush=True)
"""

# A parent whose child ignores SIGTERM and burns until killed; both write their pids.
STUBBORN = """\
import pathlib, subprocess, sys
child = subprocess.Popen([sys.executable, "-c", '''
import os, pathlib, signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pathlib.Path("child.pid").write_text(str(os.getpid()))
while True:
    pass
'''])
child.wait()
"""


def policy(rule: str, extra: str = "") -> str:
    return (
        "version: 1\n"
        "defaults: {intensity: 100 g/kWh, pue: 1.0, warn_at: 0.5}\n"
        "energy:\n  scope: process\n"
        "  profile: {idle_watts_per_vcpu: 0, max_watts_per_vcpu: 36, vcpus: 1}\n"
        f"{extra}"
        f"budgets:\n  - name: train\n{rule}"
    )


def setup(tmp_path: Path, rule: str, extra: str = "") -> None:
    (tmp_path / "greengate.yml").write_text(policy(rule, extra))
    (tmp_path / "burn.py").write_text(BURN)


def stopped(result: CliResult) -> dict[str, Any]:
    """The verdict of a run stopped at its limit, checked against the issue's terms."""
    verdict = result.verdict()
    assert_valid_verdict(verdict)
    assert result.returncode == 1, result.stderr  # the violation exit code
    assert verdict["status"] == "fail"
    command = verdict["command"]
    assert command["stopped_at_limit"] is True
    stop = command["stop"]
    assert stop["before"] <= stop["limit"] < stop["measured"]
    # Stopped at the first sample past the limit: what one interval can add, at most.
    assert stop["measured"] - stop["before"] <= ONE_INTERVAL_KWH
    assert stop["overshoot"] == pytest.approx(stop["measured"] - stop["limit"])
    assert stop["overshoot"] <= ONE_INTERVAL_KWH
    assert verdict["reasons"][0].startswith("stopped at its limit")
    first_line = result.stderr.split(" FAIL ", 1)[1].splitlines()[0].strip()
    assert first_line.startswith(f"greengate: stopped at its {stop['quantity']} limit (exit ")
    return verdict


def test_a_burn_is_stopped_within_one_interval_of_crossing_its_limit(
    tmp_path: Path, greengate: Greengate
) -> None:
    # 20 CPU-s of work against 50 mWh, crossed after 5 CPU-s.
    setup(tmp_path, "    max_energy: 50 mWh\n    stop_at_limit: true\n")
    result = greengate("run", "--", sys.executable, "burn.py", "20", env={"GITHUB_ACTIONS": "true"})
    verdict = stopped(result)
    command, stop = verdict["command"], verdict["command"]["stop"]
    assert b"finished" not in result.stdout
    assert (command["exit_code"], command["signal"]) == (143, 15)  # its own, kept
    assert stop["quantity"] == "energy" and stop["limit"] == pytest.approx(50e-6)
    assert stop["signal"] == 15 and stop["limit_of"] == "rule 'train'"
    # The verdict's own figure is the stop's, plus what the tree used while it died.
    energy = verdict["measurement"]["energy_kwh"]
    assert stop["measured"] * 0.99 <= energy <= stop["measured"] + ONE_INTERVAL_KWH
    # The warning came first, at warn_at (50 %), as a line and a GitHub annotation.
    assert "of 50 mWh (rule 'train'); the command is stopped when it crosses it" in result.stderr
    assert "::warning title=greengate::energy " in result.out


def test_a_child_ignoring_the_stop_signal_is_killed_after_the_grace_period(
    tmp_path: Path, greengate: Greengate
) -> None:
    setup(tmp_path, "    max_energy: 10 mWh\n")
    (tmp_path / "stubborn.py").write_text(STUBBORN)
    result = greengate(
        "run", "--stop-at-limit", "--grace-period", "1", "--", sys.executable, "stubborn.py"
    )
    verdict = stopped(result)
    command, stop = verdict["command"], verdict["command"]["stop"]
    # The parent died of SIGTERM; the child lived on until the grace period ended.
    assert (command["exit_code"], command["signal"]) == (143, 15)
    waited = command["duration_s"] - stop["elapsed_s"]
    assert 1.0 <= waited < 4.0
    notes = verdict["measurement"]["notes"]
    assert any("outlived the grace period of 1 s after the stop signal" in n for n in notes)
    child = int((tmp_path / "child.pid").read_text())
    assert not os.path.exists(f"/proc/{child}") or "Z" in Path(f"/proc/{child}/stat").read_text()


def test_a_command_handling_sigint_checkpoints_before_it_ends_and_resumes(
    tmp_path: Path, greengate: Greengate
) -> None:
    setup(tmp_path, "    max_energy: 20 mWh\n    stop_at_limit: true\n")
    ckpt = tmp_path / "run.ckpt.json"
    argv = [sys.executable, str(EXAMPLE), "--steps", "1000", "--step-seconds", "0.05"]
    result = greengate("run", "--stop-signal", "INT", "--", *argv, "--checkpoint", str(ckpt))
    verdict = stopped(result)
    assert verdict["command"]["stop"]["signal"] == 2
    # The script's own ending is kept: it saved, said so and exited 128+2 by itself.
    assert (verdict["command"]["exit_code"], verdict["command"]["signal"]) == (130, None)
    saved = json.loads(ckpt.read_text())
    assert 0 < saved["step"] < 1000
    assert f"SIGINT: checkpoint at step {saved['step']} saved" in result.out
    # The next run resumes where it stopped.
    resumed = subprocess.run(
        [*argv[:2], "--steps", str(saved["step"] + 1), "--checkpoint", str(ckpt)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert resumed.stdout.startswith(f"starting at step {saved['step']} of")


def test_warn_mode_does_not_stop(tmp_path: Path, greengate: Greengate) -> None:
    setup(tmp_path, "    max_energy: 10 mWh\n    mode: warn\n    stop_at_limit: true\n")
    result = greengate("run", "--", sys.executable, "burn.py", "2")
    assert result.returncode == 0, result.stderr
    assert b"finished" in result.stdout
    verdict = result.verdict()
    assert verdict["status"] == "warn"
    assert verdict["measurement"]["energy_kwh"] > 10e-6  # over, and not stopped
    assert "stopped_at_limit" not in verdict["command"]


@pytest.mark.parametrize(
    "rule",
    [
        "    max_energy: 10 mWh\n    mode: warn\n",  # the rule is not enforced
        "    job: other\n    max_energy: 10 mWh\n",  # no rule matches
    ],
)
def test_stop_at_limit_without_an_enforced_limit_is_refused_before_the_command_runs(
    tmp_path: Path, greengate: Greengate, rule: str
) -> None:
    setup(tmp_path, rule)
    result = greengate("run", "--stop-at-limit", "--", "touch", "ran")
    assert result.returncode == 2
    assert "--stop-at-limit needs an enforced limit to stop at" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()


def test_a_windows_remaining_budget_stops_the_run_where_it_runs_out(
    tmp_path: Path, greengate: Greengate
) -> None:
    window = "windows:\n  - 'main: 60 mWh per month'\n"
    setup(tmp_path, "    max_energy: 1 Wh\n    stop_at_limit: true\n", window)
    env = {"GREENGATE_LEDGER": str(tmp_path / "ledger.db")}
    first = greengate("run", "--branch", "main", "--", sys.executable, "burn.py", "2", env=env)
    assert first.returncode == 0, first.stderr
    spent = first.verdict()["measurement"]["energy_kwh"]
    assert 15e-6 < spent < 40e-6

    result = greengate("run", "--branch", "main", "--", sys.executable, "burn.py", "20", env=env)
    verdict = stopped(result)
    stop = verdict["command"]["stop"]
    assert stop["limit"] == pytest.approx(60e-6 - spent)  # what was left, not the window
    assert stop["limit_of"].startswith("window 'main per month' on main")
    window_result = verdict["history"]["windows"][0]
    assert window_result["spent"] == pytest.approx(spent)
    assert window_result["status"] == "fail"


def test_emissions_are_judged_at_the_live_grids_figure_while_the_command_runs(
    tmp_path: Path, greengate: Greengate
) -> None:
    from grid_server import Reply, grid_server

    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    with grid_server() as server:
        body = {"zone": "DE", "carbonIntensity": 1000.0, "datetime": hour.isoformat()}
        server.routes["/v3/carbon-intensity/latest"] = Reply(body={**body, "isEstimated": False})
        grid = f"grid: {{provider: electricitymaps, zone: DE, url: '{server.url}'}}\n"
        # 30 mg CO2e: 3 CPU-s at the live 1000 g/kWh; at the bundled German figure (about
        # 380 g/kWh) it would take about 8.
        setup(tmp_path, "    max_emissions: 0.03 g\n    stop_at_limit: true\n", grid)
        (tmp_path / "greengate.yml").write_text(
            (tmp_path / "greengate.yml").read_text().replace("intensity: 100 g/kWh", "country: DEU")
        )
        env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": "t"}
        result = greengate("run", "--", sys.executable, "burn.py", "20", env=env)
    verdict = stopped(result)
    stop = verdict["command"]["stop"]
    assert stop["quantity"] == "emissions" and stop["limit"] == pytest.approx(30e-6)
    assert verdict["measurement"]["intensity"]["g_per_kwh"] == 1000.0
    assert verdict["measurement"]["usage"]["cpu_s"] < 5


# Burns CPU until SIGINT, then says so once and exits as a shell would report it.
COUNTS_SIGINT = """\
import pathlib, signal, sys, time
def stop(signum, frame):
    with open("got.sigint", "a") as f:
        f.write("1")
    sys.exit(130)
signal.signal(signal.SIGINT, stop)
end = time.process_time() + 20
while time.process_time() < end:
    pass
"""


def test_a_stop_at_a_terminal_reaches_the_command_sharing_greengates_group(
    tmp_path: Path,
) -> None:
    # At a terminal the command stays in greengate's foreground group, where greengate
    # forwards no SIGINT of its own (the terminal already sent it): a stop is greengate's.
    setup(tmp_path, "    max_energy: 10 mWh\n    stop_at_limit: true\n")
    (tmp_path / "command.py").write_text(COUNTS_SIGINT)
    argv = [sys.executable, "-m", "greengate", "run", "-q", "--stop-signal", "INT"]
    pid, master = pty.fork()
    if pid == 0:  # the child: a session leader whose terminal is the pty, in its foreground
        os.chdir(tmp_path)
        os.execv(sys.executable, [*argv, "--", sys.executable, "command.py"])
    output = b""
    try:
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
    assert os.waitstatus_to_exitcode(status) == 1, output
    assert (tmp_path / "got.sigint").read_text() == "1", output
    command = json.loads((tmp_path / "greengate-verdict.json").read_text())["command"]
    assert command["stopped_at_limit"] is True and command["exit_code"] == 130
