"""``greengate run --start-within``: the decision (pure) and a real short wait (loopback)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import Greengate
from grid_server import Reply, grid_server

from greengate.errors import UsageError
from greengate.plan.start_within import decide_wait
from greengate.plan.when import StartPlan

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _plan(now: float, best: float, delay_h: float = 2.0) -> StartPlan:
    return StartPlan(T0, T0 + timedelta(hours=delay_h), 3600, now, best, T0 + timedelta(hours=24))


def test_waits_only_past_min_saving() -> None:
    small = decide_wait(
        _plan(300, 280),
        0.10,
        idle_watts=None,
        job_kwh=None,
        wait_g_per_kwh=None,
        hosted_runner=None,
    )
    assert small.wait_s == 0 and "below carbon_aware.min_saving (10 %)" in small.reason
    big = decide_wait(
        _plan(300, 150),
        0.10,
        idle_watts=None,
        job_kwh=None,
        wait_g_per_kwh=None,
        hosted_runner=None,
    )
    assert big.wait_s == 7200 and "50 % cleaner" in big.reason


def test_the_idle_energy_of_waiting_is_counted_against_the_saving() -> None:
    # 1 kWh job saves 150 g; 100 W idle for 2 h at 300 g/kWh costs 60 g: worth it
    worth = decide_wait(
        _plan(300, 150), 0.1, idle_watts=100, job_kwh=1.0, wait_g_per_kwh=300, hosted_runner=None
    )
    assert worth.wait_s == 7200 and worth.saved_g == pytest.approx(150)
    assert worth.idle_g == pytest.approx(60)
    # a 0.2 kWh job saves 30 g: less than the 60 g of idling, so it starts now
    not_worth = decide_wait(
        _plan(300, 150), 0.1, idle_watts=100, job_kwh=0.2, wait_g_per_kwh=300, hosted_runner=None
    )
    assert not_worth.wait_s == 0 and "idling costs 60 g CO2e" in not_worth.reason


def test_a_hosted_runner_is_refused_unless_allowed() -> None:
    with pytest.raises(UsageError, match="would hold a billed runner idle"):
        decide_wait(
            _plan(300, 150),
            0.1,
            idle_watts=5,
            job_kwh=None,
            wait_g_per_kwh=300,
            hosted_runner="GitHub-hosted runner",
        )
    allowed = decide_wait(
        _plan(300, 150),
        0.1,
        idle_watts=5,
        job_kwh=None,
        wait_g_per_kwh=300,
        hosted_runner="GitHub-hosted runner",
        allow_hosted=True,
    )
    assert allowed.wait_s == 7200


def _charts(server_url: str, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(
        "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        f"grid:\n  provider: energy-charts\n  zone: de\n  url: {server_url}\n"
    )


def test_run_waits_for_the_cleaner_slot_then_runs(greengate: Greengate, tmp_path: Path) -> None:
    now = int(time.time())
    with grid_server() as server:
        server.routes["/co2eq"] = Reply(
            body={
                "unix_seconds": [now - 60, now + 6, now + 66],
                "co2eq": [1000.0, None, None],
                "co2eq_forecast": [None, 50.0, 50.0],
            }
        )
        _charts(server.url, tmp_path)
        began = time.monotonic()
        result = greengate(
            "run",
            "--start-within",
            "10m",
            "--duration",
            "1m",
            "--",
            "python3",
            "-c",
            "print('ran')",
        )
        took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    assert "cleaner window" in result.stderr and "ran" in result.out
    assert took >= 5  # it waited for the 50 g/kWh slot six seconds ahead


def test_run_refuses_to_wait_on_a_github_hosted_runner(
    greengate: Greengate, tmp_path: Path
) -> None:
    now = int(time.time())
    with grid_server() as server:
        server.routes["/co2eq"] = Reply(
            body={
                "unix_seconds": [now - 60, now + 600, now + 1200],
                "co2eq": [300.0, None, None],
                "co2eq_forecast": [None, 50.0, 50.0],
            }
        )
        _charts(server.url, tmp_path)
        env = {
            "GITHUB_ACTIONS": "true",
            "RUNNER_ENVIRONMENT": "github-hosted",
            "RUNNER_OS": "Linux",
        }
        result = greengate(
            "run",
            "--start-within",
            "1h",
            "--duration",
            "5m",
            "--",
            "python3",
            "-c",
            "print('ran')",
            env=env,
        )
    assert result.returncode == 2
    assert "schedule the job instead" in result.stderr and "ran" not in result.out
