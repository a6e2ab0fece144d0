"""A SQLite ledger is a file greengate created: another program's database is refused, untouched.

Issue 20: GREENGATE_LEDGER pointing at another program's SQLite file silently got greengate's
tables (and WAL mode) added to it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from conftest import Greengate
from test_ledger_backends import make_record

from greengate.ledger.interface import LedgerError, open_ledger
from greengate.ledger.sqlite import APPLICATION_ID, SCHEMA_VERSION


def _pragmas(path: Path) -> tuple[int, int, str, list[str]]:
    with sqlite3.connect(path) as db:
        (app,) = db.execute("PRAGMA application_id").fetchone()
        (version,) = db.execute("PRAGMA user_version").fetchone()
        (mode,) = db.execute("PRAGMA journal_mode").fetchone()
        names = [n for (n,) in db.execute("SELECT name FROM sqlite_master ORDER BY name")]
    return app, version, mode, names


def _foreign(path: Path, *, app: int = 0, version: int = 0, tables: str = "notes") -> None:
    with sqlite3.connect(path) as db:
        for table in tables.split():
            db.execute(f"CREATE TABLE {table} (x)")
        db.execute(f"PRAGMA application_id = {app}")
        db.execute(f"PRAGMA user_version = {version}")


@pytest.mark.parametrize(
    ("app", "version", "tables"),
    [
        (0, 0, "notes"),  # another program's plain database
        (0, 3, "notes settings"),  # with its own schema version
        (0x4D50_4B47, 0, ""),  # empty, but marked by another program
        (0, 2, "runs day_totals notes"),  # greengate's tables and more: not greengate's
    ],
)
def test_another_programs_database_is_refused_and_left_unchanged(
    tmp_path: Path, app: int, version: int, tables: str
) -> None:
    path = tmp_path / "other.db"
    _foreign(path, app=app, version=version, tables=tables)
    before = _pragmas(path)
    with pytest.raises(LedgerError, match="not a greengate ledger") as info:
        open_ledger(str(path))
    assert "left unchanged" in info.value.message
    assert _pragmas(path) == before  # no table, no WAL, no mark added


def test_the_cli_says_so_with_exit_2(greengate: Greengate, tmp_path: Path) -> None:
    _foreign(tmp_path / "app.sqlite")
    out = greengate("ledger", "list", env={"GREENGATE_LEDGER": "app.sqlite"})
    assert out.returncode == 2, out.stderr
    assert "not a greengate ledger" in out.stderr and "tables notes" in out.stderr


@pytest.mark.parametrize("empty", ["missing", "zero bytes", "empty database"])
def test_a_new_or_empty_file_becomes_a_marked_ledger(tmp_path: Path, empty: str) -> None:
    path = tmp_path / "ledger.db"
    if empty == "zero bytes":
        path.touch()
    elif empty == "empty database":
        sqlite3.connect(path).close()
    with open_ledger(str(path)) as ledger:
        ledger.append(make_record())
    app, version, mode, names = _pragmas(path)
    assert (app, version, mode) == (APPLICATION_ID, SCHEMA_VERSION, "wal")
    assert {"runs", "day_totals"} <= set(names)


@pytest.mark.parametrize("old_version", [1, SCHEMA_VERSION])
def test_a_ledger_from_before_the_mark_is_kept_and_marked(tmp_path: Path, old_version: int) -> None:
    """A ledger written by an earlier greengate has no application_id: it is still ours."""
    path = tmp_path / "ledger.db"
    with open_ledger(str(path)) as ledger:
        ledger.append(make_record())
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA application_id = 0")
        if old_version == 1:  # as the first schema left it
            columns = [c for (_, c, *_) in db.execute("PRAGMA table_info(runs)")]
            db.execute("DROP INDEX IF EXISTS runs_zone")
            for column in columns[columns.index("grid_zone") :]:
                db.execute(f"ALTER TABLE runs DROP COLUMN {column}")
            db.execute("PRAGMA user_version = 1")
    with open_ledger(str(path)) as ledger:
        assert len(ledger.records()) == 1
    app, version, _, _ = _pragmas(path)
    assert (app, version) == (APPLICATION_ID, SCHEMA_VERSION)
