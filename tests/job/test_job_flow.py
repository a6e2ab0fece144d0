"""start / lap / stop with real processes: a sampler, steps of known CPU load, laps, a verdict."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import Greengate

from greengate.energy.procstat import MachineCpu, read_machine_cpu
from greengate.job.session import sampler_alive
from greengate.job.state import JobState

VCPUS = os.cpu_count() or 1
IDLE_W, MAX_W = 1.0, 5.0  # per vCPU: a straight curve, so /proc/stat's totals integrate it
POLICY = f"""\
version: 1
defaults:
  intensity: 400
energy:
  profile:
    idle_watts_per_vcpu: {IDLE_W}
    max_watts_per_vcpu: {MAX_W}
    pue: 1.0
    name: straight
budgets:
  - name: test steps
    step: "test*"
    max_energy: 1 mWh
  - name: the job
    max_energy: 1 kWh
"""
BURN = "import time\nt = time.process_time()\nwhile time.process_time() - t < {s}: pass\n"


@pytest.fixture
def job_dir(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "greengate.yml").write_text(POLICY)
    yield tmp_path
    # A failing test must not leave its sampler behind on the developer's machine.
    state = JobState(tmp_path / ".greengate" / "job")
    if state.exists():
        start = state.read_start()
        if sampler_alive(start) and start.pid is not None:
            os.kill(start.pid, signal.SIGKILL)


def burn(cpu_seconds: float) -> float:
    """A step of known CPU load: a child spinning for ``cpu_seconds`` of CPU; its CPU time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-c", BURN.format(s=cpu_seconds)], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


class ProcStatWatcher:
    """/proc/stat every 20 ms in a thread, with the wall clock: an integration of our own."""

    def __init__(self) -> None:
        self.readings: list[tuple[float, MachineCpu]] = []
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._done.is_set():
            reading = read_machine_cpu()
            assert reading is not None
            self.readings.append((time.time(), reading))
            self._done.wait(0.02)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def joules(self, begin: float, end: float) -> float:
        """The straight curve integrated over [begin, end], edge intervals clipped."""
        total = 0.0
        for (t0, a), (t1, b) in zip(self.readings, self.readings[1:], strict=False):
            overlap = min(t1, end) - max(t0, begin)
            if overlap > 0:
                u = (b - a).utilisation
                total += VCPUS * (IDLE_W + (MAX_W - IDLE_W) * u) * overlap
        return total


def pid_of(directory: Path) -> int:
    data: dict[str, Any] = json.loads((directory / ".greengate/job/job.json").read_text())
    return int(data["pid"])


def gone(pid: int, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(") ")[1].startswith("Z"):
                    return True  # a zombie of whoever adopted it: it has exited
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_a_job_of_steps_is_measured_in_laps_that_add_up(
    greengate: Greengate, job_dir: Path
) -> None:
    watcher = ProcStatWatcher()
    started = greengate("start", "--interval", "0.2s", cwd=job_dir, timeout=20)
    # capture_output: had the sampler kept start's stdout or stderr, this would hang.
    assert started.returncode == 0, started.stderr
    assert "measuring the job" in started.stderr
    time.sleep(0.6)
    assert greengate("lap", "setup", cwd=job_dir).returncode == 0
    child_cpu = burn(1.5)
    assert greengate("lap", "test-unit", cwd=job_dir).returncode == 0
    time.sleep(0.4)
    stopped = greengate("stop", "--job", "build", cwd=job_dir, timeout=30)
    watcher.stop()

    assert stopped.returncode == 1, stopped.stderr  # test-unit is over its 1 mWh step budget
    v = stopped.verdict()
    assert v["schema_version"] == "1.2"
    assert [lap["name"] for lap in v["laps"]] == ["setup", "test-unit", "rest"]
    total = v["measurement"]["energy_kwh"]
    assert sum(lap["energy_kwh"] for lap in v["laps"]) == pytest.approx(total, rel=0.01)
    assert sum(lap["duration_s"] for lap in v["laps"]) == pytest.approx(
        v["measurement"]["usage"]["wall_s"], rel=0.01
    )
    test_lap = v["laps"][1]
    assert test_lap["status"] == "fail" and test_lap["rule"] == "test steps"
    assert v["laps"][0]["status"] == "pass" and v["laps"][0]["rule"] is None
    assert v["status"] == "fail"
    assert any("lap 'test-unit'" in r for r in v["reasons"])
    band = test_lap["band"]
    assert band["energy_low_kwh"] <= test_lap["energy_kwh"] <= band["energy_high_kwh"]

    # Independent: /proc/stat read by this test every 20 ms, integrated on the same straight
    # curve over the job's span as the verdict gives it.
    begin, end = (datetime.fromisoformat(v["laps"][i][k]) for i, k in ((0, "start"), (-1, "end")))
    independent_j = watcher.joules(begin.timestamp(), end.timestamp())
    cpu = next(c for c in v["measurement"]["components"] if c["component"] == "cpu")
    assert cpu["kwh"] * 3.6e6 == pytest.approx(independent_j, rel=0.02)

    # The test step's lap holds at least the known load's CPU on the curve, and memory.
    memory = next(c for c in v["measurement"]["components"] if c["component"] == "memory")
    memory_w = memory["kwh"] * 3.6e6 / v["measurement"]["usage"]["wall_s"]
    lower_j = (VCPUS * IDLE_W + memory_w) * test_lap["duration_s"] + (MAX_W - IDLE_W) * child_cpu
    assert test_lap["energy_kwh"] * 3.6e6 >= 0.97 * lower_j
    assert not (job_dir / ".greengate/job/job.json").exists()  # the next job starts clean


def test_lap_and_stop_without_start_are_usage_errors(greengate: Greengate, job_dir: Path) -> None:
    for args in (("lap", "build"), ("stop",)):
        done = greengate(*args, cwd=job_dir)
        assert done.returncode == 2
        assert "no job was started here" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (job_dir / "greengate-verdict.json").exists()


def test_a_second_start_is_refused_unless_restart(greengate: Greengate, job_dir: Path) -> None:
    assert greengate("start", cwd=job_dir).returncode == 0
    first = pid_of(job_dir)
    again = greengate("start", cwd=job_dir)
    assert again.returncode == 2
    assert "already being measured" in again.stderr and "--restart" in again.stderr
    assert greengate("start", "--restart", cwd=job_dir).returncode == 0
    assert gone(first)
    second = pid_of(job_dir)
    assert second != first
    assert greengate("stop", "--job", "x", cwd=job_dir).returncode == 0
    assert gone(second)


def test_a_killed_sampler_is_reported_with_what_it_measured(
    greengate: Greengate, job_dir: Path
) -> None:
    assert greengate("start", "--interval", "0.1s", cwd=job_dir).returncode == 0
    time.sleep(0.5)
    os.kill(pid_of(job_dir), signal.SIGKILL)
    lap = greengate("lap", "build", cwd=job_dir)
    assert lap.returncode == 0 and "sampler stopped" in lap.stderr
    stopped = greengate("stop", "--job", "x", cwd=job_dir)
    assert stopped.returncode == 3, stopped.stderr
    v = stopped.verdict()
    assert v["status"] == "error"
    assert "it was killed" in v["reasons"][0]
    assert v["measurement"]["energy_kwh"] > 0  # what was measured until then
    assert v["measurement"]["usage"]["wall_s"] == pytest.approx(0.5, abs=0.35)


def test_a_never_stopped_sampler_ends_at_max_duration(greengate: Greengate, job_dir: Path) -> None:
    assert (
        greengate("start", "--max-duration", "1s", "--interval", "0.1s", cwd=job_dir).returncode
        == 0
    )
    pid = pid_of(job_dir)
    assert gone(pid, within=5.0)
    stopped = greengate("stop", "--job", "x", cwd=job_dir)
    assert stopped.returncode == 3
    assert "--max-duration ran out" in stopped.verdict()["reasons"][0]


def test_a_sampler_whose_state_is_removed_exits(greengate: Greengate, job_dir: Path) -> None:
    assert greengate("start", "--interval", "0.1s", cwd=job_dir).returncode == 0
    pid = pid_of(job_dir)
    for name in os.listdir(job_dir / ".greengate/job"):
        os.unlink(job_dir / ".greengate/job" / name)
    os.rmdir(job_dir / ".greengate/job")
    assert gone(pid, within=5.0)


def test_concurrent_jobs_keep_separate_state(greengate: Greengate, job_dir: Path) -> None:
    one, two = job_dir / "one", job_dir / "two"
    assert greengate("start", "--state", str(one), cwd=job_dir).returncode == 0
    env = {"RUNNER_TEMP": str(two)}
    assert greengate("start", env=env, cwd=job_dir).returncode == 0
    pids = [json.loads((d / "job.json").read_text())["pid"] for d in (one, two / "greengate-job")]
    assert pids[0] != pids[1]
    assert greengate("stop", "--state", str(one), "--job", "a", cwd=job_dir).returncode == 0
    assert gone(pids[0])
    assert not gone(pids[1], within=0.3)
    done = greengate("stop", "--job", "b", "--verdict", "b.json", env=env, cwd=job_dir)
    assert done.returncode == 0
    assert gone(pids[1])


def test_run_inside_a_job_names_its_lap_and_keeps_process_scope(
    greengate: Greengate, job_dir: Path
) -> None:
    # A GitHub-hosted runner: a run alone is charged the whole machine; inside a started job,
    # whose machine the job already measures, its own command only.
    (job_dir / "plain.yml").write_text("version: 1\nbudgets:\n  - max_energy: 1 kWh\n")
    hosted = {"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted", "RUNNER_OS": "Linux"}
    alone = greengate(
        "run",
        "--policy",
        "plain.yml",
        "--job",
        "x",
        "--verdict",
        "alone.json",
        "--",
        sys.executable,
        "-c",
        "pass",
        env=hosted,
        cwd=job_dir,
    )
    assert alone.verdict("alone.json")["measurement"]["scope"] == "machine"
    assert (
        greengate(
            "start", "--state", str(job_dir / ".greengate/job"), env=hosted, cwd=job_dir
        ).returncode
        == 0
    )
    hosted["GREENGATE_STATE"] = str(job_dir / ".greengate/job")
    assert greengate("lap", "checkout", cwd=job_dir).returncode == 0
    ran = greengate(
        "run",
        "--policy",
        "plain.yml",
        "--job",
        "x",
        "--verdict",
        "run.json",
        "--",
        sys.executable,
        "-c",
        "pass",
        env=hosted,
        cwd=job_dir,
    )
    assert ran.returncode == 0, ran.stderr
    v = ran.verdict("run.json")
    assert v["job_lap"]["index"] == 2 and v["job_lap"]["after"] == "checkout"
    assert v["measurement"]["source"] == "greengate run"
    assert v["measurement"]["scope"] == "process"
    assert (
        greengate("stop", "--policy", "plain.yml", "--job", "x", env=hosted, cwd=job_dir).returncode
        == 0
    )


def test_a_lap_name_is_checked(greengate: Greengate, job_dir: Path) -> None:
    assert greengate("start", cwd=job_dir).returncode == 0
    bad = greengate("lap", "two\nlines", cwd=job_dir)
    assert bad.returncode == 2 and "is not a lap name" in bad.stderr
    assert greengate("stop", "--job", "x", cwd=job_dir).returncode == 0


def _move(counter: Path, value: int) -> None:
    """Set a fake counter file the way sysfs does: a reader never sees it half written.

    ``write_text`` truncates first; the sampler, reading every 50 ms, can catch the empty
    file, take it as a failed counter and drop the job to the estimate (CI, stop 16).
    """
    staged = counter.with_name(counter.name + ".new")
    staged.write_text(f"{value}\n")
    os.replace(staged, counter)


def test_rapl_counters_are_followed_across_the_steps(
    greengate: Greengate, job_dir: Path, tmp_path: Path
) -> None:
    # A fake /sys/class/powercap: one package whose counter this test moves between laps.
    package = tmp_path / "powercap" / "intel-rapl:0"
    package.mkdir(parents=True)
    (package / "name").write_text("package-0\n")
    (package / "max_energy_range_uj").write_text("262143328850\n")
    counter = package / "energy_uj"
    counter.write_text("1000000\n")
    env = {"GREENGATE_POWERCAP_DIR": str(tmp_path / "powercap")}
    assert greengate("start", "--interval", "0.05s", env=env, cwd=job_dir).returncode == 0
    _move(counter, 3000000)  # +2 J
    time.sleep(0.5)  # the sampler reads it (lap takes the sampler's last reading)
    assert greengate("lap", "build", env=env, cwd=job_dir).returncode == 0
    _move(counter, 9000000)  # +6 J
    time.sleep(0.5)
    assert greengate("lap", "test", env=env, cwd=job_dir).returncode == 0
    stopped = greengate("stop", "--job", "x", env=env, cwd=job_dir)
    assert stopped.returncode == 1, stopped.stderr  # test: 6 J is over its 1 mWh (3.6 J)
    v = stopped.verdict()
    cpu = next(c for c in v["measurement"]["components"] if c["component"] == "cpu")
    assert cpu["tier"] == "counter" and cpu["method"] == "rapl-energy-counter"
    assert cpu["kwh"] * 3.6e6 == pytest.approx(8.0)
    memory = next(c for c in v["measurement"]["components"] if c["component"] == "memory")
    by_name = {lap["name"]: lap for lap in v["laps"]}
    for name, joules in (("build", 2.0), ("test", 6.0)):
        lap = by_name[name]
        memory_kwh = memory["kwh"] * lap["duration_s"] / v["measurement"]["usage"]["wall_s"]
        assert lap["energy_kwh"] == pytest.approx(joules / 3.6e6 + memory_kwh, rel=1e-3)
    assert by_name["test"]["status"] == "fail" and by_name["build"]["status"] == "pass"


FAKE_PYNVML = """\
import os
_COUNTER = os.environ["FAKE_NVML_COUNTER"]
def nvmlInit(): pass
def nvmlDeviceGetCount(): return 1
def nvmlDeviceGetHandleByIndex(i): return i
def nvmlDeviceGetName(handle): return b"NVIDIA Fake"
def nvmlDeviceGetTotalEnergyConsumption(handle):
    with open(_COUNTER) as f:
        return int(f.read())
def nvmlDeviceGetPowerUsage(handle): return 0
def nvmlDeviceGetComputeRunningProcesses(handle): return []
def nvmlDeviceGetGraphicsRunningProcesses(handle): return []
def nvmlDeviceGetMinorNumber(handle): return 0
"""


def _fake_nvml(tmp_path: Path, milliwatts: int = 0) -> tuple[Path, dict[str, str]]:
    """FAKE_PYNVML on the path, drawing ``milliwatts``: its counter file and the environment."""
    fake = tmp_path / "fake-nvml"
    fake.mkdir()
    power = f"def nvmlDeviceGetPowerUsage(handle): return {milliwatts}"
    (fake / "pynvml.py").write_text(
        FAKE_PYNVML.replace("def nvmlDeviceGetPowerUsage(handle): return 0", power)
    )
    counter = tmp_path / "gpu-millijoules"
    counter.write_text("5000000\n")
    env = {
        "PYTHONPATH": str(fake),
        "GREENGATE_FORCE_NVML": "1",
        "FAKE_NVML_COUNTER": str(counter),
    }
    return counter, env


def test_gpu_energy_counters_are_followed_across_the_steps(
    greengate: Greengate, job_dir: Path, tmp_path: Path
) -> None:
    # A stand-in pynvml on the sampler's path whose one GPU's counter (mJ) this test moves.
    counter, env = _fake_nvml(tmp_path)
    assert greengate("start", "--interval", "0.05s", env=env, cwd=job_dir).returncode == 0
    _move(counter, 5500000)  # +500 J
    time.sleep(0.5)
    assert greengate("lap", "build", env=env, cwd=job_dir).returncode == 0
    _move(counter, 7000000)  # +1500 J
    time.sleep(0.5)
    stopped = greengate("stop", "--job", "x", "--lap-name", "deploy", env=env, cwd=job_dir)
    assert stopped.returncode == 0, stopped.stderr
    v = stopped.verdict()
    gpu = next(c for c in v["measurement"]["components"] if c["component"] == "gpu")
    assert gpu["tier"] == "counter" and gpu["method"] == "nvml-energy-counter"
    assert gpu["kwh"] * 3.6e6 == pytest.approx(2000.0)
    by_name = {lap["name"]: lap for lap in v["laps"]}
    assert set(by_name) == {"build", "deploy"}
    assert by_name["deploy"]["energy_kwh"] > by_name["build"]["energy_kwh"]
    assert sum(lap["energy_kwh"] for lap in v["laps"]) == pytest.approx(
        v["measurement"]["energy_kwh"], rel=1e-6
    )


def test_a_bad_max_duration_is_a_usage_error(greengate: Greengate, job_dir: Path) -> None:
    done = greengate("start", "--max-duration", "6 hrs", cwd=job_dir)
    assert done.returncode == 2 and "expected a duration such as" in done.stderr
    assert not (job_dir / ".greengate/job/job.json").exists()


def test_the_sampler_outlives_the_step_that_started_it(job_dir: Path) -> None:
    # A CI step: a shell in its own process group that runs start and then lingers, killed
    # with its whole group when the step ends (as a runner ends a cancelled step's tree).
    step = subprocess.Popen(
        ["bash", "-c", f"{sys.executable} -m greengate start && sleep 30"],
        cwd=job_dir,
        start_new_session=True,
    )
    deadline = time.monotonic() + 20
    while not (job_dir / ".greengate/job/progress.json").exists():
        assert time.monotonic() < deadline, "start did not start the sampler"
        time.sleep(0.05)
    pid = pid_of(job_dir)
    os.killpg(step.pid, signal.SIGKILL)
    step.wait()
    assert not gone(pid, within=1.0)  # its own session: the step's signals are not its
    state = JobState(job_dir / ".greengate" / "job")
    assert sampler_alive(state.read_start())


def test_a_gpu_measured_by_its_power_readings_keeps_their_wider_band(
    greengate: Greengate, job_dir: Path, tmp_path: Path
) -> None:
    # The same stand-in NVML at a steady 200 W, its counter ignored: the sampler integrates
    # the power readings, whose band is +-15 %, not the counter's +-5 %.
    _, env = _fake_nvml(tmp_path, milliwatts=200000)
    env["GREENGATE_NVML_POWER_SAMPLES"] = "1"
    assert greengate("start", "--interval", "0.05s", env=env, cwd=job_dir).returncode == 0
    time.sleep(0.6)
    stopped = greengate("stop", "--job", "x", env=env, cwd=job_dir)
    assert stopped.returncode == 0, stopped.stderr
    v = stopped.verdict()
    gpu = next(c for c in v["measurement"]["components"] if c["component"] == "gpu")
    assert gpu["method"] == "nvml-power-samples", gpu
    assert "power readings" in gpu["detail"]
    seconds = v["measurement"]["usage"]["wall_s"]
    assert gpu["kwh"] * 3.6e6 == pytest.approx(200 * seconds, rel=0.25)  # 200 W over the job
    assert gpu["low_kwh"] == pytest.approx(0.85 * gpu["kwh"])
    assert gpu["high_kwh"] == pytest.approx(1.15 * gpu["kwh"])
