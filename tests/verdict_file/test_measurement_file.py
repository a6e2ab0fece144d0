"""``greengate check --measurement FILE``: a verdict JSON or codecarbon's emissions.csv."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest
from factories import error_verdict, failing_verdict, make_measurement, passing_verdict

from greengate.errors import MeasurementFileError
from greengate.measurement import Component, ComponentEnergy, GridIntensity, Measurement, Scope
from greengate.verdict_file.measurement_input import CSV_SOURCE, read_measurement
from greengate.verdict_file.verdict_json import verdict_to_dict, verdict_to_json, write_verdict

# The header codecarbon 3.3 writes (EmissionsData field order).
HEADER = (
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,"
    "cpu_power,gpu_power,ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,"
    "water_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,"
    "python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,"
    "latitude,ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,"
    "ram_utilization_percent,ram_used_gb,on_cloud,pue,wue"
)


def row(**values: str) -> str:
    """A data row for HEADER: a 60-second CPU-only run in Germany, with overrides."""
    fields = {
        "timestamp": "2025-03-14T09:27:53",
        "project_name": "codecarbon",
        "run_id": "5b0fa12a-3dd7-45bb-9766-cc326314d9f1",
        "experiment_id": "5b0fa12a-3dd7-45bb-9766-cc326314d9f1",
        "duration": "60.2",
        "emissions": "0.0019",
        "emissions_rate": "3.2e-05",
        "cpu_power": "42.5",
        "gpu_power": "0.0",
        "ram_power": "10.0",
        "cpu_energy": "0.004",
        "gpu_energy": "0",
        "ram_energy": "0.001",
        "energy_consumed": "0.005",
        "water_consumed": "0.0",
        "country_name": "Germany",
        "country_iso_code": "DEU",
        "region": "",
        "cloud_provider": "",
        "cloud_region": "",
        "os": "Linux-6.8.0-x86_64-with-glibc2.39",
        "python_version": "3.11.7",
        "codecarbon_version": "3.3.2",
        "cpu_count": "4",
        "cpu_model": "AMD EPYC 7763 64-Core Processor",
        "gpu_count": "",
        "gpu_model": "",
        "longitude": "",
        "latitude": "",
        "ram_total_size": "15.6",
        "tracking_mode": "process",
        "cpu_utilization_percent": "97.0",
        "gpu_utilization_percent": "0.0",
        "ram_utilization_percent": "22.0",
        "ram_used_gb": "3.4",
        "on_cloud": "N",
        "pue": "1.0",
        "wue": "0.0",
    }
    fields.update(values)
    assert list(fields) == HEADER.split(",")
    return ",".join(fields.values())


def write(tmp_path: Path, name: str, text: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return str(path)


def csv_file(tmp_path: Path, *rows: str, name: str = "emissions.csv") -> str:
    return write(tmp_path, name, "\n".join((HEADER, *rows)) + "\n")


def error_for(path: str) -> MeasurementFileError:
    with pytest.raises(MeasurementFileError) as info:
        read_measurement(path)
    return info.value


# --- codecarbon emissions.csv ----------------------------------------------------------------


def test_reads_a_codecarbon_csv(tmp_path: Path) -> None:
    path = csv_file(tmp_path, row())
    m = read_measurement(path)
    assert m == Measurement(
        components=(
            ComponentEnergy(Component.CPU, 0.004, CSV_SOURCE, f"cpu_energy at line 2 of {path}"),
            ComponentEnergy(Component.MEMORY, 0.001, CSV_SOURCE, f"ram_energy at line 2 of {path}"),
        ),
        pue=1.0,
        intensity=GridIntensity(pytest.approx(380.0), CSV_SOURCE, "DEU", None),  # type: ignore[arg-type]
        usage=None,
        source=CSV_SOURCE,
        notes=(),
        scope=Scope.PROCESS,  # its tracking_mode column
    )
    assert m.energy_kwh == pytest.approx(0.005)
    assert m.emissions_kg == pytest.approx(0.0019)


def test_uses_the_last_row_and_says_so(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        row(run_id="old", emissions="9", energy_consumed="1", cpu_energy="1", ram_energy="0"),
        "",
        row(run_id="new"),
    )
    m = read_measurement(path)
    assert m.energy_kwh == pytest.approx(0.005)
    assert m.notes == (f"{path} holds 2 runs; used the last one (line 4, run_id new)",)


def test_gpu_and_region(tmp_path: Path) -> None:
    path = csv_file(
        tmp_path,
        row(
            gpu_energy="0.01",
            energy_consumed="0.015",
            emissions="0.003",
            country_iso_code="USA",
            region="california",
        ),
    )
    m = read_measurement(path)
    assert [c.component for c in m.components] == [Component.CPU, Component.MEMORY, Component.GPU]
    assert m.intensity.zone == "USA/california"
    assert m.intensity.g_per_kwh == pytest.approx(200.0)


def test_detects_the_csv_by_content_whatever_the_name(tmp_path: Path) -> None:
    path = csv_file(tmp_path, row(), name="measurement.json")
    assert read_measurement(path).source == CSV_SOURCE


def test_a_byte_order_mark_and_crlf_lines_are_fine(tmp_path: Path) -> None:
    text = "\ufeff" + HEADER + "\r\n" + row() + "\r\n"
    path = write(tmp_path, "emissions.csv", text.encode("utf-8"))
    assert read_measurement(path).energy_kwh == pytest.approx(0.005)


def test_notes_for_zero_energy_mismatched_totals_and_codecarbon_pue(tmp_path: Path) -> None:
    zero = row(cpu_energy="0", ram_energy="0", energy_consumed="0", emissions="0")
    m = read_measurement(csv_file(tmp_path, zero))
    assert m.intensity.g_per_kwh == 0.0
    assert "codecarbon recorded no energy" in m.notes[0]

    odd = row(energy_consumed="0.010", emissions="0.0038", pue="1.2")
    m = read_measurement(csv_file(tmp_path, odd))
    assert m.notes == (
        "energy_consumed 10 Wh differs from cpu+ram+gpu 5 Wh; greengate uses the components",
        "codecarbon already applied a PUE of 1.2 to these energies",
    )


# --- greengate verdict -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["verdict.json", "verdict.csv"])
def test_reads_the_measurement_of_a_verdict(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    write_verdict(failing_verdict(), path)
    assert read_measurement(str(path)) == failing_verdict().measurement


def test_reads_a_verdict_without_usage(tmp_path: Path) -> None:
    verdict = dataclasses.replace(passing_verdict(), measurement=make_measurement(usage=None))
    path = write(tmp_path, "v.json", verdict_to_json(verdict))
    assert read_measurement(path) == verdict.measurement


# --- every bad input -----------------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.csv")
    error = error_for(path)
    assert error.message == f"{path}: no such file"
    assert error.hint and "emissions.csv" in error.hint


def test_directory(tmp_path: Path) -> None:
    assert error_for(str(tmp_path)).message == f"{tmp_path}: is a directory, not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = csv_file(tmp_path, row())
    os.chmod(path, 0)
    assert error_for(path).message == f"{path}: cannot read: Permission denied"


@pytest.mark.parametrize("text", ["", "  \n\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "emissions.csv", text)
    assert error_for(path).message == f"{path}: the file is empty"


def test_not_utf8(tmp_path: Path) -> None:
    data = (HEADER + "\n").encode() + row(country_name="Deutschland").encode() + b"\xff\n"
    path = write(tmp_path, "emissions.csv", data)
    error = error_for(path)
    assert error.message.startswith(f"{path}:2: not UTF-8 text (byte 0xff at offset ")


def test_header_without_rows(tmp_path: Path) -> None:
    path = csv_file(tmp_path)
    error = error_for(path)
    assert error.message == f"{path}: has a header but no rows"
    assert error.hint and "tracker stops" in error.hint


def test_missing_required_column(tmp_path: Path) -> None:
    header = HEADER.replace(",energy_consumed,", ",energy,")
    path = write(tmp_path, "emissions.csv", f"{header}\n{row()}\n")
    error = error_for(path)
    assert error.message == (
        f"{path}:1: the header lacks the column(s) energy_consumed codecarbon writes"
    )


def test_a_csv_that_is_not_codecarbons(tmp_path: Path) -> None:
    path = write(tmp_path, "data.csv", "name,value\nx,1\n")
    error = error_for(path)
    assert error.message.startswith(
        f"{path}:1: neither a greengate verdict (JSON) nor a codecarbon"
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("abc", "column cpu_energy is not a number: 'abc'"),
        ("", "column cpu_energy is not a number: ''"),
        ("-0.5", "column cpu_energy must be a finite number >= 0, not -0.5"),
        ("nan", "column cpu_energy is not a number: 'nan'"),
        ("inf", "column cpu_energy is not a number: 'inf'"),
        ("1e999", "column cpu_energy must be a finite number >= 0, not 1e999"),
        ("1_000", "column cpu_energy is not a number: '1_000'"),
        ("\u0664", "column cpu_energy is not a number: '\u0664'"),
    ],
)
def test_bad_numbers_name_the_row_and_column(tmp_path: Path, value: str, problem: str) -> None:
    path = csv_file(tmp_path, row(), row(cpu_energy=value))
    error = error_for(path)
    assert error.message == f"{path}:3: {problem}"
    assert error.hint and "rerun codecarbon" in error.hint


def test_a_row_with_too_few_fields(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "2025-03-14T09:27:53,codecarbon,1")
    assert error_for(path).message == f"{path}:2: the row has 3 fields, the header 38"


def test_emissions_without_energy(tmp_path: Path) -> None:
    zero = row(cpu_energy="0", ram_energy="0", energy_consumed="0", emissions="0.1")
    path = csv_file(tmp_path, zero)
    assert "cannot both be right" in error_for(path).message


def test_broken_csv_quoting(tmp_path: Path) -> None:
    path = csv_file(tmp_path, row(project_name='"un"closed"'))
    assert error_for(path).message.startswith(f"{path}:2: not valid CSV: ")


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "v.json", '{\n  "schema_version": "1.0",\n  "status": pass\n}\n')
    assert error_for(path).message == f"{path}:3:13: invalid JSON: Expecting value"


@pytest.mark.parametrize("text", ['[{"status": "pass"}]', '{"status": "pass"}', "{}"])
def test_json_that_is_not_a_verdict(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "v.json", text)
    assert error_for(path).message == (
        f"{path}: is JSON but not a greengate verdict (it has no schema_version)"
    )


def test_a_verdict_of_another_schema_version(tmp_path: Path) -> None:
    data = verdict_to_dict(passing_verdict()) | {"schema_version": "2.0"}
    path = write(tmp_path, "v.json", json.dumps(data))
    assert error_for(path).message == (
        f"{path}: verdict schema version '2.0'; this greengate reads '1.0', '1.1' and '1.2'"
    )


def test_a_damaged_verdict_names_the_json_path(tmp_path: Path) -> None:
    data = verdict_to_dict(passing_verdict())
    data["measurement"]["components"][1]["kwh"] = "lots"
    path = write(tmp_path, "v.json", json.dumps(data))
    error = error_for(path)
    assert (
        error.message == f"{path}::$.measurement.components[1].kwh: 'lots' is not of type 'number'"
    )
    assert error.hint and "verdict.schema.json" in error.hint


def test_a_verdict_without_measurement(tmp_path: Path) -> None:
    # Greengate before 1.2 wrote ERROR verdicts without a measurement.
    old = verdict_to_dict(error_verdict()) | {"measurement": None, "reasons": ["no /proc"]}
    path = write(tmp_path, "v.json", json.dumps(old))
    error = error_for(path)
    assert error.message == f"{path}: the verdict has no measurement (status error: no /proc)"
    assert error.hint and "emissions.csv" in error.hint


def test_neither_json_nor_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "greengate.yml", "version: 1\nbudgets: []\n")
    assert "neither a greengate verdict (JSON) nor a codecarbon" in error_for(path).message


def test_a_verdict_with_an_impossible_date(tmp_path: Path) -> None:
    data = verdict_to_dict(passing_verdict())
    data["command"]["started_at"] = "2025-13-01T00:00:00+00:00"
    path = write(tmp_path, "v.json", json.dumps(data))
    assert error_for(path).message.startswith(f"{path}: not a valid verdict: month must be")


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("kwh", 1e308, "energy is inf kWh"),  # the components sum past a float
        ("kwh", 2e15, "energy is 4.4e+15 kWh"),  # two components, PUE 1.1
        ("g_per_kwh", 1e300, "grid intensity is 1e+300 g/kWh"),
    ],
)
def test_a_verdict_with_figures_no_output_can_carry_is_refused(
    tmp_path: Path, field: str, value: float, problem: str
) -> None:
    """Issue 20: 1e308 kWh in a verdict gave infinite emissions, shown as n/a and judged."""
    data = verdict_to_dict(passing_verdict())
    if field == "kwh":
        for component in data["measurement"]["components"]:
            component["kwh"] = value
    else:
        data["measurement"]["intensity"]["g_per_kwh"] = value
    path = write(tmp_path, "v.json", json.dumps(data))
    error = error_for(path)
    assert error.message.startswith(f"{path}: the measurement's {problem}, not a figure")
