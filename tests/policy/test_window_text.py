"""Windows written in one line: ``"main: 50 kg per month"`` reads as the mapping form does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from greengate.errors import PolicyError
from greengate.policy.loader import load_policy_text
from greengate.policy.model import Period, Window
from greengate.policy.schema import policy_schema
from greengate.policy.window_text import COMPACT

HEAD = "version: 1\nbudgets:\n  - max_energy: 1\nwindows:\n"


def windows_of(*entries: str) -> tuple[Window, ...]:
    text = HEAD + "".join(f"  - {entry}\n" for entry in entries)
    return load_policy_text(text, "p.yml").windows


def error_of(*entries: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        windows_of(*entries)
    return caught.value


@pytest.mark.parametrize(
    ("entry", "window"),
    [
        ('"main: 50 kg per month"', Window(("main",), Period.MONTH, 50.0, None)),
        ("'release/*: 20 kWh per 7 days'", Window(("release/*",), Period.ROLLING, None, 20.0, 7)),
        ('"dev: 250 g per day"', Window(("dev",), Period.DAY, 0.25, None)),
        ('"main: 1.5 t CO2e per quarter"', Window(("main",), Period.QUARTER, 1500.0, None)),
        ('"main: 900 Wh per week"', Window(("main",), Period.WEEK, None, 0.9)),
        ('"main: 2 MWh per 1 day"', Window(("main",), Period.ROLLING, None, 2000.0, 1)),
        (
            '"  feature/*  :  5kg  per  30 days  "',
            Window(("feature/*",), Period.ROLLING, 5.0, None, 30),
        ),
        ('"super: 5 kg per day"', Window(("super",), Period.DAY, 5.0, None)),
    ],
)
def test_a_one_line_window_is_the_same_window(entry: str, window: Window) -> None:
    assert windows_of(entry) == (window,)


def test_one_line_and_mapping_windows_mix_and_read_alike() -> None:
    mapping = "branch: main\n    per: month\n    max_emissions: 50 kg"
    compact, full = windows_of('"main: 50 kg per month"', mapping)
    assert compact == full
    assert compact.label == "main per month"


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        (
            '"main: 5 kgs per month"',
            "expected a limit with its unit, emissions (g, kg, t) or energy (Wh, kWh, MWh), "
            "got '5 kgs' in 'main: 5 kgs per month'",
        ),
        ('"main: 50 per month"', "expected a limit with its unit"),
        ('"main: 3 kW per day"', "got '3 kW'"),
        ('"main: 0 kg per day"', "(a zero limit fails every run"),
        (
            '"main: -1 kWh per day"',
            "expected a positive amount with a unit: nWh, µWh, mWh, Wh, kWh, MWh or GWh",
        ),
        ('"main: 5 mwh per day"', "write MWh for megawatt-hours or mWh for milliwatt-hours"),
        ('"main: 1,5 kg per day"', "write decimals with a dot"),
        (
            '"main: 5 kg per fortnight"',
            "expected a period: day, week, month, quarter or 'N days', got 'fortnight'",
        ),
        ('"main: 5 kg per 0 days"', "got '0 days'"),
        ('"main: 5 kg per Month"', "got 'Month'"),
        (
            '"main 50 kg per month"',
            "expected a window: a mapping with branch, per and max_emissions and/or max_energy, "
            "or one line such as 'main: 50 kg per month', got 'main 50 kg per month'",
        ),
        ('"main: 50 kg a month"', "got 'main: 50 kg a month'"),
        ('": 50 kg per month"', "expected a window"),
        ("5", "expected a window"),
    ],
)
def test_mistakes_are_located_at_the_entry(entry: str, words: str) -> None:
    e = error_of('"ok: 1 kg per day"', entry)
    assert (e.file, e.line, e.column, e.key_path) == ("p.yml", 6, 3, "windows[1]")
    assert words in str(e)


def test_an_unquoted_one_line_window_is_told_to_quote_it() -> None:
    e = error_of("main: 50 kg per month")
    assert (e.line, e.column, e.key_path) == (5, 3, "windows[0]")
    assert str(e) == (
        'p.yml:5:3: windows[0]: quote a one-line window, e.g. - "main: 50 kg per month"; '
        "unquoted, YAML reads it as a mapping"
    )


def test_a_misspelt_mapping_window_is_not_taken_for_an_unquoted_line() -> None:
    e = error_of("branch: main\n    per: month\n    max_emision: 5 kg")
    assert "unknown key 'max_emision' (did you mean 'max_emissions'?)" in str(e)


SAMPLES = [
    "main: 50 kg per month",
    "release/*: 20 kWh per 7 days",
    " a : b per c ",
    "main 50 kg per month",
    "main: 50 kg",
    ": 5 kg per day",
    "main:5kg per day",
    "main: per day",
    "main: 5 kg per ",
    "a:b: 5 kg per day",
    "main: 5 kg perday",
]


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_schema_pattern_matches_what_the_loader_reads(sample: str) -> None:
    pattern = policy_schema()["$defs"]["window"]["pattern"]
    assert bool(re.search(pattern, sample)) == bool(COMPACT.match(sample))


def test_the_example_in_the_history_docs_reads_as_it_says() -> None:
    text = (Path(__file__).parents[2] / "docs/history.md").read_text()
    block = re.search(r"```yaml\n(windows:\n  - \"main.*?)```", text, re.S)
    assert block is not None
    policy = load_policy_text("version: 1\nbudgets:\n  - max_energy: 1\n" + block[1], "h.md")
    assert policy.windows == (
        Window(("main",), Period.MONTH, 50.0, None),
        Window(("release/*",), Period.ROLLING, None, 20.0, 7),
    )
