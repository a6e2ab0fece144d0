"""Every number in a policy is ASCII, finite and within its documented range (issue 10).

Before: Arabic-Indic and full-width digits read as 5 kg, a 400-digit integer limit crashed
with OverflowError (exit 3), and a 400-digit tolerance became infinity, silently switching
the regression gate off.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Greengate

from greengate.errors import PolicyError
from greengate.policy.loader import load_policy_text

HUGE = "1" * 400


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "p.yml")
    return caught.value


def budget(limit: str) -> str:
    return f"version: 1\nbudgets:\n  - max_emissions: {limit}\n"


def regression(setting: str) -> str:
    return f"version: 1\nbudgets:\n  - max_emissions: 1 kg\nregression:\n  {setting}\n"


@pytest.mark.parametrize(
    "limit",
    [
        '"\u0665 kg"',  # ARABIC-INDIC DIGIT FIVE
        '"\uff15 kg"',  # FULLWIDTH DIGIT FIVE
        '"\u0967\u0966 g"',  # Devanagari 10
        '"1\uff10 kg"',  # an ASCII digit then a full-width one
        '"5 \u0661g"',
    ],
)
def test_only_ascii_digits_are_numbers(limit: str) -> None:
    e = error_of(budget(limit))
    assert (e.line, e.key_path) == (3, "budgets[0].max_emissions")
    assert "expected a positive amount with a unit" in str(e)


@pytest.mark.parametrize("where", ["max_emissions", "max_energy"])
def test_non_ascii_digits_in_a_compact_window_are_refused(where: str) -> None:
    unit = "kg" if where == "max_emissions" else "kWh"
    text = budget("1 kg") + f'windows:\n  - "main: \uff15 {unit} per month"\n'
    e = error_of(text)
    assert e.key_path is not None and e.key_path.startswith("windows[0]")


def test_non_ascii_days_in_a_rolling_window_are_refused() -> None:
    text = budget("1 kg") + "windows:\n  - branch: main\n    per: \u0663\u0660 days\n"
    text += "    max_emissions: 1 kg\n"
    assert error_of(text).key_path == "windows[0].per"


@pytest.mark.parametrize("setting", ['tolerance: "\uff15 %"', 'tolerance: "\u0665 %"'])
def test_non_ascii_tolerance_is_refused(setting: str) -> None:
    assert error_of(regression(setting)).key_path == "regression.tolerance"


@pytest.mark.parametrize(
    ("text", "key_path"),
    [
        (budget(HUGE), "budgets[0].max_emissions"),
        (f"version: 1\nbudgets:\n  - max_energy: {HUGE}\n", "budgets[0].max_energy"),
        (f"version: {HUGE}\nbudgets:\n  - max_energy: 1\n", "version"),
        (budget("1") + f"defaults:\n  pue: {HUGE}\n", "defaults.pue"),
        (budget("1") + f"defaults:\n  intensity: {HUGE}\n", "defaults.intensity"),
        (regression(f"runs: {HUGE}"), "regression.runs"),
        (regression(f"tolerance: {HUGE}"), "regression.tolerance"),
        (regression(f"noise: -{HUGE}"), "regression.noise"),
        (budget("1") + f"energy:\n  profile:\n    vcpus: {HUGE}\n", "energy.profile.vcpus"),
        (budget("1") + "x: 0x" + "f" * 400 + "\n", "x"),
    ],
)
def test_a_huge_integer_is_a_located_error(text: str, key_path: str) -> None:
    e = error_of(text)
    assert e.key_path == key_path
    assert "out of range" in str(e)


@pytest.mark.parametrize(
    ("text", "key_path"),
    [
        (budget(".inf"), "budgets[0].max_emissions"),
        (budget(".nan"), "budgets[0].max_emissions"),
        (budget("1") + "defaults:\n  warn_at: .nan\n", "defaults.warn_at"),
        (budget("1") + "defaults:\n  pue: .NaN\n", "defaults.pue"),
        (regression("tolerance: .inf"), "regression.tolerance"),
        (regression("noise: .inf"), "regression.noise"),
        (regression("noise: .nan"), "regression.noise"),
        (
            budget("1") + "energy:\n  profile:\n    idle_watts_per_vcpu: 1\n"
            "    max_watts_per_vcpu: .inf\n",
            "energy.profile.max_watts_per_vcpu",
        ),
        (
            budget("1") + "windows:\n  - branch: main\n    per: month\n    max_energy: -.inf\n",
            "windows[0].max_energy",
        ),
    ],
)
def test_infinity_and_nan_are_refused_everywhere(text: str, key_path: str) -> None:
    e = error_of(text)
    assert e.key_path == key_path
    assert "not a finite number" in str(e)


@pytest.mark.parametrize(
    "setting",
    [
        f'tolerance: "{"9" * 400} %"',  # float() of this is inf
        'tolerance: "1001 %"',
        "tolerance: 10.5",
        "tolerance: -1",
        "tolerance: true",
        'tolerance: "ten %"',
    ],
)
def test_a_tolerance_outside_0_to_1000_percent_is_refused(setting: str) -> None:
    e = error_of(regression(setting))
    assert e.key_path == "regression.tolerance"
    assert "expected a tolerance from 0 % to 1000 %" in str(e)


def test_a_tolerance_error_is_reported_once() -> None:
    e = error_of(regression('tolerance: "ten %"'))
    assert str(e).count("regression.tolerance") == 1


@pytest.mark.parametrize(
    ("setting", "fraction"), [('tolerance: "10 %"', 0.1), ("tolerance: 2", 2.0)]
)
def test_tolerances_in_range_are_read(setting: str, fraction: float) -> None:
    policy = load_policy_text(regression(setting), "p.yml")
    assert policy.regression is not None
    assert policy.regression.tolerance == pytest.approx(fraction)


def test_a_noise_factor_over_100_is_refused() -> None:
    assert error_of(regression("noise: 101")).key_path == "regression.noise"


def test_a_huge_limit_is_exit_2_not_an_internal_error(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(budget(HUGE))
    done = greengate("validate", "greengate.yml")
    assert done.returncode == 2, done.stderr
    assert "greengate.yml:3:20: budgets[0].max_emissions:" in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize("saving", ["\u0665\u0660 %", "\uff15\uff10%", "\u0661.\u0665 %"])
def test_non_ascii_min_saving_is_refused(saving: str) -> None:
    """The schema's pattern said \\d, which Python's re reads as any Unicode digit (issue 20)."""
    e = error_of(budget("1 kg") + f'carbon_aware:\n  min_saving: "{saving}"\n')
    assert e.key_path == "carbon_aware.min_saving"


def test_an_ascii_min_saving_is_read() -> None:
    policy = load_policy_text(budget("1 kg") + 'carbon_aware:\n  min_saving: "25 %"\n', "p.yml")
    assert policy.carbon_aware.min_saving == 0.25
