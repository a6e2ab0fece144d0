"""Numbers and dates on the command line read as everywhere else (issue 20): ASCII digits only,
and a date at the calendar's end is an error with the range, not an OverflowError."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Greengate

POLICY = "version: 1\nbudgets:\n  - name: all\n    max_emissions: 1 t\n"


@pytest.mark.parametrize(
    "args",
    [
        ("run", "-q", "--intensity", "\u0663\u0660\u0660", "--", "true"),  # Arabic-Indic 300
        ("run", "-q", "--intensity", "3_00", "--", "true"),
        ("run", "-q", "--intensity", "\uff13\uff10\uff10", "--", "true"),  # full-width 300
        ("run", "-q", "--violation-exit-code", "\u0663", "--", "true"),
        ("run", "-q", "--grace-period", "1_0", "--", "true"),
        ("ledger", "list", "--limit", "\u0661\u0660"),
        ("report", "--top", "\u0665"),
        ("where", "--energy", "1 kWh", "--top", "\u0663"),
        ("badge", "-o", "b.svg", "--days", "\u0663\u0660"),
    ],
    ids=["intensity-arabic", "intensity-underscore", "intensity-fullwidth", "exit-code",
         "grace", "limit", "top", "where-top", "days"],
)  # fmt: skip
def test_numbers_that_are_not_ascii_are_refused(
    greengate: Greengate, tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    out = greengate(*args, env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 2, out.stderr
    assert "ASCII digits" in out.stderr
    assert not (tmp_path / "greengate-verdict.json").exists()  # refused before it ran


def test_the_environment_is_read_the_same_way(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    env = {"GREENGATE_INTENSITY": "\u0663\u0660\u0660", "GREENGATE_LEDGER": "off"}
    out = greengate("run", "-q", "--", "true", env=env)
    assert out.returncode == 2 and "ASCII digits" in out.stderr


def test_ascii_numbers_still_work(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    out = greengate(
        "run", "-q", "--intensity", "3e2", "--", "true", env={"GREENGATE_LEDGER": "off"}
    )
    assert out.returncode == 0, out.stderr
    assert out.verdict()["measurement"]["intensity"]["g_per_kwh"] == 300


@pytest.mark.parametrize("since", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+05:00"])
def test_a_date_past_the_calendar_in_utc_is_a_usage_error(greengate: Greengate, since: str) -> None:
    out = greengate("ledger", "list", "--since", since, env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 2, out.stderr
    assert "years 1 to 9999" in out.stderr and "internal error" not in out.stderr


def test_an_import_timestamp_past_the_calendar_names_its_line(
    greengate: Greengate, tmp_path: Path
) -> None:
    source = tmp_path / "emissions.csv"
    source.write_text("timestamp,emissions,energy_consumed\n9999-12-31T23:00:00-05:00,1,1\n")
    out = greengate("ledger", "import", str(source), env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 2, out.stderr
    assert f"{source}:2: column timestamp" in out.stderr and "internal error" not in out.stderr


@pytest.mark.parametrize(
    "period", ["\u0662\u0660\u0662\u0666", "2026-Q\u0663", "2026-\u0660\u0667"]
)
@pytest.mark.parametrize("command", [("ledger", "export"), ("report",)])
def test_a_period_with_non_ascii_digits_is_refused(
    greengate: Greengate, period: str, command: tuple[str, ...]
) -> None:
    out = greengate(*command, "--period", period, env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 2, out.stderr
    assert "expected a period like 2026" in out.stderr
