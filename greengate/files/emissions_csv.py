"""codecarbon's ``emissions.csv``, read one way for ``check --measurement`` and ``ledger import``.

Two readers used to disagree (issue 20): ``import`` refused a UTF-8 byte-order mark that
``check`` skipped, and ``check`` read ``1_000`` and Arabic-Indic digits (Python's float()
does) that ``import`` refused. Here is the one reading: a byte-order mark is skipped, the CSV
is strict, every row has the header's fields, and every amount (in every row) is ASCII digits,
finite, at least 0 and at most units.MAX_AMOUNT; the grid intensity the two give must be one.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

from greengate.errors import MeasurementFileError
from greengate.units import MAX_AMOUNT

SOURCE = "codecarbon emissions.csv"
#: The amounts codecarbon writes: checked in every row where the header has them, so a row
#: one command would refuse is refused by the other, whichever columns it goes on to use.
AMOUNTS = ("emissions", "energy_consumed", "cpu_energy", "gpu_energy", "ram_energy")
DAMAGED = "the file is damaged or was edited; rerun codecarbon"
# What codecarbon writes (repr of a float): ASCII digits, a dot, an exponent. Not "1_000",
# not "٣", not "inf" or "nan", all of which float() reads.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


def fail(where: str, message: str, *, hint: str = DAMAGED) -> NoReturn:
    """Raise the reader's one error: ``where`` is the path, or ``path:line``."""
    raise MeasurementFileError(f"{where}: {message}", hint=hint)


@dataclass(frozen=True)
class EmissionsRow:
    """One data row: its line in the file and its cells by column name."""

    where: str  # path:line
    line: int
    cells: dict[str, str]

    def text(self, column: str) -> str:
        """The cell stripped, or '' when the column is absent."""
        return self.cells.get(column, "").strip()

    def amount(self, column: str) -> float:
        """The cell as a finite amount of at least 0, or MeasurementFileError."""
        raw = self.text(column)
        if not _NUMBER.fullmatch(raw):
            fail(self.where, f"column {column} is not a number: {raw!r}")
        value = float(raw)
        if not 0 <= value <= MAX_AMOUNT:
            fail(self.where, f"column {column} must be a finite number >= 0, not {raw}")
        return value


@dataclass(frozen=True)
class EmissionsTable:
    """The header (names stripped) and the data rows, blank lines left out."""

    path: str
    header: tuple[str, ...]
    rows: tuple[EmissionsRow, ...]

    def missing(self, required: Sequence[str]) -> list[str]:
        """The required columns the header lacks."""
        return [name for name in required if name not in self.header]


def decode(path: str, data: bytes, *, hint: str) -> str:
    """The file's text: UTF-8, a byte-order mark (spreadsheet exports) skipped."""
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as e:
        offset = bom + e.start
        line = data[:offset].count(b"\n") + 1
        fail(
            f"{path}:{line}",
            f"not UTF-8 text (byte 0x{data[offset]:02x} at offset {offset})",
            hint=f"{hint}; re-save the file as UTF-8 if it was converted",
        )


def parse(path: str, text: str) -> EmissionsTable:
    """The table in ``text``: strict CSV, every row as many fields as the header."""
    if "\x00" in text:
        # csv reads a NUL on 3.11 and refuses it on 3.10: refused on every Python, located.
        line = text.count("\n", 0, text.index("\x00")) + 1
        fail(f"{path}:{line}", "holds a NUL character, which no CSV codecarbon writes has")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = tuple(name.strip() for name in next(reader, []))
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as e:
        fail(f"{path}:{reader.line_num}", f"not valid CSV: {e}")
    for line, cells in rows:
        if len(cells) != len(header):
            fail(f"{path}:{line}", f"the row has {len(cells)} fields, the header {len(header)}")
    table = EmissionsTable(
        path,
        header,
        tuple(
            EmissionsRow(f"{path}:{line}", line, dict(zip(header, cells, strict=True)))
            for line, cells in rows
        ),
    )
    present = [column for column in AMOUNTS if column in header]
    both = "emissions" in header and "energy_consumed" in header
    for row in table.rows:
        for column in present:
            row.amount(column)
        if both:
            grid_intensity(row, row.amount("emissions"), row.amount("energy_consumed"))
    return table


def grid_intensity(row: EmissionsRow, emissions_kg: float, energy_kwh: float) -> float | None:
    """g CO2e/kWh of the row's two amounts; None when both are 0 (codecarbon saw no energy)."""
    if energy_kwh > 0:
        g_per_kwh = emissions_kg / energy_kwh * 1000.0
        if not g_per_kwh <= MAX_AMOUNT:  # 1e300 kg over 1e-300 kWh: an infinity, refused
            fail(
                row.where,
                f"emissions {emissions_kg} kg over energy_consumed {energy_kwh} kWh is not a "
                "grid intensity (no grid is above some 2,000 g/kWh)",
            )
        return g_per_kwh
    if emissions_kg > 0:
        fail(
            row.where,
            f"emissions {emissions_kg} kg with energy_consumed 0 kWh cannot both be right",
        )
    return None
