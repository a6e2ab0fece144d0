"""Each figure says its scope where a user reads it, and why a tracker's reads more (issue 19)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import Greengate

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "verdict_file"))
from test_measurement_file import HEADER, row

POLICY = "version: 1\nbudgets:\n  - max_emissions: 1 kg\n"


def method_line(stderr: str) -> str:
    lines = stderr.splitlines()
    return next(line for line in lines if line.strip().startswith("method"))


def test_a_runs_summary_says_process_scope_and_why_a_tracker_reads_more(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    run = greengate("run", "--country", "FRA", "--", "true")
    assert run.returncode == 0, run.stderr
    assert run.verdict()["measurement"]["scope"] == "process"
    said = method_line(run.stderr)
    assert "process scope (the command's share of the machine;" in said
    assert "codecarbon's default also charges idle power and other work, so it reads more" in said


@pytest.mark.parametrize(
    ("mode", "words"), [("machine", "the whole machine"), ("process", "the command's share")]
)
def test_check_says_the_scope_codecarbon_measured_in(
    greengate: Greengate, tmp_path: Path, mode: str, words: str
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    (tmp_path / "emissions.csv").write_text(f"{HEADER}\n{row(tracking_mode=mode)}\n")
    check = greengate("check", "--measurement", "emissions.csv")
    assert check.returncode == 0, check.stderr
    assert check.verdict()["measurement"]["scope"] == mode
    assert f"{mode} scope ({words}" in method_line(check.stderr)
