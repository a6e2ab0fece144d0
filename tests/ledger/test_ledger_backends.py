"""Both ledger backends, same tests: SQLite always, PostgreSQL when CI passes a server URL.

Other ledger test modules import ``ledger_url`` and ``make_record`` from here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from greengate.ledger.interface import LedgerError, open_ledger, scheme_of
from greengate.ledger.records import (
    BaselineQuery,
    ChargeKey,
    LedgerRecord,
    RecordFilter,
    WindowQuery,
    WindowSpend,
)
from greengate.verdict import Status

POSTGRES_URL = os.environ.get("GREENGATE_TEST_POSTGRES_URL")
T0 = datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def make_record(**overrides: Any) -> LedgerRecord:
    """A passing run of job 'train' on main."""
    fields: dict[str, Any] = {
        "recorded_at": T0,
        "repository": "acme/model",
        "workflow": "ci",
        "job": "train",
        "branch": "main",
        "base_branch": None,
        "commit": None,
        "run_id": "1",
        "run_attempt": "1",
        "energy_kwh": 2.0,
        "emissions_kg": 1.0,
        "intensity_g_per_kwh": 500.0,
        "status": Status.PASS,
    }
    fields.update(overrides)
    return LedgerRecord(**fields)


def _postgres_schema_url(base: str) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty ledger location on each backend."""
    if request.param == "sqlite":
        yield str(tmp_path / ".greengate" / "ledger.db")
        return
    if not POSTGRES_URL:
        pytest.skip("GREENGATE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    yield from _postgres_schema_url(POSTGRES_URL)


def test_scheme_picks_the_backend() -> None:
    assert scheme_of("/tmp/x.db") == "sqlite"
    assert scheme_of("sqlite:///tmp/x.db") == "sqlite"
    assert scheme_of("postgresql://u@h/db") == "postgresql"
    assert scheme_of("C:/ledger.db") == "sqlite"


def test_append_then_list_round_trips(ledger_url: str) -> None:
    record = make_record(commit="abc", base_branch="main", source="codecarbon")
    with open_ledger(ledger_url) as ledger:
        stored = ledger.append(record).record
        (back,) = ledger.records()
    assert stored.id is not None
    assert back == replace(record, id=stored.id)


def test_reopening_keeps_records_and_schema(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.append(make_record())
    with open_ledger(ledger_url) as ledger:
        assert len(ledger.records()) == 1


def test_a_ledger_from_a_newer_greengate_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    with open_ledger(str(path)):
        pass
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(LedgerError, match="has schema version 99; this greengate knows up to"):
        open_ledger(str(path)).close()


def test_filters_and_limit(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        for i in range(5):
            branch = "main" if i % 2 == 0 else "dev"
            ledger.append(make_record(recorded_at=T0 + timedelta(hours=i), branch=branch))
        assert len(ledger.records(RecordFilter(branch="main"))) == 3
        assert len(ledger.records(RecordFilter(since=T0 + timedelta(hours=3)))) == 2
        assert len(ledger.records(RecordFilter(until=T0 + timedelta(hours=1)))) == 1
        newest = ledger.records(RecordFilter(limit=2))
        assert [r.recorded_at for r in newest] == [T0 + timedelta(hours=h) for h in (3, 4)]
        assert ledger.records(RecordFilter(job="other")) == []


def test_same_job_and_commit_is_a_rerun(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        first = ledger.append(make_record(commit="abc")).record
        again = ledger.append(make_record(commit="abc", run_attempt="2")).record
        other_job = ledger.append(make_record(commit="abc", job="lint")).record
        no_commit = ledger.append(make_record()).record
    assert (first.rerun, again.rerun, other_job.rerun, no_commit.rerun) == (
        False,
        True,
        False,
        False,
    )


def test_another_part_of_the_same_ci_run_and_attempt_is_no_rerun(ledger_url: str) -> None:
    # The GitHub Action used twice in one job: both records share the run and its attempt.
    with open_ledger(ledger_url) as ledger:
        first = ledger.append(make_record(commit="abc")).record
        second_use = ledger.append(make_record(commit="abc")).record
        retried = ledger.append(make_record(commit="abc", run_attempt="2")).record
        new_run = ledger.append(make_record(commit="abc", run_id="2")).record
        unknown = ledger.append(make_record(commit="abc", run_id=None, run_attempt=None)).record
    assert (first.rerun, second_use.rerun) == (False, False)
    assert (retried.rerun, new_run.rerun, unknown.rerun) == (True, True, True)


def test_window_spend_counts_only_the_branch_and_period(ledger_url: str) -> None:
    month = datetime(2026, 7, 1, tzinfo=timezone.utc)
    with open_ledger(ledger_url) as ledger:
        ledger.append(make_record(recorded_at=month - timedelta(hours=1)))  # June
        ledger.append(make_record(recorded_at=month + timedelta(days=3)))
        ledger.append(make_record(recorded_at=month + timedelta(days=4), emissions_kg=2.5))
        ledger.append(make_record(recorded_at=month + timedelta(days=4), branch="dev"))
        ledger.append(make_record(recorded_at=month + timedelta(days=4), repository="acme/b"))
        window = WindowQuery("main 50 kg per month", "acme/model", "main", month)
        appended = ledger.append(make_record(), [window])
    assert appended.spends == (WindowSpend("main 50 kg per month", 3.5, 4.0, 2),)


def _charge_once(ledger: Any, window: WindowQuery) -> LedgerRecord:
    """What the gate does: read the window's spend, decide, store, in one transaction."""
    key = ChargeKey("acme/model", "main", "train", None, (window,))
    with ledger.charging(key) as charge:
        over = charge.spends[0].emissions_kg + 1.0 > LIMIT_KG
        stored: LedgerRecord = charge.append(
            make_record(status=Status.FAIL if over else Status.PASS)
        )
    return stored


def test_a_charge_stores_what_was_decided_on_its_answers(ledger_url: str) -> None:
    window = WindowQuery("w", "acme/model", "main", EPOCH)
    with open_ledger(ledger_url) as ledger:
        statuses = [_charge_once(ledger, window).status for _ in range(11)]
        assert [r.status for r in ledger.records()] == statuses
    assert statuses == [Status.PASS] * 10 + [Status.FAIL]  # 10 runs of 1 kg fill 10 kg
    assert all(isinstance(s, Status) for s in statuses)  # the enum back, not its text


def test_a_charge_answers_rerun_and_baseline_and_stores_a_rerun(ledger_url: str) -> None:
    baseline = BaselineQuery("acme/model", "train", "main", 3)
    key = ChargeKey("acme/model", "main", "train", "c1", (), baseline)
    with open_ledger(ledger_url) as ledger:
        for kwh in (1.0, 2.0):
            ledger.append(make_record(energy_kwh=kwh, recorded_at=T0 + timedelta(hours=kwh)))
        with ledger.charging(key) as charge:
            assert (charge.rerun, charge.baseline) == (False, (2.0, 1.0))
            first = charge.append(make_record(commit="c1"))
        with ledger.charging(key) as charge:
            assert charge.rerun
            again = charge.append(make_record(commit="c1"))
            with pytest.raises(LedgerError, match="one run"):
                charge.append(make_record(commit="c1"))
    assert (first.rerun, again.rerun) == (False, True)


def test_a_charge_that_raises_stores_nothing(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        with pytest.raises(RuntimeError), ledger.charging(ChargeKey(None, None, None, None)) as c:
            c.append(make_record())
            raise RuntimeError("the judge broke")
        assert ledger.records() == []


def test_baseline_is_newest_passing_non_rerun_runs_of_the_job_on_the_branch(
    ledger_url: str,
) -> None:
    with open_ledger(ledger_url) as ledger:
        for i in range(6):
            ledger.append(make_record(recorded_at=T0 + timedelta(hours=i), energy_kwh=float(i)))
        ledger.append(make_record(recorded_at=T0 + timedelta(hours=7), status=Status.FAIL))
        ledger.append(make_record(recorded_at=T0 + timedelta(hours=8), job="lint"))
        ledger.append(make_record(recorded_at=T0 + timedelta(hours=9), branch="dev"))
        ledger.append(make_record(commit="c1", energy_kwh=50.0))
        ledger.append(make_record(commit="c1", energy_kwh=60.0, run_attempt="2"))  # a rerun
        found = ledger.baseline(BaselineQuery("acme/model", "train", "main", 4))
    assert found == (5.0, 4.0, 3.0, 2.0)


def test_import_and_prune(ledger_url: str) -> None:
    old = [make_record(recorded_at=T0 - timedelta(days=500 + i)) for i in range(3)]
    with open_ledger(ledger_url) as ledger:
        assert ledger.insert_many([*old, make_record()]) == 4
        assert ledger.prune(T0 - timedelta(days=400)) == 3
        assert [r.recorded_at for r in ledger.records()] == [T0]
        spend = ledger.append(make_record(), [WindowQuery("all", "acme/model", "main", EPOCH)])
    assert spend.spends[0].runs == 1  # day totals follow the prune


def test_prune_keeps_the_rest_of_the_cut_day(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.append(make_record(recorded_at=T0 - timedelta(hours=1)))
        ledger.append(make_record(recorded_at=T0 + timedelta(hours=1)))
        assert ledger.prune(T0) == 1
        spend = ledger.append(make_record(), [WindowQuery("all", "acme/model", "main", EPOCH)])
    assert spend.spends[0].runs == 1


def test_export_rows_show_each_record_as_the_csv_does(ledger_url: str) -> None:
    records = [
        make_record(recorded_at=T0 + timedelta(microseconds=1234), commit="a"),
        make_record(recorded_at=T0 + timedelta(seconds=1), commit="a", run_attempt="2"),
        make_record(recorded_at=datetime(1969, 12, 31, 23, 59, 59, 500_000, timezone.utc)),
        make_record(repository=None, workflow=None, job=None, branch=None, run_id=None),
    ]
    with open_ledger(ledger_url) as ledger:
        for record in records:
            ledger.append(record)
        rows = list(ledger.export_rows())
        stored = ledger.records()
    expected = [
        ("run", r.id, r.recorded_at.isoformat(), r.repository, r.workflow, r.job, r.branch,
         r.commit, r.run_id, r.run_attempt, r.energy_kwh, r.emissions_kg,
         r.intensity_g_per_kwh, r.status, str(r.rerun), r.source)
        for r in stored
    ]  # fmt: skip
    # '' and None both print as an empty CSV cell.
    assert [tuple(v or None for v in row) for row in rows] == [
        tuple(v or None for v in row) for row in expected
    ]
    assert rows[0][2] == "1969-12-31T23:59:59.500000+00:00"
    assert rows[3][14] == "True"  # same job and commit: a rerun


def test_totals_per_repository_branch_and_job(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        ledger.insert_many(
            [
                make_record(),
                make_record(rerun=True, emissions_kg=0.5),
                make_record(job="lint"),
                make_record(branch=None),  # unknown branch: its own group, counted once
                make_record(recorded_at=T0 - timedelta(days=60), repository="acme/b"),
            ]
        )
        found = ledger.totals(RecordFilter(since=T0 - timedelta(days=1)))
    assert [(t.repository, t.branch, t.job, t.runs, t.reruns) for t in found] == [
        ("acme/model", "?", None, 1, 0),
        ("acme/model", "?", "train", 1, 0),
        ("acme/model", None, None, 4, 1),  # sorted as "None", as exports always were
        ("acme/model", "main", None, 3, 1),
        ("acme/model", "main", "lint", 1, 0),
        ("acme/model", "main", "train", 2, 1),
    ]
    assert (found[2].emissions_kg, found[2].rerun_emissions_kg) == (3.5, 0.5)
    assert found[2].energy_kwh == 8.0


# --- many processes at once -------------------------------------------------------------

LIMIT_KG = 10.0


def _charge(url: str, barrier: Any, results: Any) -> None:
    window = WindowQuery("main 10 kg", "acme/model", "main", EPOCH)
    barrier.wait()
    with open_ledger(url) as ledger:
        results.put(_charge_once(ledger, window).status.value)


def _sixteen_at_once(url: str) -> list[str]:
    fork = multiprocessing.get_context("fork")
    barrier, results = fork.Barrier(16), fork.Queue()
    workers = [fork.Process(target=_charge, args=(url, barrier, results)) for _ in range(16)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    return sorted(results.get(timeout=5) for _ in range(16))


def test_sixteen_parallel_jobs_are_all_recorded_and_the_budget_is_exact(ledger_url: str) -> None:
    open_ledger(ledger_url).close()  # created up front, as the first run of a branch would
    assert _sixteen_at_once(ledger_url) == ["fail"] * 6 + ["pass"] * 10
    with open_ledger(ledger_url) as ledger:
        assert len(ledger.records()) == 16


def test_sixteen_processes_create_a_fresh_ledger_together(ledger_url: str) -> None:
    assert _sixteen_at_once(ledger_url) == ["fail"] * 6 + ["pass"] * 10


# --- a writer killed mid-write ----------------------------------------------------------

_WRITER = """
import sys
from datetime import datetime, timezone
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import LedgerRecord, WindowQuery
from greengate.verdict import Status
window = WindowQuery("all", "r", "main", datetime(1970, 1, 1, tzinfo=timezone.utc))
with open_ledger(sys.argv[1]) as ledger:
    print("ready", flush=True)
    while True:
        ledger.append(LedgerRecord(datetime.now(timezone.utc), "r", "ci", "j", "main", None,
                                   None, "1", "1", 1.0, 0.5, 500.0, Status.PASS), [window])
"""


def test_kill_9_during_writes_leaves_the_ledger_consistent(ledger_url: str) -> None:
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, ledger_url], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    time.sleep(0.5)  # hundreds of appends in flight
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    with open_ledger(ledger_url) as ledger:
        records = ledger.records()
        after = ledger.append(make_record(repository="r"), [WindowQuery("all", "r", "main", EPOCH)])
    assert len(records) > 10
    assert after.spends[0].runs == len(records)  # day totals agree with the runs table
    assert after.spends[0].emissions_kg == pytest.approx(0.5 * len(records))


# --- a ledger that cannot be used -------------------------------------------------------


def test_a_corrupt_sqlite_file_is_a_ledger_error(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match=r"ledger .*ledger\.db"):
        open_ledger(str(path))


def test_an_unwritable_sqlite_location_is_a_ledger_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(LedgerError, match="cannot open"):
        open_ledger(str(tmp_path / "file" / "ledger.db"))


def test_an_unreachable_postgresql_server_is_a_ledger_error() -> None:
    pytest.importorskip("psycopg")
    with pytest.raises(LedgerError) as caught:
        open_ledger("postgresql://someone:secret@127.0.0.1:1/nothing?connect_timeout=2")
    assert "secret" not in str(caught.value)
