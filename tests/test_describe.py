"""What ``greengate validate`` says a policy would do."""

from __future__ import annotations

from greengate.policy.describe import describe_grid, describe_match, describe_policy
from greengate.policy.loader import load_policy_text
from greengate.policy.model import GridSetting

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
        "warn at: 80 % of a limit",
        "mode: enforce (an overrun fails the job)",
        "rules, first match wins:",
        "  1. 'training on main' (line 6): job train, branch main|release/* -> max 250 g CO2e, "
        "1 kWh; warn at 90 %; mode warn",
        "  2. budgets[1] (line 13): any job, any branch -> max 50 mWh",
    ]


def test_grid_settings_say_which_source_wins() -> None:
    assert describe_grid(GridSetting("DEU", None, 350.0)) == (
        "fixed intensity 350 g/kWh (wins over country DEU)"
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
