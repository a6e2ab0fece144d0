"""``ledger export`` text: the same bytes as the plain writers, whatever issue 4's speed-up does.

The reference writers below write a row at a time (the one CSV writer, greengate.files.
spreadsheet, on every row; a dict per run through json.dumps(indent=2)); the fast paths must
match them byte for byte, on both backends, for values that need quoting, defusing or
escaping as well as for plain ones. JSON never holds NaN or an infinity (issue 20).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from test_ledger_backends import T0, ledger_url, make_record  # noqa: F401  (fixture)

from greengate.files import spreadsheet
from greengate.files.json_text import JsonOutputError
from greengate.ledger.export import (
    BATCH,
    CSV_FIELDS,
    record_row,
    rows_to_json,
    to_csv,
    to_json,
)
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import LedgerRecord, RecordFilter, Total

ODD_TEXT = (
    "a,b",
    'say "hi"',
    "two\nlines",
    "carriage\rreturn",
    "tab\there",
    "back\\slash",
    "\x01control",
    "=1+1",
    "+cmd",
    "-2",
    "@SUM(A1)",
    "\tlead tab",
    "\rlead cr",
    "'=quoted",
    "del\x7f",
    "été ☃ 🌱",
    "line\u2028separator",
    "None",
    "True",
    "",
    " padded ",
)
FLOATS = (
    0.1,
    1 / 3,
    2.0,
    -0.0,
    1e-7,
    1e16,
    1234567890123456.8,
    5e-324,
    1.7976931348623157e308,
    -12.5,
)


def reference_csv(rows: Iterable[Sequence[Any]], totals: Iterable[Total]) -> str:
    out = io.StringIO()
    out.write(spreadsheet.line(("row", *CSV_FIELDS)))
    for run in rows:
        out.write(spreadsheet.line(run))
    blank: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    for t in totals:
        row = {**blank, "repository": t.repository, "branch": t.branch, "job": t.job}
        row.update(run_id=t.runs, energy_kwh=t.energy_kwh, emissions_kg=t.emissions_kg)
        row.update(rerun=t.reruns)
        out.write(spreadsheet.line(("total", *row.values())))
    return out.getvalue()


def reference_json(
    records: Iterable[LedgerRecord],
    totals: Iterable[Total],
    since: datetime | None,
    until: datetime | None,
) -> str:
    document = {
        "period": {
            "start": since.isoformat() if since else None,
            "end": until.isoformat() if until else None,
        },
        "basis": "scope 2, location-based: each run's energy x its grid's average intensity",
        "units": {"energy": "kWh", "emissions": "kg CO2e"},
        "totals": [t.__dict__ for t in totals],
        "runs": [
            {
                "id": r.id, "recorded_at": r.recorded_at.isoformat(),
                "repository": r.repository, "workflow": r.workflow, "job": r.job,
                "branch": r.branch, "commit": r.commit, "run_id": r.run_id,
                "run_attempt": r.run_attempt, "energy_kwh": r.energy_kwh,
                "emissions_kg": r.emissions_kg, "intensity_g_per_kwh": r.intensity_g_per_kwh,
                "status": r.status, "rerun": r.rerun, "source": r.source,
            }
            for r in records
        ],
    }  # fmt: skip
    return json.dumps(document, indent=2) + "\n"


def odd_records() -> list[LedgerRecord]:
    """Plain runs first, then every kind of value that a writer must quote or escape."""
    plain = [
        make_record(recorded_at=T0 + timedelta(minutes=i), commit=f"{i:040x}", run_id=str(i))
        for i in range(6)
    ]
    unknown = make_record(
        repository=None, workflow=None, job=None, branch=None, commit=None,
        run_id=None, run_attempt=None,
    )  # fmt: skip
    empty = make_record(workflow="", commit="", run_id="", run_attempt="")
    times = [
        make_record(recorded_at=T0 + timedelta(microseconds=1234)),
        make_record(recorded_at=datetime(1969, 12, 31, 23, 59, 59, 500_000, timezone.utc)),
    ]
    texts = [
        make_record(
            repository=text, workflow=text, job=text, branch=text, commit=text,
            run_id=text, run_attempt=text, source=text,
        )
        for text in ODD_TEXT
    ]  # fmt: skip
    floats = [make_record(energy_kwh=x, emissions_kg=x / 7, intensity_g_per_kwh=-x) for x in FLOATS]
    rerun = make_record(commit=plain[0].commit)  # same job and commit: the ledger marks it
    return [*plain, unknown, empty, *times, *texts, *floats, rerun]


def _exports(location: str, where: RecordFilter, batch: int = BATCH) -> tuple[str, str, str, str]:
    """(CSV, reference CSV, JSON, reference JSON) of a ledger, runs ``batch`` at a time."""
    with open_ledger(location) as ledger:
        totals = ledger.totals(where)
        return (
            to_csv(ledger.export_rows(where), totals, batch=batch),
            reference_csv(ledger.export_rows(where), totals),
            rows_to_json(ledger.export_rows(where), totals, where.since, where.until, batch=batch),
            reference_json(ledger.records(where), totals, where.since, where.until),
        )


@pytest.mark.parametrize("batch", [BATCH, 3, 1])
def test_exports_match_the_stdlib_writers(ledger_url: str, batch: int) -> None:  # noqa: F811
    # Small batches mix plain batches (fast path) with ones that need the stdlib.
    with open_ledger(ledger_url) as ledger:
        for record in odd_records():
            ledger.append(record)
    period = RecordFilter(since=T0 - timedelta(days=1), until=T0 + timedelta(days=1))
    for where in (RecordFilter(), period):
        csv_text, csv_reference, json_text, json_reference = _exports(ledger_url, where, batch)
        assert csv_text == csv_reference
        assert json_text == json_reference
    assert '"rerun": true' in json_text and "\n    }\n  ]\n}\n" in json_text


def test_plain_runs_are_written_without_a_csv_writer_per_row(
    ledger_url: str,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many(odd_records()[:6])
    rows_written: list[Any] = []
    real_line = spreadsheet.line

    def counting(row: Any) -> str:
        rows_written.append(tuple(row))
        return real_line(row)

    with open_ledger(ledger_url) as ledger:
        rows = list(ledger.export_rows())
    reference = reference_csv(rows, [])
    # Counting the writer's rows is the one sign of the fast path short of timing it
    # (bench/ledger.py times it).
    monkeypatch.setattr(spreadsheet, "line", counting)
    assert to_csv(rows, []) == reference
    assert [row[0] for row in rows_written] == ["row"]  # the header only: runs took the fast path


def test_an_empty_ledger_exports_headers_only(ledger_url: str) -> None:  # noqa: F811
    csv_text, csv_reference, json_text, json_reference = _exports(ledger_url, RecordFilter())
    assert csv_text == csv_reference == "row," + ",".join(CSV_FIELDS) + "\n"
    assert json_text == json_reference
    assert json.loads(json_text)["runs"] == []


def test_records_made_in_memory_export_as_before() -> None:
    """to_json of records (not rows): the same text as the reference, ids unset.

    Without '' for a repository, job or branch: a ledger stores an unknown one as '' and
    reads it back as None, so export rows show it as null.
    """
    records = [r for r in odd_records() if r.repository != ""]
    totals = [Total("acme/model", None, None, 2, 0, 1.5, 3.0, 0.0)]
    since, until = T0, T0 + timedelta(days=92)
    assert to_json(records, totals, since, until) == reference_json(records, totals, since, until)
    assert to_csv(map(record_row, records), totals) == reference_csv(
        map(record_row, records), totals
    )


@pytest.mark.parametrize("figure", [float("nan"), float("inf"), float("-inf")])
def test_json_export_refuses_a_figure_json_cannot_carry(figure: float) -> None:
    """Issue 20: a stored NaN or infinity (an old import) is refused, not written as Infinity."""
    bad = make_record(energy_kwh=1.0, emissions_kg=1.0, intensity_g_per_kwh=figure)
    with pytest.raises(JsonOutputError, match="not finite"):
        to_json([bad], [], None, None)
    total = Total("acme/model", None, None, 1, 0, 1.0, figure, 0.0)
    with pytest.raises(JsonOutputError, match="not finite"):
        to_json([], [total], None, None)


def test_csv_export_round_trips_and_defuses_formulas() -> None:
    """Issue 20: a CR splits no row, and no text cell starts a spreadsheet formula."""
    texts = [r for r in odd_records() if r.job in ODD_TEXT and r.job]
    text = to_csv(map(record_row, texts), [])
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert len(read) == 1 + len(texts)  # no cell's line break started a row
    job = CSV_FIELDS.index("job") + 1
    for cells, record in zip(read[1:], texts, strict=True):
        assert len(cells) == 1 + len(CSV_FIELDS)
        assert not cells[job].startswith(spreadsheet.FORMULA_STARTS)
        assert spreadsheet.text_of(cells[job]) == record.job
    assert "\r" not in "".join(line for line in text.split('"')[::2])  # every CR is quoted
