"""The one CSV writer: every export's text cells are quoted and defused, and read back whole."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import Greengate

from greengate.files import spreadsheet

TEXTS = [
    "plain",
    "a,b",
    'say "hi"',
    "two\nlines",
    "lone\rreturn",
    "crlf\r\nend",
    "=1+1",
    "+SUM(A1)",
    "-2+3",
    "@cmd",
    "\tTAB",
    "\rCR first",
    "'=already quoted",
    "''=twice",
    "'plain apostrophe",
    "",
    " padded ",
]


def test_every_text_round_trips_through_the_stdlib_reader() -> None:
    rows = [("run", t, 1.5, -0.25, None, 7) for t in TEXTS]
    text = spreadsheet.lines(rows)
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert len(read) == len(rows)
    for cells, t in zip(read, TEXTS, strict=True):
        assert cells[0] == "run" and cells[2:] == ["1.5", "-0.25", "", "7"]  # numbers as is
        assert not cells[1].startswith(spreadsheet.FORMULA_STARTS)
        assert spreadsheet.text_of(cells[1]) == t


@pytest.mark.parametrize("t", ["lone\rreturn", "\rCR first", "x\ny"])
def test_a_line_break_in_a_cell_is_always_quoted(t: str) -> None:
    line = spreadsheet.line(("a", t, "b"))
    outside_quotes = "".join(line.split('"')[::2])
    assert "\r" not in outside_quotes and outside_quotes.count("\n") == 1


CODECARBON = "timestamp,project_name,run_id,emissions,energy_consumed,country_iso_code\n"


@pytest.mark.parametrize("form", ["csv", "sci-csv", "esrs-csv"])
def test_exports_of_hostile_job_names_are_rows_a_spreadsheet_reads_whole(
    greengate: Greengate, tmp_path: Path, form: str
) -> None:
    """Issue 20: a CR in a job name split a row, and ``=1+1`` was read as a formula."""
    source = tmp_path / "emissions.csv"
    rows = [
        ("2026-07-02T10:00:00", "=1+1\rinjected", "r1", "0.5", "1.0", "FRA"),
        ("2026-07-02T11:00:00", "@SUM(A1)\nnext", "r2", "0.25", "0.5", "FRA"),
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(rows)
    source.write_text(CODECARBON + buffer.getvalue())
    env = {"GREENGATE_LEDGER": "l.db"}
    imported = greengate("ledger", "import", str(source), "--repository", "-acme", env=env)
    assert imported.returncode == 0, imported.stderr
    out = greengate("ledger", "export", "--format", form, env=env)
    assert out.returncode == 0, out.stderr
    read = list(csv.reader(io.StringIO(out.out, newline="")))
    width = len(read[0])
    assert all(len(cells) == width for cells in read)  # no row split by a line break
    texts = [c for cells in read for c in cells if c and not _number(c)]
    assert not [c for c in texts if c.startswith(spreadsheet.FORMULA_STARTS)]
    assert "\r" not in "".join(out.out.split('"')[::2])


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
