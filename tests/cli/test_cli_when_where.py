"""``greengate when`` (against a loopback forecast) and ``greengate where`` (offline tables)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import Greengate
from grid_server import Reply, grid_server

from greengate.live_intensity import Slot
from greengate.plan.when import best_start

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _slots(values: list[float], minutes: int = 30, start: datetime = T0) -> list[Slot]:
    step = timedelta(minutes=minutes)
    return [
        Slot(start + i * step, start + (i + 1) * step, v, forecast=True)
        for i, v in enumerate(values)
    ]


def test_best_start_minimises_the_mean_over_the_duration_ties_to_the_earliest() -> None:
    forecast = _slots([300, 300, 100, 200, 100, 200, 400, 400])
    plan = best_start(forecast, T0, duration_s=3600, within_s=4 * 3600)
    # 1 h windows: 11:00 -> (100+200)/2 = 150, 12:00 -> (100+200)/2 = 150: the earlier wins
    assert plan.start == T0 + timedelta(hours=1)
    assert plan.intensity_now == 300 and plan.intensity_best == 150
    assert plan.saving_pct == pytest.approx(50.0)
    assert plan.delay_s == 3600


def test_best_start_respects_the_window_and_the_forecasts_end() -> None:
    forecast = _slots([300, 200, 100, 50])  # ends at 12:00
    within_1h = best_start(forecast, T0, 1800, 3600)
    assert within_1h.start == T0 + timedelta(hours=1)  # 11:30 is outside the window
    long_job = best_start(forecast, T0, 7200, 8 * 3600)  # only "now" fits a 2 h job
    assert long_job.start == T0 and long_job.saving_pct == 0
    mid_slot = best_start(forecast, T0 + timedelta(minutes=15), 1800, 0)
    assert mid_slot.intensity_now == pytest.approx(250)  # half of 300, half of 200


def test_best_start_on_a_48h_forecast_of_5_minute_points_is_exact() -> None:
    values = [float(400 - (i % 288)) for i in range(576)]  # cleanest at the end of each day
    plan = best_start(_slots(values, 5), T0, 45 * 60, 8 * 3600)
    # within 8 h (96 points) the mean keeps falling: the latest start in the window wins
    assert plan.start == T0 + timedelta(hours=8)
    assert plan.intensity_best == pytest.approx(sum(values[96:105]) / 9)


def _forecast_route(now: datetime) -> dict[str, object]:
    hour = now.replace(minute=0, second=0, microsecond=0)
    points = [
        {
            "carbonIntensity": 300 if i < 3 else 90,
            "datetime": (hour + timedelta(hours=i)).isoformat(),
        }
        for i in range(24)
    ]
    return {"zone": "DE", "forecast": points, "updatedAt": hour.isoformat()}


def test_when_json_text_and_scheduler_lines(greengate: Greengate, tmp_path: Path) -> None:
    now = datetime.now(timezone.utc)
    with grid_server() as server:
        server.routes["/v3/carbon-intensity/forecast"] = Reply(body=_forecast_route(now))
        (tmp_path / "greengate.yml").write_text(
            "version: 1\nbudgets:\n  - max_emissions: 1 kg\n"
            f"grid:\n  provider: electricitymaps\n  zone: DE\n  url: {server.url}\n"
        )
        env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": "tok-123456"}
        result = greengate("when", "--duration", "45m", "--within", "8h", "--json", env=env)
        text = greengate("when", "--duration", "45", "--within", "8h", env=env)
        at = greengate("when", "--duration", "45m", "--within", "8h", "--format", "at", env=env)
        sbatch = greengate(
            "when", "--duration", "45m", "--within", "8h", "--format", "sbatch", env=env
        )
        calls = len(server.seen)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.out)
    start = datetime.fromisoformat(data["start"])
    assert start.utcoffset() is not None
    hour = now.replace(minute=0, second=0, microsecond=0)
    assert start == hour + timedelta(hours=3)
    assert data["intensity_best"] == 90 and data["intensity_now"] == 300
    assert data["saving_pct"] == 70.0 and data["provider"] == "electricitymaps"
    assert data["zone"] == "DE" and 0 < data["delay_seconds"] <= 3 * 3600
    assert "best start:" in text.out and "saving: 70 %" in text.out
    local = start.astimezone()
    assert at.out.strip() == f"at -t {local:%Y%m%d%H%M}"
    assert sbatch.out.strip() == f"sbatch --begin {local:%Y-%m-%dT%H:%M}"
    assert calls == 1  # the forecast was cached for the next three


def test_when_without_a_live_grid_says_what_to_do(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    result = greengate("when", "--duration", "45m", "--within", "8h")
    assert result.returncode == 2 and "needs a live grid provider" in result.stderr
    bad = greengate("when", "--duration", "soon", "--within", "8h")
    assert bad.returncode == 2 and "--duration" in bad.stderr


def test_where_ranks_quebec_far_below_us_east_1(greengate: Greengate) -> None:
    result = greengate("where", "--energy", "10 kWh", "--json")
    assert result.returncode == 0, result.stderr
    rows = {row["grid"]: row for row in json.loads(result.out)}
    quebec, virginia = rows["CAN/quebec"], rows["aws:us-east-1"]
    assert virginia["intensity_g_per_kwh"] == 379.069  # CCF's SERC factor, t/kWh x 1e6
    assert virginia["emissions_kg"] == pytest.approx(3.79069)
    assert quebec["emissions_kg"] < virginia["emissions_kg"] / 10
    assert "gcp:us-east1" in rows and "azure:westeurope" in rows and "FRA" in rows
    order = [row["grid"] for row in json.loads(result.out)]
    assert order.index("CAN/quebec") < order.index("aws:us-east-1")
    text = greengate("where", "--energy", "10 kWh", "--top", "3")
    assert text.returncode == 0 and "cleanest first" in text.out
    assert greengate("where").returncode == 2
    assert "--energy" in greengate("where", "--energy", "5 kg").stderr


def test_where_shows_a_readable_top_list_and_sets_a_zero_figure_apart(
    greengate: Greengate,
) -> None:
    # issue 19: 422 lines by default, and CAF's bundled 0 g/kWh ranked as the cleanest grid.
    every = json.loads(greengate("where", "--energy", "10 kWh", "--json").out)
    assert all(row["intensity_g_per_kwh"] > 0 for row in every)
    assert "CAF" not in {row["grid"] for row in every}
    text = greengate("where", "--energy", "10 kWh")
    assert text.returncode == 0, text.stderr
    lines = text.out.splitlines()
    assert lines[0] == f"10 kWh the 10 cleanest of {len(every)} grids, cleanest first:"
    listed = [line.split()[0] for line in lines[1:11]]
    assert listed == [row["grid"].split()[0] for row in every[:10]]
    assert lines[11] == f"  ... {len(every) - 10} more: --all lists every grid"
    assert lines[12].startswith("not ranked: CAF: the bundled figure is 0 g CO2e/kWh")
    assert len(lines) == 14
    full = greengate("where", "--energy", "10 kWh", "--all").out.splitlines()
    assert full[0] == f"10 kWh on {len(every)} grids, cleanest first:"
    assert len(full) == len(every) + 3  # heading, the grids, not ranked, the sources


def test_when_format_github_writes_step_outputs_and_job_says_grams_saved(
    greengate: Greengate, tmp_path: Path
) -> None:
    now = datetime.now(timezone.utc)
    outputs = tmp_path / "github_output"
    with grid_server() as server:
        server.routes["/v3/carbon-intensity/forecast"] = Reply(body=_forecast_route(now))
        (tmp_path / "greengate.yml").write_text(
            "version: 1\ndefaults:\n  country: FRA\nbudgets:\n  - max_emissions: 1 kg\n"
            f"grid:\n  provider: electricitymaps\n  zone: DE\n  url: {server.url}\n"
        )
        env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": "tok-123456", "GITHUB_OUTPUT": str(outputs)}
        for _ in range(2):  # two runs of job "train" in the ledger, offline (country FRA)
            ran = greengate(
                "run",
                "--job",
                "train",
                "--grid-provider",
                "offline",
                "--",
                "python3",
                "-c",
                "sum(range(10**6))",
            )
            assert ran.returncode == 0, ran.stderr
        github = greengate(
            "when", "--duration", "45m", "--within", "8h", "--format", "github", env=env
        )
        saved = greengate(
            "when", "--duration", "45m", "--within", "8h", "--json", "--job", "train", env=env
        )
        where = greengate("where", "--job", "train", "--json")
    assert github.returncode == 0, github.stderr
    written = outputs.read_text()
    assert "saving_pct=70.0\n" in written and "provider=electricitymaps\n" in written
    assert "delay_seconds=" in written and "start=" in written
    assert saved.returncode == 0, saved.stderr
    assert json.loads(saved.out)["saved_kg"] > 0
    assert where.returncode == 0, where.stderr
    virginia = next(r for r in json.loads(where.out) if r["grid"] == "aws:us-east-1")
    assert virginia["emissions_kg"] > 0  # the ledger's median energy of job train, there
