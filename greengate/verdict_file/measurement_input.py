"""Measurements made elsewhere, for ``greengate check --measurement FILE``.

Two formats, told apart by content: a greengate verdict (JSON) and codecarbon's
``emissions.csv``. Every problem becomes a MeasurementFileError naming the file and the
line (or JSON path) and saying what to do.
"""

from __future__ import annotations

import json
import math
from typing import NoReturn

import jsonschema
from jsonschema.exceptions import best_match

from greengate.errors import MeasurementFileError
from greengate.files import emissions_csv
from greengate.files.emissions_csv import EmissionsRow
from greengate.files.json_text import JsonInputError, load_json
from greengate.files.user_file import UserFileError, read_user_file
from greengate.measurement import (
    Component,
    ComponentEnergy,
    GridIntensity,
    Measurement,
    Scope,
)
from greengate.units import MAX_AMOUNT, format_energy, significant
from greengate.verdict import READABLE_SCHEMA_VERSIONS
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_schema

CSV_SOURCE = emissions_csv.SOURCE
_WHAT = "a greengate verdict JSON or a codecarbon emissions.csv"
# A verdict is a few KiB; an emissions.csv gains a row of ~1 KiB per tracked run.
MAX_MEASUREMENT_BYTES = 64 << 20
_COMPONENT_COLUMNS = (
    (Component.CPU, "cpu_energy"),
    (Component.MEMORY, "ram_energy"),
    (Component.GPU, "gpu_energy"),
)
_REQUIRED = ("cpu_energy", "ram_energy", "gpu_energy", "energy_consumed", "emissions")
# codecarbon's energies already include its own PUE (EmissionsTracker(pue=...)).
_PUE = 1.0


def read_measurement(path: str) -> Measurement:
    """The measurement in ``path``: a verdict's, or the last row of an emissions.csv."""
    text = _read_text(path)
    start = text.lstrip()
    if not start:
        _fail(path, "the file is empty", hint=f"pass {_WHAT}")
    if start[0] in "{[":
        return _from_verdict(path, text)
    return _from_codecarbon_csv(path, text)


def _fail(where: str, message: str, *, hint: str) -> NoReturn:
    raise MeasurementFileError(f"{where}: {message}", hint=hint)


def _read_text(path: str) -> str:
    try:
        data = read_user_file(path, limit=MAX_MEASUREMENT_BYTES)
    except UserFileError as e:
        hints = {
            "missing": f"check the path; pass {_WHAT}",
            "not-regular": f"pass {_WHAT}: a regular file",
            "too-large": f"pass {_WHAT}; a verdict or emissions.csv is far smaller",
        }
        _fail(path, e.reason, hint=hints.get(e.problem, "check the file's permissions"))
    return emissions_csv.decode(path, data, hint=f"pass {_WHAT}")


# --- greengate verdict -------------------------------------------------------------------


def _from_verdict(path: str, text: str) -> Measurement:
    try:
        data = load_json(text)
    except json.JSONDecodeError as e:
        _fail(f"{path}:{e.lineno}:{e.colno}", f"invalid JSON: {e.msg}", hint=f"pass {_WHAT}")
    except JsonInputError as e:
        _fail(path, f"refused: {e}", hint="pass the verdict file greengate wrote, unedited")
    if not isinstance(data, dict) or "schema_version" not in data:
        _fail(
            path,
            "is JSON but not a greengate verdict (it has no schema_version)",
            hint="pass the verdict file written by `greengate run --verdict FILE`",
        )
    if data["schema_version"] not in READABLE_SCHEMA_VERSIONS:
        _fail(
            path,
            f"verdict schema version {data['schema_version']!r}; this greengate reads "
            f"{', '.join(map(repr, READABLE_SCHEMA_VERSIONS[:-1]))} and "
            f"{READABLE_SCHEMA_VERSIONS[-1]!r}",
            hint="check it with the greengate version that wrote it",
        )
    error = best_match(jsonschema.Draft202012Validator(verdict_schema()).iter_errors(data))
    if error is not None:
        _fail(
            f"{path}::{error.json_path}",
            _shorten(error.message),
            hint="the verdict was edited or damaged; use the file greengate wrote "
            "(schema: greengate/schemas/verdict.schema.json)",
        )
    try:
        measurement = verdict_from_dict(data).measurement
    except ValueError as e:  # what the schema cannot see, e.g. a 13th month in a timestamp
        _fail(path, f"not a valid verdict: {e}", hint="use the verdict file greengate wrote")
    if measurement is None:
        reasons = "; ".join(data["reasons"]) or "no reason given"
        _fail(
            path,
            f"the verdict has no measurement (status {data['status']}: {reasons})",
            hint="the run that wrote it could not measure; fix that run, or pass its "
            "codecarbon emissions.csv instead",
        )
    _refuse_huge(path, measurement)
    return measurement


def _refuse_huge(path: str, measurement: Measurement) -> None:
    """A figure past units.MAX_AMOUNT is refused here, where it enters (issue 20): 1e308 kWh
    at any intensity is an infinite emission, which no report or JSON can carry."""
    figures = {
        "energy": (measurement.energy_kwh, "kWh"),
        "grid intensity": (measurement.intensity.g_per_kwh, "g/kWh"),
        "emissions": (measurement.emissions_kg, "kg"),
    }
    for name, (value, unit) in figures.items():
        if not (math.isfinite(value) and 0 <= value <= MAX_AMOUNT):
            _fail(
                path,
                f"the measurement's {name} is {value:g} {unit}, not a figure from 0 to 1e15 {unit}",
                hint="the verdict was edited or damaged; use the file greengate wrote",
            )


def _shorten(message: str, limit: int = 200) -> str:
    # jsonschema quotes the offending instance, which can be a whole object.
    return message if len(message) <= limit else message[: limit - 3] + "..."


# --- codecarbon emissions.csv ------------------------------------------------------------


def _from_codecarbon_csv(path: str, text: str) -> Measurement:
    table = emissions_csv.parse(path, text)
    missing = table.missing(_REQUIRED)
    if len(missing) == len(_REQUIRED):
        _fail(
            f"{path}:1",
            "neither a greengate verdict (JSON) nor a codecarbon emissions.csv "
            f"(no {', '.join(_REQUIRED)} columns)",
            hint=f"pass {_WHAT}",
        )
    if missing:
        _fail(
            f"{path}:1",
            f"the header lacks the column(s) {', '.join(missing)} codecarbon writes",
            hint="pass an emissions.csv written by codecarbon 2 or later, unedited",
        )
    if not table.rows:
        _fail(
            path,
            "has a header but no rows",
            hint="codecarbon writes a row when its tracker stops; check that the measured "
            "run finished",
        )
    row = table.rows[-1]
    values = {name: row.amount(name) for name in _REQUIRED}
    return _csv_measurement(path, row, values, row_count=len(table.rows))


def _csv_measurement(
    path: str, row: EmissionsRow, values: dict[str, float], *, row_count: int
) -> Measurement:
    notes: list[str] = []
    line = row.line
    if row_count > 1:
        notes.append(
            f"{path} holds {row_count} runs; used the last one (line {line}"
            + (f", run_id {row.text('run_id')}" if row.text("run_id") else "")
            + ")"
        )
    components = tuple(
        ComponentEnergy(which, values[column], CSV_SOURCE, f"{column} at line {line} of {path}")
        for which, column in _COMPONENT_COLUMNS
        # A GPU line of 0 kWh on every CPU-only runner would only be noise in reports.
        if which is not Component.GPU or values[column] > 0
    )
    consumed, emissions = values["energy_consumed"], values["emissions"]
    g_per_kwh = emissions_csv.grid_intensity(row, emissions, consumed)
    if g_per_kwh is None:
        g_per_kwh = 0.0
        notes.append(
            "codecarbon recorded no energy, so its grid intensity is unknown; runs under "
            "about 15 s often read zero (mlco2/codecarbon#851)"
        )
    total = sum(c.kwh for c in components)
    if not math.isclose(total, consumed, rel_tol=0.01, abs_tol=1e-12):
        notes.append(
            f"energy_consumed {format_energy(consumed)} differs from cpu+ram+gpu "
            f"{format_energy(total)}; "
            "greengate uses the components"
        )
    pue = _optional_number(row, "pue")
    if pue is not None and pue != 1.0:
        notes.append(f"codecarbon already applied a PUE of {significant(pue)} to these energies")
    parts = (row.text("country_iso_code"), row.text("region"))
    intensity = GridIntensity(g_per_kwh, CSV_SOURCE, "/".join(p for p in parts if p) or None)
    # codecarbon's tracking_mode is the figure's scope: machine (its default) or process. The
    # summary says it, so its figure is not read as greengate run's process scope (issue 19).
    scope = {"machine": Scope.MACHINE, "process": Scope.PROCESS}.get(row.text("tracking_mode"))
    return Measurement(
        components=components,
        pue=_PUE,
        intensity=intensity,
        usage=None,
        source=CSV_SOURCE,
        notes=tuple(notes),
        scope=scope,
    )


def _optional_number(row: EmissionsRow, column: str) -> float | None:
    """An informative column (``pue``): its amount, or None where it is blank or unreadable."""
    try:
        return row.amount(column) if row.text(column) else None
    except MeasurementFileError:
        return None
