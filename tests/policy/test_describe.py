"""What ``greengate validate`` says a policy would do."""

from __future__ import annotations

from greengate.measurement import Scope
from greengate.policy.describe import (
    describe_energy,
    describe_grid,
    describe_match,
    describe_policy,
    describe_profile,
)
from greengate.policy.loader import load_policy_text
from greengate.policy.model import CustomProfile, EnergySettings, GridSetting

POLICY = load_policy_text(
    """\
version: 1
defaults:
  country: FRA
  pue: 1.2
budgets:
  - name: training on main
    job: train
    branch: [main, "release/*"]
    max_emissions: 250 g
    max_energy: 1 kWh
    warn_at: 0.9
    mode: warn
  - max_energy: 50 mWh
""",
    "greengate.yml",
)


def test_the_policy_is_described_line_by_line() -> None:
    assert describe_policy(POLICY) == [
        "policy greengate.yml (version 1) is valid",
        "grid: country FRA (codecarbon's yearly average)",
        "PUE: 1.2 (measured energy is multiplied by it)",
        "energy profile: detected from the runner (greengate profiles shows which one fits here)",
        "scope: per environment: machine on hosted CI runners, process elsewhere",
        "embodied emissions: reported, not counted in budgets",
        "warn at: 80 % of a limit",
        "mode: enforce (an overrun fails the job)",
        "rules, first match wins:",
        "  1. 'training on main' (line 6): job train, branch main|release/* -> max 250 g CO2e, "
        "1 kWh; warn at 90 %; mode warn",
        "  2. budgets[1] (line 13): any job, any branch -> max 50 mWh",
    ]


def test_grid_settings_say_which_source_wins() -> None:
    assert describe_grid(GridSetting("DEU", None, 350.0)) == (
        "fixed intensity 350 g CO2e/kWh (wins over country DEU)"
    )
    assert describe_grid(GridSetting("USA", "california")) == (
        "country USA, region california (codecarbon's yearly average)"
    )
    assert describe_grid(GridSetting()).startswith("not set: --intensity or --country, else")


def test_a_match_names_the_rule_and_its_mode() -> None:
    assert describe_match(POLICY, "train", "main") == (
        "job 'train' on branch 'main': rule 1 'training on main' (line 6), mode warn"
    )
    assert describe_match(POLICY, "lint", None) == (
        "job 'lint' on branch unknown: rule 2 budgets[1] (line 13), mode enforce"
    )


def test_no_match_says_the_run_is_not_gated() -> None:
    policy = load_policy_text("version: 1\nbudgets:\n  - job: a\n    max_energy: 1\n", "p.yml")
    assert describe_match(policy, None, "main") == (
        "job unknown on branch 'main': no rule matches; the run is measured, not gated"
    )


def test_pue_left_out_comes_from_the_profile() -> None:
    policy = load_policy_text("version: 1\nbudgets:\n  - max_energy: 1\n", "p.yml")
    assert "PUE: the runner profile's provider (1.0 for an unknown machine)" in (
        describe_policy(policy)
    )


def test_energy_settings_are_described_in_words() -> None:
    policy = load_policy_text(
        """\
version: 1
energy:
  profile: gitlab-saas-medium
  scope: process
  include_embodied: true
budgets:
  - max_energy: 1
""",
        "p.yml",
    )
    assert describe_energy(policy.energy) == [
        "energy profile: gitlab-saas-medium (built-in; greengate profiles shows its figures)",
        "scope: process (the command's own CPU time on the power curve)",
        "embodied emissions: counted in budgets (SCI's M term)",
    ]
    assert describe_energy(EnergySettings(scope=Scope.MACHINE))[1] == (
        "scope: machine (the whole machine for the run's duration, idle included)"
    )
    assert describe_energy(EnergySettings(profile="aws"))[1] == (
        "scope: process (the default with a profile set in the policy; scope: machine charges "
        "the whole VM)"
    )


def test_custom_coefficients_are_spelt_out() -> None:
    assert describe_profile(CustomProfile(0.74, 3.5)) == (
        "custom, coefficients from the policy: 0.74 W idle to 3.5 W busy per vCPU, "
        "this machine's vCPUs"
    )
    full = CustomProfile(0.74, 3.5, 4, 9.0, 5.0, 1.135, "my-runners")
    assert describe_profile(full) == (
        "my-runners, coefficients from the policy: 0.74 W idle to 3.5 W busy per vCPU, "
        "4 vCPUs, embodied 9 kg CO2e per vCPU over 5 years, PUE 1.135"
    )


def test_validate_says_which_rules_stop_the_command_and_that_warn_mode_stops_nothing() -> None:
    policy = load_policy_text(
        "version: 1\ndefaults: {mode: warn}\nbudgets:\n"
        "  - {job: train, max_energy: 1 kWh, mode: enforce, stop_at_limit: true}\n"
        "  - {job: lint, max_energy: 1 kWh, stop_at_limit: true}\n"
        "  - {max_energy: 1 kWh, mode: off, stop_at_limit: true}\n",
        "greengate.yml",
    )
    rules = describe_policy(policy)[-3:]
    assert rules[0].endswith("-> max 1 kWh; mode enforce; stops the command at its limit")
    assert rules[1].endswith("; stop_at_limit has no effect in mode warn: nothing is stopped")
    assert rules[2].endswith("; stop_at_limit has no effect in mode off: nothing is stopped")
