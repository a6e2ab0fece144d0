"""``greengate check --measurement FILE`` end to end: codecarbon's CSV and greengate's verdict."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import Greengate
from factories import assert_valid_verdict, error_verdict

from greengate.verdict_file.verdict_json import verdict_to_dict

PY = sys.executable

#: One codecarbon run: 4 Wh of CPU and 1 Wh of RAM in Germany, 1.9 g CO2e.
ROW = {
    "timestamp": "2025-03-14T09:27:53",
    "project_name": "codecarbon",
    "run_id": "5b0fa12a-3dd7-45bb-9766-cc326314d9f1",
    "duration": "60.2",
    "emissions": "0.0019",
    "cpu_energy": "0.004",
    "gpu_energy": "0",
    "ram_energy": "0.001",
    "energy_consumed": "0.005",
    "country_name": "Germany",
    "country_iso_code": "DEU",
    "cpu_model": "AMD EPYC 7763 64-Core Processor, 4 threads",  # a comma: quoted
    "pue": "1.0",
}
ROW_ENERGY_KWH = sum(float(ROW[k]) for k in ("cpu_energy", "gpu_energy", "ram_energy"))
ROW_EMISSIONS_KG = float(ROW["emissions"])


def codecarbon_header() -> list[str]:
    """The columns codecarbon writes, in its order: the fields of its EmissionsData."""
    from codecarbon.output_methods.emissions_data import EmissionsData

    return [f.name for f in dataclasses.fields(EmissionsData)]


def emissions_csv(path: Path, *rows: dict[str, str]) -> str:
    header = codecarbon_header()
    assert set(ROW) <= set(header)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, restval="", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows or [ROW])
    path.write_text(buffer.getvalue())
    return path.name


def policy(tmp_path: Path, limit_g: float, extra: str = "") -> None:
    """A policy with no grid, so the measurement keeps its own intensity."""
    text = f"version: 1\nbudgets:\n  - name: the job\n    max_emissions: {limit_g!r} g\n{extra}"
    (tmp_path / "greengate.yml").write_text(text)


def checked(greengate: Greengate, measurement: str, *options: str, **kw: Any) -> Any:
    return greengate("check", "--measurement", measurement, *options, **kw)


# --- codecarbon's emissions.csv -----------------------------------------------------------


@pytest.mark.parametrize(
    ("factor", "extra", "options", "status", "code"),
    [
        (10.0, "", (), "pass", 0),
        (0.1, "", (), "fail", 1),
        (0.1, "", ("--violation-exit-code", "42"), "fail", 42),
        (0.1, "    mode: warn\n", (), "warn", 0),
    ],
    ids=["pass", "fail", "fail-42", "warn-mode"],
)
def test_a_codecarbon_csv_is_judged(
    greengate: Greengate,
    tmp_path: Path,
    factor: float,
    extra: str,
    options: tuple[str, ...],
    status: str,
    code: int,
) -> None:
    policy(tmp_path, ROW_EMISSIONS_KG * 1000 * factor, extra)
    result = checked(greengate, emissions_csv(tmp_path / "emissions.csv"), *options)
    assert result.returncode == code, result.stderr
    verdict = result.verdict()
    assert_valid_verdict(verdict)
    assert (verdict["status"], verdict["command"]) == (status, None)
    m = verdict["measurement"]
    assert m["source"] == "codecarbon emissions.csv"
    assert m["energy_kwh"] == pytest.approx(ROW_ENERGY_KWH)
    assert m["emissions_kg"] == pytest.approx(ROW_EMISSIONS_KG)
    assert result.out == ""  # nothing on stdout outside CI


def test_a_grid_option_replaces_the_csvs_intensity(greengate: Greengate, tmp_path: Path) -> None:
    policy(tmp_path, 1000.0)
    result = checked(greengate, emissions_csv(tmp_path / "emissions.csv"), "--intensity", "200")
    assert result.returncode == 0, result.stderr
    m = result.verdict()["measurement"]
    assert m["emissions_kg"] == pytest.approx(ROW_ENERGY_KWH * 200 / 1000)


def test_the_last_run_of_a_csv_is_used(greengate: Greengate, tmp_path: Path) -> None:
    earlier = {**ROW, "emissions": "0.0038", "cpu_energy": "0.009", "energy_consumed": "0.01"}
    policy(tmp_path, ROW_EMISSIONS_KG * 1000 * 2)
    result = checked(greengate, emissions_csv(tmp_path / "emissions.csv", earlier, ROW))
    assert result.returncode == 0, result.stderr
    assert result.verdict()["measurement"]["energy_kwh"] == pytest.approx(ROW_ENERGY_KWH)


def test_the_measurement_from_the_environment(greengate: Greengate, tmp_path: Path) -> None:
    policy(tmp_path, ROW_EMISSIONS_KG * 1000 / 10)
    name = emissions_csv(tmp_path / "emissions.csv")
    result = greengate("check", "--quiet", env={"GREENGATE_MEASUREMENT": name})
    assert (result.returncode, result.stderr) == (1, "")


# --- a verdict written by greengate run ---------------------------------------------------

RUN_POLICY = """\
version: 1
defaults:
  country: FRA
budgets:
  - name: tiny
    job: tiny
    max_emissions: 1e-9 g
  - name: roomy
    max_emissions: 1 g
"""


@pytest.mark.parametrize(
    ("job", "options", "code"),
    [("other", (), 0), ("tiny", (), 1), ("tiny", ("--violation-exit-code", "42"), 42)],
)
def test_check_of_a_run_verdict_gives_the_runs_verdict_and_exit_code(
    greengate: Greengate, tmp_path: Path, job: str, options: tuple[str, ...], code: int
) -> None:
    (tmp_path / "greengate.yml").write_text(RUN_POLICY)
    same = ("--job", job, "--intensity", "100", *options)
    run = greengate("run", *same, "--verdict", "run.json", "--", PY, "-c", "pass")
    assert run.returncode == code, run.stderr
    check = checked(greengate, "run.json", *same, "--verdict", "check.json")
    assert check.returncode == code, check.stderr
    ran, judged = run.verdict("run.json"), check.verdict("check.json")
    assert_valid_verdict(judged)
    assert judged["status"] == ran["status"]
    assert judged["rule"] == ran["rule"]
    assert judged["command"] is None
    for key in ("energy_kwh", "emissions_kg", "components", "intensity"):
        assert judged["measurement"][key] == ran["measurement"][key], key


# --- files that cannot be judged ----------------------------------------------------------

ERROR_VERDICT = """{"schema_version": "1.0", "status": "error"}"""


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("missing.csv", None, "no such file"),
        ("empty.csv", "", "the file is empty"),
        ("other.json", '{"hello": "world"}', "not a greengate verdict"),
        ("broken.json", '{"schema_version": ', "invalid JSON"),
        ("damaged.json", ERROR_VERDICT, "damaged.json::$"),
        ("table.csv", "a,b,c\n1,2,3\n", "neither a greengate verdict"),
        ("header-only.csv", None, "has a header but no rows"),
    ],
)
def test_a_bad_measurement_file_exits_2_with_a_clear_message(
    greengate: Greengate, tmp_path: Path, name: str, content: str | None, says: str
) -> None:
    policy(tmp_path, 1.0)
    if name == "header-only.csv":
        (tmp_path / name).write_text(",".join(codecarbon_header()) + "\n")
    elif content is not None:
        (tmp_path / name).write_text(content)
    result = checked(greengate, name)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"greengate: error: {name}")
    assert says in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "greengate-verdict.json").exists()


def test_an_error_verdict_has_nothing_to_check(greengate: Greengate, tmp_path: Path) -> None:
    # Older greengates wrote ERROR verdicts without a measurement; check still reads them.
    policy(tmp_path, 1.0)
    old = {**verdict_to_dict(error_verdict()), "schema_version": "1.1", "measurement": None}
    old["limits"] = [{k: v for k, v in c.items() if k != "enforced"} for c in old["limits"]]
    assert_valid_verdict(old)
    (tmp_path / "error.json").write_text(json.dumps(old))
    result = checked(greengate, "error.json")
    assert result.returncode == 2, result.stderr
    assert "the verdict has no measurement (status error" in result.stderr
    assert "Traceback" not in result.stderr
