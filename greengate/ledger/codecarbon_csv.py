"""codecarbon's ``emissions.csv`` as ledger records (``greengate ledger import``)."""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping
from datetime import datetime

from greengate.files.user_file import UserFileError, read_user_file
from greengate.ledger.interface import LedgerError
from greengate.ledger.records import LedgerRecord
from greengate.ledger.rows import utc
from greengate.verdict import Status

REQUIRED = ("timestamp", "emissions", "energy_consumed")
MAX_IMPORT_BYTES = 256 << 20  # some 250 000 rows of codecarbon's ~1 KiB each
# ASCII digits only: float() would also read Arabic-Indic digits, "inf" and "nan" (issue 10).
_NUMBER = re.compile(r"\s*[+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", re.ASCII)


def _amount(row: Mapping[str, str], column: str) -> float:
    text = row[column]
    value = float(text) if _NUMBER.fullmatch(text or "") else math.nan
    if not math.isfinite(value):
        raise ValueError(f"{column} is {text!r}, not a finite amount of at least 0")
    return value


def _record(row: Mapping[str, str], branch: str | None, repository: str | None) -> LedgerRecord:
    energy = _amount(row, "energy_consumed")  # kWh
    emissions = _amount(row, "emissions")  # kg CO2e
    return LedgerRecord(
        recorded_at=utc(datetime.fromisoformat(row["timestamp"])),
        repository=repository,
        workflow=None,
        job=row.get("project_name") or None,
        branch=branch,
        base_branch=None,
        commit=None,  # not in codecarbon's CSV: an import cannot mark reruns
        run_id=row.get("run_id") or None,
        run_attempt=None,
        energy_kwh=energy,
        emissions_kg=emissions,
        intensity_g_per_kwh=emissions / energy * 1000 if energy > 0 else 0.0,
        status=Status.PASS,  # not gated: a measurement made elsewhere
        source="codecarbon emissions.csv",
        grid_zone=(row.get("country_iso_code") or "").strip().upper() or None,
        scope="machine" if row.get("tracking_mode") == "machine" else None,
    )


def read_emissions_csv(
    path: str, *, branch: str | None = None, repository: str | None = None
) -> list[LedgerRecord]:
    """Every row of a codecarbon emissions.csv; the project name becomes the job."""
    try:
        text = read_user_file(path, limit=MAX_IMPORT_BYTES).decode("utf-8")
    except UserFileError as e:
        raise LedgerError(e.message, hint="import the emissions.csv codecarbon wrote") from None
    except UnicodeDecodeError as e:
        raise LedgerError(f"{path}: not UTF-8 text: {e.reason}") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise LedgerError(
                f"{path}: not a codecarbon emissions.csv (no {', '.join(missing)} column)",
                hint="import the emissions.csv that codecarbon's EmissionsTracker writes",
            )
        return [_record(row, branch, repository) for row in reader]
    except ValueError as e:
        raise LedgerError(f"{path}: line {reader.line_num}: {e}") from e
