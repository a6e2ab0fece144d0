"""One reading of codecarbon's emissions.csv: ``check --measurement`` and ``ledger import`` agree.

Each file below goes through both commands as real processes (issue 20: ``import`` refused
a byte-order mark that ``check`` read, ``check`` read ``1_000`` and Arabic-Indic digits that
``import`` refused, and an import of 1e300 kg over 1e-300 kWh stored an infinite intensity).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Greengate

HEADER = "timestamp,project_name,run_id,emissions,cpu_energy,gpu_energy,ram_energy,energy_consumed"
GOOD = {
    "timestamp": "2025-03-14T09:27:53",
    "project_name": "train",
    "run_id": "r1",
    "emissions": "0.0019",
    "cpu_energy": "0.004",
    "gpu_energy": "0",
    "ram_energy": "0.001",
    "energy_consumed": "0.005",
}


def _file(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "emissions.csv"
    path.write_bytes(data)
    return path


def _row(**values: str) -> str:
    return ",".join({**GOOD, **values}.values())


def _both(greengate: Greengate, tmp_path: Path, path: Path) -> tuple[object, object]:
    (tmp_path / "greengate.yml").write_text(
        "version: 1\nbudgets:\n  - name: all\n    max_emissions: 1 t\n"
    )
    check = greengate("check", "--measurement", str(path))
    imported = greengate("ledger", "import", str(path), env={"GREENGATE_LEDGER": "l.db"})
    return check, imported


def test_a_byte_order_mark_is_read_by_both(greengate: Greengate, tmp_path: Path) -> None:
    path = _file(tmp_path, b"\xef\xbb\xbf" + f"{HEADER}\n{_row()}\n".encode())
    check, imported = _both(greengate, tmp_path, path)
    assert check.returncode == 0, check.stderr  # type: ignore[attr-defined]
    assert imported.returncode == 0, imported.stderr  # type: ignore[attr-defined]
    assert imported.stdout.decode().strip() == f"imported 1 run from {path}"  # type: ignore[attr-defined]
    m = json.loads((tmp_path / "greengate-verdict.json").read_text())["measurement"]
    assert m["emissions_kg"] == pytest.approx(0.0019)


@pytest.mark.parametrize(
    ("column", "value", "problem"),
    [
        ("energy_consumed", "1_000", "column energy_consumed is not a number: '1_000'"),
        ("emissions", "\u0663", "column emissions is not a number: '\u0663'"),  # Arabic-Indic 3
        ("cpu_energy", "\uff15", "column cpu_energy is not a number: '\uff15'"),  # full-width 5
        ("emissions", "nan", "column emissions is not a number: 'nan'"),
        ("energy_consumed", "1e999", "column energy_consumed must be a finite number >= 0"),
        ("emissions", "-1", "column emissions must be a finite number >= 0, not -1"),
    ],
)
def test_numbers_that_are_not_ascii_amounts_are_refused_by_both(
    greengate: Greengate, tmp_path: Path, column: str, value: str, problem: str
) -> None:
    path = _file(tmp_path, f"{HEADER}\n{_row(**{column: value})}\n".encode())
    for result in _both(greengate, tmp_path, path):
        assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
        assert f"{path}:2: {problem}" in result.stderr  # type: ignore[attr-defined]
        assert "internal error" not in result.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "l.db").exists() or _runs(greengate, tmp_path) == ""


def _runs(greengate: Greengate, tmp_path: Path) -> str:
    out = greengate("ledger", "list", env={"GREENGATE_LEDGER": "l.db"})
    return out.stdout.decode().strip()


def test_an_intensity_no_grid_has_is_refused_by_both(greengate: Greengate, tmp_path: Path) -> None:
    huge = _row(emissions="1e300", cpu_energy="1e-300", ram_energy="0", energy_consumed="1e-300")
    path = _file(tmp_path, f"{HEADER}\n{huge}\n".encode())
    for result in _both(greengate, tmp_path, path):
        assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
        assert "must be a finite number" in result.stderr  # type: ignore[attr-defined]
    # Amounts each within bounds whose ratio is not an intensity: refused too, with the why.
    ratio = _row(emissions="1000", cpu_energy="1e-300", ram_energy="0", energy_consumed="1e-300")
    path = _file(tmp_path, f"{HEADER}\n{ratio}\n".encode())
    for result in _both(greengate, tmp_path, path):
        assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
        assert "is not a grid intensity" in result.stderr  # type: ignore[attr-defined]
    export = greengate("ledger", "export", "--format", "json", env={"GREENGATE_LEDGER": "l.db"})
    assert "Infinity" not in export.stdout.decode() and "NaN" not in export.stdout.decode()


def test_a_short_row_and_emissions_without_energy_are_refused_by_both(
    greengate: Greengate, tmp_path: Path
) -> None:
    path = _file(tmp_path, f"{HEADER}\n{_row()}\n2025-03-14T10:00:00,train\n".encode())
    for result in _both(greengate, tmp_path, path):
        assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
        assert f"{path}:3: the row has 2 fields, the header 8" in result.stderr  # type: ignore[attr-defined]
    zero = _row(emissions="0.5", cpu_energy="0", ram_energy="0", energy_consumed="0")
    path = _file(tmp_path, f"{HEADER}\n{zero}\n".encode())
    for result in _both(greengate, tmp_path, path):
        assert result.returncode == 2, result.stderr  # type: ignore[attr-defined]
        assert "cannot both be right" in result.stderr  # type: ignore[attr-defined]
