"""The policy's grid: and carbon_aware: sections: validated and located like the rest."""

from __future__ import annotations

import pytest

from greengate.durations import DurationError, parse_duration
from greengate.errors import PolicyError
from greengate.policy.loader import load_policy_text
from greengate.policy.model import GridFallback, GridProvider, LiveGrid, Signal

BASE = "version: 1\nbudgets:\n  - max_emissions: 1 kg\n"


def test_a_full_grid_section_is_read() -> None:
    policy = load_policy_text(
        BASE + "grid:\n  provider: watttime\n  zone: CAISO_NORTH\n  signal: marginal\n"
        "  url: https://proxy.example/\n  timeout: 500 ms\n  fallback: error\n"
        "carbon_aware:\n  min_saving: 25 %\n",
        "p.yml",
    )
    assert policy.grid == LiveGrid(
        GridProvider.WATTTIME,
        "CAISO_NORTH",
        Signal.MARGINAL,
        "https://proxy.example",
        0.5,
        GridFallback.ERROR,
    )
    assert policy.carbon_aware.min_saving == 0.25


def test_no_grid_section_is_offline() -> None:
    policy = load_policy_text(BASE, "p.yml")
    assert policy.grid is None and policy.carbon_aware.min_saving == 0.10


@pytest.mark.parametrize(
    ("section", "line", "message"),
    [
        (
            "grid:\n  provider: electricitymaps\n  zone: DE\n  tiemout: 3 s\n",
            7,
            "unknown key 'tiemout' (did you mean 'timeout'?)",
        ),
        ("grid:\n  provider: electricmaps\n  zone: DE\n", 5, "did you mean 'electricitymaps'?"),
        (
            "grid:\n  provider: energy-charts\n  zone: de\n  signal: marginal\n",
            7,
            "energy-charts has no marginal signal",
        ),
        ("grid:\n  provider: carbon-aware-sdk\n  zone: eastus\n", 5, "add url"),
        (
            "grid:\n  provider: uk-carbon-intensity\n  zone: OX1\n  timeout: 3 fortnights\n",
            7,
            "expected a duration such as",
        ),
        (
            "grid:\n  provider: uk-carbon-intensity\n  zone: OX1\n  timeout: 5 min\n",
            7,
            "up to 60 s",
        ),
        (
            "grid:\n  provider: uk-carbon-intensity\n  zone: OX1\n  url: ftp://x\n",
            7,
            "an http:// or https:// address",
        ),
        ("grid:\n  zone: DE\n", 5, "missing required key 'provider'"),
        ("carbon_aware:\n  min_saving: 150 %\n", 5, "a saving such as"),
    ],
)
def test_mistakes_are_located(section: str, line: int, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(BASE + section, "p.yml")
    assert caught.value.line == line, str(caught.value)
    assert message in str(caught.value)


def test_durations() -> None:
    assert parse_duration("45m") == 2700
    assert parse_duration("1h30m") == 5400
    assert parse_duration("3 s") == 3
    assert parse_duration("90", bare="m") == 5400
    assert parse_duration(2.5) == 2.5
    for bad in ("", "1,5h", "5 mins later", "-3s", "0s", True, "h"):
        with pytest.raises(DurationError):
            parse_duration(bad)
