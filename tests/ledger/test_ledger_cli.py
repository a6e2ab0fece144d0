"""``greengate ledger`` and ``greengate report`` through the real console script."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from test_ledger_backends import T0, make_record

from greengate.ledger.interface import open_ledger


def greengate(*args: str, ledger: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greengate", *args, "--ledger", str(ledger)],
        capture_output=True,
        text=True,
        check=False,
    )


def _fill(path: Path) -> None:
    with open_ledger(str(path)) as ledger:
        ledger.insert_many(
            [
                make_record(recorded_at=T0, commit="a"),
                make_record(recorded_at=T0 + timedelta(days=1), commit="a", rerun=True),
                make_record(recorded_at=T0 + timedelta(days=2), job="lint", branch="dev"),
                make_record(recorded_at=T0 - timedelta(days=200)),
            ]
        )


def test_list_filters(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    _fill(db)
    out = greengate("ledger", "list", "--branch", "main", "--since", "2026-07-01", ledger=db)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 3 and lines[2].endswith("rerun")


def test_list_has_a_header_and_aligned_columns(tmp_path: Path) -> None:
    # issue 19: rows of unaligned words, no header, energy shown as 0.00115 mWh.
    db = tmp_path / "l.db"
    with open_ledger(str(db)) as ledger:
        ledger.insert_many(
            [
                make_record(recorded_at=T0, energy_kwh=1.15e-9, emissions_kg=6.4e-11),
                make_record(
                    recorded_at=T0 + timedelta(hours=1),
                    job="integration-tests",
                    branch="feature/long-name",
                    energy_kwh=2.5,
                    emissions_kg=1.25,
                    rerun=True,
                ),
            ]
        )
    out = greengate("ledger", "list", ledger=db)
    assert out.returncode == 0, out.stderr
    header, *rows = out.stdout.splitlines()
    names = ["recorded (UTC)", "status", "repository", "branch", "job", "energy", "emissions"]
    assert [n.strip() for n in header.split("  ") if n.strip()] == names
    assert "1.15 µWh" in rows[0] and "64 ng CO2e" in rows[0]
    assert "2.5 kWh" in rows[1] and "1.25 kg CO2e" in rows[1] and rows[1].endswith("rerun")
    for name in ("status", "repository", "branch", "job"):  # left-aligned: starts line up
        column = header.index(name)
        assert all(row[column - 1] == " " and row[column] != " " for row in rows), name
    for name in ("energy", "emissions"):  # right-aligned: the units end in one column
        end = header.index(name) + len(name)
        assert all(row[end - 1] != " " and row[end : end + 1] in ("", " ") for row in rows), name
    empty = greengate("ledger", "list", "--job", "none", ledger=db)
    assert empty.stdout == "no runs recorded for this selection\n"


def test_export_csv_and_json_with_totals(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    _fill(db)
    out = greengate("ledger", "export", "--format", "csv", "--period", "2026-Q3", ledger=db)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["row"] for r in rows].count("run") == 3
    repo_total = next(r for r in rows if r["row"] == "total" and not r["branch"])
    assert float(repo_total["emissions_kg"]) == 3.0
    data = json.loads(greengate("ledger", "export", "--format", "json", ledger=db).stdout)
    assert len(data["runs"]) == 4 and "location-based" in data["basis"]


def test_import_codecarbon_csv_and_prune(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    source = tmp_path / "emissions.csv"
    source.write_text(
        "timestamp,project_name,run_id,duration,emissions,energy_consumed,country_iso_code\n"
        "2026-07-02T10:00:00,train,r1,60,0.5,1.0,FRA\n"
        "2020-01-02T10:00:00,train,r0,60,0.25,0.5,FRA\n"
    )
    out = greengate("ledger", "import", str(source), "--branch", "main", ledger=db)
    assert out.stdout.strip() == f"imported 2 runs from {source}"
    with open_ledger(str(db)) as ledger:
        first = ledger.records()[-1]
    assert (first.job, first.emissions_kg, first.intensity_g_per_kwh) == ("train", 0.5, 500.0)
    assert greengate("ledger", "prune", "--older-than", "400d", ledger=db).stdout.startswith(
        "pruned 1 run recorded before"
    )


def test_an_import_marks_no_reruns_as_codecarbon_has_no_commit(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    source = tmp_path / "emissions.csv"
    source.write_text(
        "timestamp,project_name,run_id,duration,emissions,energy_consumed\n"
        "2026-07-02T10:00:00,train,r1,60,0.5,1.0\n"
    )
    for _ in range(2):  # the same row twice: nothing says it is the same work
        greengate("ledger", "import", str(source), "--repository", "acme/model", ledger=db)
    with open_ledger(str(db)) as ledger:
        assert [(r.commit, r.rerun) for r in ledger.records()] == [(None, False)] * 2


def test_import_refuses_another_csv(tmp_path: Path) -> None:
    source = tmp_path / "other.csv"
    source.write_text("a,b\n1,2\n")
    out = greengate("ledger", "import", str(source), ledger=tmp_path / "l.db")
    assert out.returncode == 2 and "not a codecarbon emissions.csv" in out.stderr


def test_report_shows_totals_top_jobs_trend_and_waste(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    _fill(db)
    out = greengate("report", "--period", "2026", ledger=db)
    assert out.returncode == 0, out.stderr
    for text in ("3 kg CO2e", "rerun waste", "1 kg CO2e (33%)", "train", "2026-07"):
        assert text in out.stdout


def test_report_fits_80_columns_in_a_ci_log_and_cuts_nothing(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    repository = "an-organisation-with-a-long-name/a-repository-with-a-long-name"
    job = "integration-tests-against-postgres-on-a-long-matrix (3.12, ubuntu-latest)"
    with open_ledger(str(db)) as ledger:
        ledger.insert_many([make_record(recorded_at=T0, repository=repository, job=job)])
    # A pipe, as a CI log is: no terminal, so the width is COLUMNS (or 80 without it).
    out = subprocess.run(
        [sys.executable, "-m", "greengate", "report", "--ledger", str(db)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in out.stdout
    assert f"{repository} {job}: 1 kg CO2e, 2 kWh in 1 run" in " ".join(out.stdout.split())
    assert "  runs         1" in lines


def test_a_bad_period_is_a_usage_error(tmp_path: Path) -> None:
    out = greengate("report", "--period", "2026-Q5", ledger=tmp_path / "l.db")
    assert out.returncode == 2 and "2026-Q3" in out.stderr
