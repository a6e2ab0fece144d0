"""``greengate ledger export --format esrs|esrs-csv|sci|sci-csv`` on a ledger of known runs.

Every expected figure below is worked out by hand from the runs (and, for the mix, from
codecarbon's own JSON file), so a wrong sum, a wrong unit or a wrong instrument shows.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import Greengate

from greengate.disclosure.documents import disclosure
from greengate.disclosure.esrs import XBRL_LOCATION, XBRL_MARKET, Scope
from greengate.intensity.offline import country_mix
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import LedgerRecord, RecordFilter
from greengate.ledger.sqlite import MIGRATIONS
from greengate.policy.loader import load_policy_text
from greengate.policy.scope2 import Scope2
from greengate.verdict import Status

POSTGRES_URL = os.environ.get("GREENGATE_TEST_POSTGRES_URL")
AT = datetime(2026, 5, 4, 12, 0, tzinfo=timezone.utc)
OUTSIDE = datetime(2025, 12, 31, 23, 0, tzinfo=timezone.utc)

POLICY = """\
version: 1
budgets:
  - max_energy: 1 kWh
scope2:
  instruments:
    - kind: certificate
      zone: DEU
      coverage: 0.6
      source: "GO cancellation 2026-0042"
    - kind: supplier
      zone: FRA
      intensity: 40 g/kWh
      coverage: 0.7
      source: "supplier disclosure 2025"
    - kind: ppa
      coverage: 0.3
      intensity: 0 g/kWh
      source: "wind PPA 2024-2034"
  residual_mix:
    - zone: DEU
      intensity: 0.62 kg/kWh
      source: "AIB European Residual Mixes 2024"
"""


def run(**fields: Any) -> LedgerRecord:
    base: dict[str, Any] = {
        "recorded_at": AT,
        "repository": "org/a",
        "workflow": "ci",
        "job": "test",
        "branch": "main",
        "base_branch": None,
        "commit": None,
        "run_id": None,
        "run_attempt": None,
        "energy_kwh": 1.0,
        "emissions_kg": 0.0,
        "intensity_g_per_kwh": 400.0,
        "status": Status.PASS,
    }
    base.update(fields)
    return LedgerRecord(**base)


RUNS = [
    run(grid_zone="FRA", energy_kwh=2.0, energy_low_kwh=1.5, energy_high_kwh=3.0,
        intensity_g_per_kwh=56.0, tiers="cpu=tdp,memory=coefficient", scope="process",
        embodied_kg=0.010, unit_name="tests", unit_count=100.0),
    run(grid_zone="DEU", energy_kwh=1.0, energy_low_kwh=0.8, energy_high_kwh=1.2,
        intensity_g_per_kwh=380.0, tiers="cpu=tdp,memory=coefficient", scope="process",
        embodied_kg=0.005, unit_name="tests", unit_count=50.0),
    # recorded before the ledger kept zones, bands and SCI terms
    run(repository="org/b", job="build", energy_kwh=0.5, intensity_g_per_kwh=400.0),
    run(recorded_at=OUTSIDE, grid_zone="FRA", energy_kwh=100.0, intensity_g_per_kwh=56.0),
]  # fmt: skip
YEAR = RecordFilter(since=datetime(2026, 1, 1, tzinfo=timezone.utc),
                    until=datetime(2027, 1, 1, tzinfo=timezone.utc))  # fmt: skip
SCOPE = Scope(YEAR.since, YEAR.until, None, "greengate.yml")
LOCATION_G = 2.0 * 56.0 + 1.0 * 380.0 + 0.5 * 400.0  # 692 g
# FRA: supplier 0.7 x 40 g/kWh x 2 kWh + PPA 0.3 x 0 = 56 g, nothing left
# DEU: certificate 0.6 + PPA 0.3 at 0 g; the last 0.1 at the residual mix: 0.1 x 620 = 62 g
# no zone: PPA 0.3 at 0 g; the last 0.7 location-based: 0.7 x 0.5 x 400 = 140 g
MARKET_G = 56.0 + 62.0 + 140.0


def _postgres(base: str) -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    yield f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A ledger holding RUNS, on each backend."""
    if request.param == "sqlite":
        url = str(tmp_path / "ledger.db")
        with open_ledger(url) as ledger:
            ledger.insert_many(RUNS)
        yield url
        return
    if not POSTGRES_URL:
        pytest.skip("GREENGATE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    for url in _postgres(POSTGRES_URL):
        with open_ledger(url) as ledger:
            ledger.insert_many(RUNS)
        yield url


def esrs(url: str, scope2: Scope2) -> dict[str, Any]:
    with open_ledger(url) as ledger:
        doc: dict[str, Any] = json.loads(disclosure("esrs", ledger, YEAR, SCOPE, scope2))
    return doc


def mix_shares(iso3: str) -> tuple[float, float, float]:
    entry = country_mix(iso3)
    assert entry is not None
    parts = [entry["fossil_TWh"], entry["nuclear_TWh"], entry["renewables_TWh"]]
    return tuple(p / sum(parts) for p in parts)  # type: ignore[return-value]


def test_esrs_energy_and_location_based_scope2(ledger_url: str) -> None:
    doc = esrs(ledger_url, Scope2())
    assert doc["runs"] == 3  # the run of 2025 is outside the period
    assert doc["energy_consumption_mwh"] == pytest.approx(3.5e-3)
    assert doc["energy_consumption_band_mwh"] == {
        "central": pytest.approx(3.5e-3), "low": pytest.approx(2.8e-3),
        "high": pytest.approx(4.7e-3),
    }  # fmt: skip
    assert doc["scope2_location_based_tco2e"] == pytest.approx(LOCATION_G / 1e6)
    assert doc["scope2_location_based_band_tco2e"]["low"] == pytest.approx(
        (1.5 * 56 + 0.8 * 380 + 0.5 * 400) / 1e6
    )
    # Without instruments, market-based is the location-based figure, and says so.
    assert doc["scope2_market_based_tco2e"] == pytest.approx(LOCATION_G / 1e6)
    assert "equals the location-based" in doc["scope2_market_based_basis"]
    assert doc["xbrl"] == {
        XBRL_LOCATION: pytest.approx(LOCATION_G / 1e6),
        XBRL_MARKET: pytest.approx(LOCATION_G / 1e6),
    }
    assert doc["period"]["start"] == "2026-01-01T00:00:00+00:00"
    assert doc["period"]["first_run_at"] == AT.isoformat()


def test_esrs_splits_energy_by_each_grids_mix(ledger_url: str) -> None:
    doc = esrs(ledger_url, Scope2())
    fra, deu = mix_shares("FRA"), mix_shares("DEU")
    split = doc["energy_mix_mwh"]
    for i, key in enumerate(("fossil_mwh", "nuclear_mwh", "renewable_mwh")):
        assert split[key] == pytest.approx(2.0e-3 * fra[i] + 1.0e-3 * deu[i])
    assert split["unknown_mix_mwh"] == pytest.approx(0.5e-3)  # the run without a zone
    assert sum(split.values()) == pytest.approx(doc["energy_consumption_mwh"])
    zones = {z["zone"]: z for z in doc["zones"]}
    assert list(zones) == ["DEU", "FRA", None]
    assert zones["FRA"]["mix"]["year"] == country_mix("FRA")["year"]  # type: ignore[index]
    assert zones[None]["mix"] is None
    assert zones[None]["runs_without_band"] == 1


def test_esrs_market_based_with_instruments_and_residual_mix(ledger_url: str) -> None:
    scope2 = load_policy_text(POLICY, "greengate.yml").scope2
    doc = esrs(ledger_url, scope2)
    assert doc["scope2_market_based_tco2e"] == pytest.approx(MARKET_G / 1e6)
    assert doc["scope2_location_based_tco2e"] == pytest.approx(LOCATION_G / 1e6)
    zones = {z["zone"]: z for z in doc["zones"]}
    assert zones["FRA"]["scope2_market_based_tco2e"] == pytest.approx(56e-6)
    assert zones["FRA"]["market_based"]["remainder"] is None
    deu = zones["DEU"]["market_based"]
    assert [i["kind"] for i in deu["instruments"]] == ["certificate", "ppa"]
    assert deu["remainder"]["basis"] == "residual mix"
    assert deu["remainder"]["share"] == pytest.approx(0.1)
    assert deu["remainder"]["source"] == "AIB European Residual Mixes 2024"
    unknown = zones[None]["market_based"]["remainder"]
    assert unknown["basis"].startswith("location-based")
    assert unknown["share"] == pytest.approx(0.7)
    assert "residual mix" in doc["scope2_market_based_basis"]


def test_esrs_boundary_is_one_repository(ledger_url: str) -> None:
    where = replace(YEAR, repository="org/b")
    with open_ledger(ledger_url) as ledger:
        doc = json.loads(
            disclosure("esrs", ledger, where, replace(SCOPE, repository="org/b"), Scope2())
        )
    assert doc["boundary"]["repository"] == "org/b"
    assert doc["runs"] == 1
    assert doc["scope2_location_based_tco2e"] == pytest.approx(200e-6)


def test_methods_and_tiers_are_counted(ledger_url: str) -> None:
    doc = esrs(ledger_url, Scope2())
    methods = {(m["scope"], tuple(m["tiers"] or ())): m["runs"] for m in doc["methods"]}
    assert methods == {("process", ("cpu=tdp", "memory=coefficient")): 2, (None, ()): 1}


def test_sci_per_job(ledger_url: str) -> None:
    with open_ledger(ledger_url) as ledger:
        doc = json.loads(disclosure("sci", ledger, YEAR, SCOPE, Scope2()))
    jobs = {(j["repository"], j["job"]): j for j in doc["jobs"]}
    test = jobs[("org/a", "test")]
    assert test["functional_unit"] == {"name": "tests", "count": 150.0}
    assert test["E_kwh"] == pytest.approx(3.0)
    assert test["operational_g"] == pytest.approx(2.0 * 56 + 1.0 * 380)
    assert test["M_g"] == pytest.approx(15.0)
    assert test["sci_g_per_unit"] == pytest.approx((2.0 * 56 + 380 + 15.0) / 150)
    assert test["I_g_per_kwh"] == pytest.approx((2.0 * 56 + 380) / 3.0)
    assert test["software_boundary"]["scope"] == "process"
    build = jobs[("org/b", "build")]
    assert build["functional_unit"] == {"name": "run", "count": 1.0}
    assert build["sci_g_per_unit"] == pytest.approx(200.0)
    assert "M counts them as 0" in build["notes"][0]


def test_the_csv_forms_read_back_in_a_spreadsheet_reader(ledger_url: str) -> None:
    scope2 = load_policy_text(POLICY, "greengate.yml").scope2
    with open_ledger(ledger_url) as ledger:
        text = disclosure("esrs-csv", ledger, YEAR, SCOPE, scope2)
        sci = disclosure("sci-csv", ledger, YEAR, SCOPE, scope2)
    rows = list(csv.DictReader(io.StringIO(text)))
    figures = {r["item"]: r for r in rows if r["section"] == "summary"}
    assert float(figures["scope2_market_based_tco2e"]["value"]) == pytest.approx(MARKET_G / 1e6)
    assert figures["energy_consumption_mwh"]["reference"] == "ESRS E1-5, para. 37"
    assert figures["scope2_location_based_tco2e"]["unit"] == "t CO2e"
    sci_rows = list(csv.DictReader(io.StringIO(sci)))
    [per_unit] = [
        r for r in sci_rows if r["key"] == "org/a:test:process" and r["item"] == "sci_g_per_unit"
    ]
    assert float(per_unit["value"]) == pytest.approx((2.0 * 56 + 380 + 15.0) / 150)


def test_a_formula_in_a_name_is_defused(tmp_path: Path) -> None:
    url = str(tmp_path / "l.db")
    with open_ledger(url) as ledger:
        ledger.insert_many([run(recorded_at=AT, job='=HYPERLINK("x")', repository="+r")])
        text = disclosure("sci-csv", ledger, YEAR, SCOPE, Scope2())
    keys = {r["key"] for r in csv.DictReader(io.StringIO(text))}
    assert keys == {'\'+r:=HYPERLINK("x"):?'}


def test_a_schema_1_ledger_is_upgraded_and_its_runs_count(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in MIGRATIONS[0]:
        db.execute(statement)
    db.execute(
        "INSERT INTO runs (recorded_at, repository, workflow, job, branch, energy_kwh, "
        "emissions_kg, intensity_g_per_kwh, status, source, rerun) "
        "VALUES (?, 'r', 'ci', 'j', 'main', 2.0, 0.8, 400.0, 'pass', 'greengate run', 0)",
        (int(AT.timestamp() * 1e6),),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with open_ledger(str(path)) as ledger:
        doc = json.loads(disclosure("esrs", ledger, YEAR, SCOPE, Scope2()))
        (record,) = ledger.records()
    assert record.grid_zone is None and record.energy_low_kwh is None
    assert doc["runs"] == 1
    assert doc["energy_mix_mwh"]["unknown_mix_mwh"] == pytest.approx(2e-3)
    assert doc["scope2_location_based_tco2e"] == pytest.approx(800e-6)


def test_a_gated_run_is_disclosed_with_its_zone_tiers_and_band(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY, encoding="utf-8")
    ledger = str(tmp_path / "ledger.db")
    env = {"GREENGATE_LEDGER": ledger}
    done = greengate(
        "run", "--country", "FRA", "--job", "t", "--unit", "tests=4", "--", "python", "-c", "pass",
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    measured = done.verdict()["measurement"]
    out = greengate("ledger", "export", "--format", "esrs", "--ledger", ledger, env=env)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.out)
    assert doc["instruments_policy"] == "greengate.yml"
    [zone] = doc["zones"]
    assert zone["zone"] == "FRA" and zone["runs"] == 1
    assert doc["energy_consumption_mwh"] == pytest.approx(measured["energy_kwh"] / 1e3)
    # FRA: the supplier covers 0.7 at 40 g/kWh and the PPA 0.3 at 0
    assert doc["scope2_market_based_tco2e"] == pytest.approx(
        0.7 * 40 * measured["energy_kwh"] / 1e6
    )
    [method] = doc["methods"]
    assert method["source"] == "greengate run" and method["tiers"]
    band = doc["energy_consumption_band_mwh"]
    assert band["low"] <= band["central"] <= band["high"]
    sci = greengate("ledger", "export", "--format", "sci", "--ledger", ledger, env=env)
    [job] = json.loads(sci.out)["jobs"]
    assert job["functional_unit"] == {"name": "tests", "count": 4.0}


def test_a_wrong_scope2_section_is_a_located_error(greengate: Greengate, tmp_path: Path) -> None:
    bad = POLICY.replace("      coverage: 0.6\n", "      coverge: 0.6\n")
    (tmp_path / "p.yml").write_text(bad, encoding="utf-8")
    out = greengate(
        "ledger", "export", "--format", "esrs", "--ledger", str(tmp_path / "l.db"),
        "--policy", "p.yml",
    )  # fmt: skip
    assert out.returncode == 2
    assert "p.yml:8:7: scope2.instruments[0].coverge: unknown key 'coverge'" in out.stderr
    assert "Traceback" not in out.stderr
    missing = greengate(
        "ledger", "export", "--format", "esrs", "--ledger", str(tmp_path / "l.db"),
        "--policy", "nope.yml",
    )  # fmt: skip
    assert missing.returncode == 2 and "nope.yml" in missing.stderr


def test_a_schema_1_postgres_ledger_is_upgraded() -> None:
    if not POSTGRES_URL:
        pytest.skip("GREENGATE_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    psycopg = pytest.importorskip("psycopg")
    from greengate.ledger.postgres import MIGRATIONS as PG_MIGRATIONS

    for url in _postgres(POSTGRES_URL):
        with psycopg.connect(url, autocommit=True) as db:
            for statement in PG_MIGRATIONS[0]:
                db.execute(statement)
            db.execute("CREATE TABLE greengate_schema (version INTEGER NOT NULL)")
            db.execute("INSERT INTO greengate_schema VALUES (1)")
            db.execute(
                "INSERT INTO runs (recorded_at, repository, workflow, job, branch, energy_kwh, "
                "emissions_kg, intensity_g_per_kwh, status, source, rerun) VALUES "
                "(%s, 'r', 'ci', 'j', 'main', 2.0, 0.8, 400.0, 'pass', 'greengate run', false)",
                (AT,),
            )
        with open_ledger(url) as ledger:
            doc = json.loads(disclosure("esrs", ledger, YEAR, SCOPE, Scope2()))
            ledger.insert_many([RUNS[0]])
            zones = {z.zone: z.runs for z in ledger.zones(YEAR)}
        assert doc["runs"] == 1
        assert doc["scope2_location_based_tco2e"] == pytest.approx(800e-6)
        assert zones == {None: 1, "FRA": 1}


def test_an_imported_codecarbon_run_is_disclosed_on_its_country(tmp_path: Path) -> None:
    from greengate.ledger.codecarbon_csv import read_emissions_csv

    source = tmp_path / "emissions.csv"
    source.write_text(
        "timestamp,project_name,emissions,energy_consumed,country_iso_code,tracking_mode\n"
        "2026-07-02T10:00:00,train,0.5,1.0,deu,machine\n"
    )
    url = str(tmp_path / "l.db")
    with open_ledger(url) as ledger:
        ledger.insert_many(read_emissions_csv(str(source)))
        doc = json.loads(disclosure("esrs", ledger, YEAR, SCOPE, Scope2()))
    [zone] = doc["zones"]
    assert zone["zone"] == "DEU" and zone["mix"] is not None
    assert doc["methods"][0]["source"] == "codecarbon emissions.csv"
    assert doc["methods"][0]["scope"] == "machine"
    assert doc["scope2_location_based_tco2e"] == pytest.approx(0.5e-3)  # 1 kWh at 500 g
