"""PostgreSQL connection strings: both forms recognised, no password anywhere (issue 10).

Before: a password in the URL's query string (``?password=...``) reached stderr and the
verdict, and a libpq ``key=value`` string was opened as an SQLite file named after it,
password included. The end-to-end cases use a real PostgreSQL (``.ci/start-postgres``).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import CliResult, Greengate

from greengate.ledger import conninfo
from greengate.ledger.history import ledger_location, shown_location
from greengate.ledger.interface import open_ledger, scheme_of

POSTGRES_URL = os.environ.get("GREENGATE_TEST_POSTGRES_URL")
SECRET = "S3cret-7f2a"
POLICY = "version: 1\nbudgets:\n  - max_emissions: 1 kg\nwindows:\n  - 'main: 10 kg per month'\n"


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        (f"postgresql://u@h/d?password={SECRET}", "postgresql://u@h/d"),
        (f"postgresql://u:{SECRET}@h:5432/d", "postgresql://u@h:5432/d"),
        (f"postgres://u@h/d?sslmode=disable&password={SECRET}", "postgresql://u@h/d"),
        (
            f"host=127.0.0.1 port=5 dbname=d user=u password={SECRET}",
            "postgresql://u@127.0.0.1:5/d",
        ),
        (f"dbname=d password='{SECRET} x' host=h", "postgresql://h/d"),
        (f"  user=u password={SECRET}", "postgresql://u@localhost/"),
    ],
)
def test_both_forms_are_postgres_and_shown_without_the_password(
    location: str, expected: str
) -> None:
    assert scheme_of(location) == "postgresql"
    assert conninfo.shown(location) == expected
    assert shown_location(location) == expected
    assert SECRET not in conninfo.scrub(f"error in {location}", location)


@pytest.mark.parametrize(
    "location", ["ledger.db", "/tmp/x.db", "sqlite:///x.db", "hosts.db", "x/host=1"]
)
def test_paths_stay_sqlite(location: str) -> None:
    assert scheme_of(location) == "sqlite"
    assert conninfo.shown(location) == location


def test_a_key_value_string_is_not_made_a_path(tmp_path: Path) -> None:
    env = {"GREENGATE_LEDGER": f"host=h dbname=d password={SECRET}"}
    assert ledger_location(env, None, str(tmp_path)) == env["GREENGATE_LEDGER"]


@pytest.mark.parametrize(
    "location",
    [
        f"postgresql://u@h/d?password={SECRET}",
        f"host=h dbname=d password={SECRET}",
        f"password='{SECRET}'",
    ],
)
def test_without_psycopg_the_password_is_still_masked(
    location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules is how the import system says a module is absent (importlib docs).
    monkeypatch.setitem(sys.modules, "psycopg.conninfo", None)
    assert conninfo.parameters(location) is None  # the fallback below is what is tested
    assert SECRET not in conninfo.shown(location)


def test_an_invalid_string_is_shown_masked() -> None:
    location = f"postgresql://u@h/d?bogus=1&password={SECRET}"
    assert SECRET not in conninfo.shown(location)


# --- a real PostgreSQL ---------------------------------------------------------------------


@pytest.fixture
def postgres() -> Iterator[dict[str, str]]:
    """A fresh schema on the test server, as psycopg's parameters."""
    if not POSTGRES_URL:
        pytest.skip("GREENGATE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    psycopg = pytest.importorskip("psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    found = conninfo.parameters(POSTGRES_URL)
    assert found is not None
    yield {**found, "options": f"-csearch_path={schema}"}
    with psycopg.connect(POSTGRES_URL, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


def as_url(p: dict[str, str]) -> str:
    # The password in the query string, where the old redaction never looked.
    return (
        f"postgresql://{p['user']}@{p['host']}:{p['port']}/{p['dbname']}"
        f"?password={SECRET}&options={quote(p['options'])}"
    )


def as_keywords(p: dict[str, str]) -> str:
    options = p["options"]
    return (
        f"host={p['host']} port={p['port']} dbname={p['dbname']} user={p['user']} "
        f"password={SECRET} options='{options}'"
    )


def gate(greengate: Greengate, tmp_path: Path, location: str) -> CliResult:
    (tmp_path / "greengate.yml").write_text(POLICY)
    env = {
        "GREENGATE_LEDGER": location,
        "GREENGATE_BRANCH": "main",
        "GREENGATE_JOB": "unit",
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
    }
    return greengate(
        "run", "--intensity", "100", "--report", "junit=junit.xml", "--report",
        "markdown=summary-file.md", "--", sys.executable, "-c", "pass", env=env,
    )  # fmt: skip


def assert_no_secret(result: CliResult, tmp_path: Path) -> None:
    assert SECRET.encode() not in result.stdout
    assert SECRET not in result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path
        assert SECRET not in path.name, path  # no file named after the password


@pytest.mark.parametrize("form", [as_url, as_keywords])
def test_a_run_records_with_either_form_and_shows_no_password(
    greengate: Greengate, tmp_path: Path, postgres: dict[str, str], form: object
) -> None:
    location = form(postgres)  # type: ignore[operator]
    result = gate(greengate, tmp_path, location)
    assert result.returncode == 0, result.stderr
    verdict = result.verdict()
    assert verdict["history"]["windows"][0]["this_run"] > 0  # the ledger was used
    assert_no_secret(result, tmp_path)
    stray = {p.name for p in tmp_path.iterdir() if p.suffix == ""} - {"output"}
    assert stray == set()  # nothing opened as an SQLite file named after the string
    with open_ledger(location) as ledger:
        assert SECRET not in ledger.location
        (record,) = ledger.records()
        assert SECRET not in repr(record)


@pytest.mark.parametrize("form", [as_url, as_keywords])
def test_a_failing_connection_says_where_without_the_password(
    greengate: Greengate, tmp_path: Path, postgres: dict[str, str], form: object
) -> None:
    broken = {**postgres, "dbname": "no_such_database"}
    result = gate(greengate, tmp_path, form(broken))  # type: ignore[operator]
    assert "no_such_database" in result.stderr  # the location is named ...
    assert_no_secret(result, tmp_path)  # ... without its password
    verdict = result.verdict()
    assert SECRET not in str(verdict)
