"""codecarbon's ``emissions.csv`` as ledger records (``greengate ledger import``).

Read by greengate.files.emissions_csv, the reader ``check --measurement`` uses too: the same
file is accepted or refused by both, for the same reason.
"""

from __future__ import annotations

from greengate.errors import MeasurementFileError
from greengate.files import emissions_csv
from greengate.files.emissions_csv import EmissionsRow
from greengate.files.user_file import UserFileError, read_user_file
from greengate.iso_time import parse_iso
from greengate.ledger.records import LedgerRecord
from greengate.ledger.rows import utc
from greengate.verdict import Status

REQUIRED = ("timestamp", "emissions", "energy_consumed")
MAX_IMPORT_BYTES = 256 << 20  # some 250 000 rows of codecarbon's ~1 KiB each
_HINT = "import the emissions.csv that codecarbon's EmissionsTracker writes"


def _record(row: EmissionsRow, branch: str | None, repository: str | None) -> LedgerRecord:
    energy = row.amount("energy_consumed")  # kWh
    emissions = row.amount("emissions")  # kg CO2e
    intensity = emissions_csv.grid_intensity(row, emissions, energy)
    try:
        recorded_at = utc(parse_iso(row.text("timestamp")))
    except (ValueError, OverflowError) as e:  # 9999-12-31T23:00-05:00 is past year 9999 in UTC
        emissions_csv.fail(row.where, f"column timestamp: {e}")
    return LedgerRecord(
        recorded_at=recorded_at,
        repository=repository,
        workflow=None,
        job=row.text("project_name") or None,
        branch=branch,
        base_branch=None,
        commit=None,  # not in codecarbon's CSV: an import cannot mark reruns
        run_id=row.text("run_id") or None,
        run_attempt=None,
        energy_kwh=energy,
        emissions_kg=emissions,
        intensity_g_per_kwh=0.0 if intensity is None else intensity,
        status=Status.PASS,  # not gated: a measurement made elsewhere
        source=emissions_csv.SOURCE,
        grid_zone=row.text("country_iso_code").upper() or None,
        scope="machine" if row.text("tracking_mode") == "machine" else None,
    )


def read_emissions_csv(
    path: str, *, branch: str | None = None, repository: str | None = None
) -> list[LedgerRecord]:
    """Every row of a codecarbon emissions.csv; the project name becomes the job."""
    try:
        data = read_user_file(path, limit=MAX_IMPORT_BYTES)
    except UserFileError as e:
        raise MeasurementFileError(e.message, hint=_HINT) from None
    table = emissions_csv.parse(path, emissions_csv.decode(path, data, hint=_HINT))
    missing = table.missing(REQUIRED)
    if missing:
        raise MeasurementFileError(
            f"{path}: not a codecarbon emissions.csv (no {', '.join(missing)} column)",
            hint=_HINT,
        )
    return [_record(row, branch, repository) for row in table.rows]
