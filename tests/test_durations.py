"""Durations and ages as people write them, bounded so that none overflows a datetime (issue 20)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import Greengate

from greengate.durations import MAX_DAYS, DurationError, parse_age, parse_duration

POLICY = "version: 1\nbudgets:\n  - name: all\n    max_emissions: 1 kg\n"


@pytest.mark.parametrize(
    ("text", "days"), [("0d", 0), ("30d", 30), (" 400 d ", 400), (f"{MAX_DAYS}d", MAX_DAYS)]
)
def test_ages_in_days(text: str, days: int) -> None:
    age = parse_age(text)
    assert age == timedelta(days=days)
    datetime.now(timezone.utc) - age


@pytest.mark.parametrize("text", [f"{MAX_DAYS + 1}d", "99999999999d", "9" * 400 + "d"])
def test_an_age_past_the_range_is_refused_with_the_range(text: str) -> None:
    with pytest.raises(DurationError, match=f"an age is 0d to {MAX_DAYS}d"):
        parse_age(text)


@pytest.mark.parametrize("text", ["30", "-1d", "1.5d", "\u0663d", "30h", ""])
def test_what_is_not_an_age_in_days(text: str) -> None:
    with pytest.raises(DurationError, match="expected an age in days"):
        parse_age(text)


@pytest.mark.parametrize("text", ["99999999999d", f"{MAX_DAYS + 1}d", "9" * 30])
def test_a_duration_past_a_century_is_refused(text: str) -> None:
    with pytest.raises(DurationError, match=f"at most {MAX_DAYS} days"):
        parse_duration(text)


def test_a_duration_of_a_century_is_taken_and_fits_a_timedelta() -> None:
    seconds = parse_duration(f"{MAX_DAYS}d")
    datetime.now(timezone.utc) + timedelta(seconds=seconds)


def test_non_ascii_digits_are_no_duration() -> None:
    with pytest.raises(DurationError):
        parse_duration("\u0663")  # Arabic-Indic 3: float() would read it


@pytest.mark.parametrize(
    "args",
    [
        ("ledger", "list", "--since", "99999999999d"),
        ("ledger", "prune", "--older-than", "99999999999d"),
        ("when", "--within", "99999999999d", "--duration", "1h"),
        ("start", "--max-duration", "99999999999d", "--state", "state"),
        ("run", "--grace-period", "1e308", "--", "true"),
    ],
    ids=["list-since", "prune", "when-within", "start-max-duration", "run-grace-period"],
)
def test_the_commands_say_the_range_instead_of_overflowing(
    greengate: Greengate, tmp_path: Path, args: tuple[str, ...]
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    out = greengate(*args, env={"GREENGATE_LEDGER": "l.db"})
    assert out.returncode == 2, out.stderr
    assert f"{MAX_DAYS}" in out.stderr or f"{MAX_DAYS * 86400:g}" in out.stderr
    assert "internal error" not in out.stderr and "OverflowError" not in out.stderr
