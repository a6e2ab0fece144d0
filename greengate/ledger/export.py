"""Ledger data as plain JSON/CSV: period exports.

Exports are location-based scope-2 figures (the grid average where each run happened),
with totals per repository, branch and job, for a GHG Protocol / CSRD annex.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from json.encoder import encode_basestring_ascii
from math import isfinite
from typing import Any

from greengate.files import spreadsheet
from greengate.files.json_text import dump_json
from greengate.ledger.records import LedgerRecord, Total

CSV_FIELDS = (
    "id",
    "recorded_at",
    "repository",
    "workflow",
    "job",
    "branch",
    "commit",
    "run_id",
    "run_attempt",
    "energy_kwh",
    "emissions_kg",
    "intensity_g_per_kwh",
    "status",
    "rerun",
    "source",
)


# Issue 4: an export of 100,000 runs within 2 s. csv.writer costs a call per row and
# json.dumps(indent=2) runs json's pure-Python encoder, so runs are formatted a batch at a
# time, ``%`` filling a template in C. A CSV batch keeps the template's text only where it
# proves that no value needed quoting; a JSON column is looked at whole and goes in as it
# is where json would write it so. Anything else goes through the stdlib: the same bytes.
_CSV_LINE = ",".join(["%s"] * (1 + len(CSV_FIELDS))) + "\n"
BATCH = 5_000  # rows at a time: enough to amortise the checks, little memory
_NULL = "null"
_FLAGS = {"True": "true", "False": "false"}
_NO_RUNS = "[]\n}"  # how json.dumps(indent=2) ends the document when "runs" is empty

# Besides commas and newlines (counted): what spreadsheet.cell changes. A quote or a CR is
# quoted; a text cell starting like a formula (after a comma: a run's first cell is "run")
# (or a "'" before one) gets a "'". Any such batch goes through the writer (a negative figure too).
_CSV_SPECIAL = ('"', "\r", "\t", ",=", ",+", ",-", ",@", ",'")


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Rows in lists of ``size``, still streaming from the cursor."""
    it = iter(rows)
    while batch := list(islice(it, size)):
        yield batch


def _csv_batch(batch: list[tuple[Any, ...]]) -> str:
    """Runs' CSV lines, as spreadsheet.lines writes them (str() of each value; floats: repr)."""
    text = "".join(map(_CSV_LINE.__mod__, batch))
    if "None" in text:  # a NULL (or the word itself): csv writes None as an empty cell
        columns = [["" if v is None else v for v in c] for c in zip(*batch, strict=True)]
        text = "".join(map(_CSV_LINE.__mod__, zip(*columns, strict=True)))
    # As many commas and newlines as the template has: no value holds one.
    commas, lines = len(CSV_FIELDS) * len(batch), len(batch)
    if (
        text.count(",") == commas
        and text.count("\n") == lines
        and not any(c in text for c in _CSV_SPECIAL)
    ):
        return text
    return spreadsheet.lines(batch)


def to_csv(rows: Iterable[tuple[Any, ...]], totals: Iterable[Total], *, batch: int = BATCH) -> str:
    """One row per run (as Ledger.export_rows gives them), then one ``total`` row per group.

    A total row puts its run count in ``run_id`` and its rerun count in ``rerun``; runs are
    formatted ``batch`` at a time (the text is the same whatever the size).
    """
    out = io.StringIO()
    out.write(spreadsheet.line(("row", *CSV_FIELDS)))
    for runs in _batches(rows, batch):  # straight from the cursor: no object per run
        out.write(_csv_batch(runs))
    blank: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    for t in totals:
        row = {**blank, "repository": t.repository, "branch": t.branch, "job": t.job}
        row.update(run_id=t.runs, energy_kwh=t.energy_kwh, emissions_kg=t.emissions_kg)
        row.update(rerun=t.reruns)
        out.write(spreadsheet.line(("total", *row.values())))
    return out.getvalue()


# A column of runs in a JSON batch: its placeholder in the run's template, and its values.
_JsonColumn = tuple[str, Sequence[Any]]


def _json_each(column: Sequence[Any]) -> _JsonColumn:
    """Any values, as json.dumps writes them: the slow path."""
    return "%s", [dump_json(v) for v in column]


def _json_strings(column: Sequence[Any]) -> _JsonColumn:
    """Text or None: in quotes as it is where json escapes nothing, else by json's encoder."""
    try:
        joined = "".join(column)
    except TypeError:  # a None, or not text
        try:
            return "%s", [_NULL if v is None else encode_basestring_ascii(v) for v in column]
        except TypeError:
            return _json_each(column)
    # json escapes a quote, a backslash and anything but printable ASCII (ensure_ascii).
    if joined.isascii() and joined.isprintable() and '"' not in joined and "\\" not in joined:
        return '"%s"', column
    return "%s", list(map(encode_basestring_ascii, column))


def _json_keys(column: Sequence[Any]) -> _JsonColumn:
    """Repository, job, branch: stored as '' when unknown, which a record shows as None."""
    if "" in column:
        column = [v or None for v in column]
    return _json_strings(column)


def _json_numbers(column: Sequence[Any]) -> _JsonColumn:
    """Ids and figures: repr, as json writes an int or float (floats round-trip exactly)."""
    # json spells NaN and the infinities otherwise, and a bool (an int) as true/false.
    if set(map(type, column)) <= {int, float} and all(map(isfinite, column)):
        return "%r", column
    return _json_each(column)


def _json_flags(column: Sequence[Any]) -> _JsonColumn:
    """``rerun``, which export rows give as the CSV shows it."""
    return "%s", list(map(_FLAGS.__getitem__, column))


_JSON_VALUES: dict[str, Callable[[Sequence[Any]], _JsonColumn]] = {
    "id": _json_numbers,
    "repository": _json_keys,
    "job": _json_keys,
    "branch": _json_keys,
    "energy_kwh": _json_numbers,
    "emissions_kg": _json_numbers,
    "intensity_g_per_kwh": _json_numbers,
    "rerun": _json_flags,
}


def _json_batch(batch: list[tuple[Any, ...]]) -> str:
    """Runs' JSON objects, indented as in the document, without the comma after the last."""
    _, *columns = zip(*batch, strict=True)  # without the leading "run"
    members, values = [], []
    for field, column in zip(CSV_FIELDS, columns, strict=True):
        placeholder, encoded = _JSON_VALUES.get(field, _json_strings)(column)
        members.append(f"      {json.dumps(field)}: {placeholder}")
        values.append(encoded)
    template = "    {\n" + ",\n".join(members) + "\n    }"
    return ",\n".join(map(template.__mod__, zip(*values, strict=True)))


def rows_to_json(
    rows: Iterable[tuple[Any, ...]],
    totals: Iterable[Total],
    since: datetime | None,
    until: datetime | None,
    *,
    batch: int = BATCH,
) -> str:
    """Runs (as Ledger.export_rows gives them) and totals as one JSON document.

    With the period and the accounting basis; the same text as json.dumps(indent=2), runs
    formatted ``batch`` at a time.
    """
    document = {
        "period": {
            "start": since.isoformat() if since else None,
            "end": until.isoformat() if until else None,
        },
        "basis": "scope 2, location-based: each run's energy x its grid's average intensity",
        "units": {"energy": "kWh", "emissions": "kg CO2e"},
        "totals": [t.__dict__ for t in totals],
        "runs": [],
    }
    head = dump_json(document, indent=2)
    parts = [head[: -len(_NO_RUNS)], "[\n"]
    for runs in _batches(rows, batch):
        parts += (_json_batch(runs), ",\n")
    if len(parts) == 2:
        return head + "\n"
    parts[-1] = "\n  ]\n}\n"  # for the last comma
    return "".join(parts)  # one copy of the text, which is 500 bytes a run


def record_row(r: LedgerRecord) -> tuple[Any, ...]:
    """A record as Ledger.export_rows would give it (a key it has as '' shows as unknown)."""
    return (
        "run",
        r.id,
        r.recorded_at.isoformat(),
        r.repository,
        r.workflow,
        r.job,
        r.branch,
        r.commit,
        r.run_id,
        r.run_attempt,
        r.energy_kwh,
        r.emissions_kg,
        r.intensity_g_per_kwh,
        r.status.value,
        str(r.rerun),
        r.source,
    )


def to_json(
    records: Iterable[LedgerRecord],
    totals: Iterable[Total],
    since: datetime | None,
    until: datetime | None,
) -> str:
    """Records and totals as one JSON document, with the period and the accounting basis.

    From a ledger, rows_to_json of its export_rows gives the same text without building a
    record per run.
    """
    return rows_to_json(map(record_row, records), totals, since, until)
