"""``greengate report --html`` and ``greengate badge`` through the real console script."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from known_ledger import POLICY_TEXT, fill, make_record

from greengate.ledger.interface import open_ledger


def greengate(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greengate", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_report_html_writes_the_page(tmp_path: Path) -> None:
    fill(str(tmp_path / "l.db"))
    (tmp_path / "greengate.yml").write_text(POLICY_TEXT)
    done = greengate("report", "--ledger", "l.db", "--html", "out/r.html", cwd=tmp_path)
    assert done.returncode == 2 and "cannot write the report to out/r.html" in done.stderr
    done = greengate(
        "report", "--ledger", "l.db", "--html", "r.html", "--job", "train", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "wrote r.html: 23 runs (all time, job train)\n"
    html = (tmp_path / "r.html").read_text()
    # greengate.yml beside the ledger was read: its baseline is drawn; July is not this window.
    assert 'data-chart="baseline-0"' in html
    assert "window &#x27;main per month&#x27;: no run has been charged to it yet" in html
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_report_html_of_an_empty_ledger(tmp_path: Path) -> None:
    done = greengate("report", "--ledger", "l.db", "--html", "r.html", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "the ledger holds no runs for this selection (an empty report)" in done.stdout
    assert (
        "no policy (greengate.yml not found here; pass --policy)"
        in (tmp_path / "r.html").read_text()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "--period: expected a period like 2026"),
        (("--policy", "missing.yml"), "missing.yml"),
    ],
)
def test_report_html_bad_input(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    done = greengate("report", "--ledger", "l.db", "--html", "r.html", *args, cwd=tmp_path)
    assert done.returncode == 2 and message in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "r.html").exists()


def test_report_html_bad_policy_is_located(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("version: 1\nbudgets: [{max_emissions: 5 kgs}]\n")
    done = greengate(
        "report", "--ledger", "l.db", "--html", "r.html", "--policy", "p.yml", cwd=tmp_path
    )
    assert done.returncode == 2 and "p.yml:2" in done.stderr


def _spend(tmp_path: Path, kg: float) -> None:
    now = datetime.now(timezone.utc)
    with open_ledger(str(tmp_path / "l.db")) as ledger:
        ledger.insert_many([make_record(recorded_at=now - timedelta(minutes=5), emissions_kg=kg)])


@pytest.mark.parametrize(
    ("kg", "colour", "hex_colour"),
    [(10.0, "brightgreen", "#4c1"), (25.0, "yellow", "#dfb317"), (31.0, "red", "#e05d44")],
)
def test_badge_colour_follows_the_window(
    tmp_path: Path, kg: float, colour: str, hex_colour: str
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY_TEXT)  # main: 30 kg per month
    _spend(tmp_path, kg)
    done = greengate("badge", "--ledger", "l.db", "-o", "b.svg", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    svg = ET.parse(tmp_path / "b.svg").getroot()
    label = svg.get("aria-label")
    assert label == f"carbon: {kg:g} kg of 30 kg / month"
    assert f'fill="{hex_colour}"' in (tmp_path / "b.svg").read_text()
    done = greengate("badge", "--ledger", "l.db", "-o", "b.json", "--json", cwd=tmp_path)
    assert json.loads((tmp_path / "b.json").read_text()) == {
        "schemaVersion": 1,
        "label": "carbon",
        "message": f"{kg:g} kg of 30 kg / month",
        "color": colour,
    }


def test_badge_without_a_window_sums_the_last_days(tmp_path: Path) -> None:
    _spend(tmp_path, 1.2)
    with open_ledger(str(tmp_path / "l.db")) as ledger:  # outside the 30 days: not counted
        ledger.insert_many([make_record(recorded_at=datetime(2020, 1, 1, tzinfo=timezone.utc))])
    done = greengate("badge", "--ledger", "l.db", "-o", "b.json", "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "b.json").read_text())["message"] == "1.2 kg / 30 days"
    assert done.stdout == "wrote b.json: carbon | 1.2 kg / 30 days (blue)\n"


def test_badge_bad_input(tmp_path: Path) -> None:
    done = greengate("badge", "--ledger", "l.db", "-o", "nowhere/b.svg", cwd=tmp_path)
    assert done.returncode == 2 and "cannot write the badge to nowhere/b.svg" in done.stderr
    done = greengate("badge", "--ledger", "l.db", "-o", "b.svg", "--days", "0", cwd=tmp_path)
    assert done.returncode == 2 and "--days" in done.stderr


@pytest.mark.parametrize("kwh", ["1e-16", "3e-300"])
def test_report_html_of_a_tiny_imported_run_finishes(tmp_path: Path, kwh: str) -> None:
    (tmp_path / "emissions.csv").write_text(
        "timestamp,project_name,run_id,duration,emissions,energy_consumed,country_iso_code\n"
        f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%S},train,r1,60,{kwh},{kwh},FRA\n"
    )
    imported = greengate("ledger", "import", "emissions.csv", "--ledger", "l.db", cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    done = subprocess.run(
        [sys.executable, "-m", "greengate", "report", "--ledger", "l.db", "--html", "r.html"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "<svg" in (tmp_path / "r.html").read_text()
