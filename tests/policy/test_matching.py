"""Which rule a run gets: the first whose job and branch globs both match."""

from __future__ import annotations

import pytest

from greengate.policy.loader import load_policy_text
from greengate.policy.matching import rule_matches, select_budget
from greengate.policy.model import Budget

POLICY = load_policy_text(
    """\
version: 1
budgets:
  - name: train on main
    job: train
    branch: [main, "release/*"]
    max_emissions: 250 g
  - name: tests anywhere
    job: ["test-*", lint]
    max_emissions: 20 g
  - name: main
    branch: main
    max_emissions: 100 g
  - name: default
    max_emissions: 50 g
""",
    "greengate.yml",
)


@pytest.mark.parametrize(
    ("job", "branch", "rule"),
    [
        ("train", "main", "train on main"),
        ("train", "release/1.2", "train on main"),
        ("train", "release/1.2/hotfix", "train on main"),  # fnmatch: * also matches /
        ("train", "feature/x", "default"),
        ("train", None, "default"),  # branch globs never match an unknown branch
        ("test-unit", "main", "tests anywhere"),  # earlier rule wins over "main"
        ("test-unit", None, "tests anywhere"),  # no branch globs: any branch, even unknown
        ("lint", "feature/x", "tests anywhere"),
        ("Lint", "feature/x", "default"),  # case-sensitive on every platform
        ("build", "main", "main"),
        (None, "main", "main"),  # no job globs: any job, even unknown
        (None, None, "default"),
        ("", "", "default"),
    ],
)
def test_the_first_matching_rule_wins(job: str | None, branch: str | None, rule: str) -> None:
    selected = select_budget(POLICY, job, branch)
    assert selected is not None
    assert selected.name == rule


def test_no_rule_matches_without_a_default() -> None:
    policy = load_policy_text(
        "version: 1\nbudgets:\n  - job: train\n    max_energy: 1\n", "greengate.yml"
    )
    assert select_budget(policy, "lint", "main") is None
    assert select_budget(policy, None, None) is None
    assert select_budget(policy, "train", None) is not None


def _rule(jobs: tuple[str, ...] = (), branches: tuple[str, ...] = ()) -> Budget:
    return Budget(0, 1, None, jobs, branches, 1.0, None)


@pytest.mark.parametrize(
    ("rule", "job", "branch", "expected"),
    [
        (_rule(), None, None, True),
        (_rule(jobs=("*",)), None, "main", False),
        (_rule(jobs=("*",)), "anything", "main", True),
        (_rule(branches=("*",)), "x", None, False),
        (_rule(jobs=("a", "b")), "b", None, True),
        (_rule(jobs=("te?t",)), "test", None, True),
        (_rule(jobs=("[ab]*",)), "build", None, True),
        (_rule(jobs=("[ab]*",)), "check", None, False),
        (_rule(jobs=("train",), branches=("main",)), "train", "dev", False),
    ],
)
def test_a_rule_matches_when_both_matchers_do(
    rule: Budget, job: str | None, branch: str | None, expected: bool
) -> None:
    assert rule_matches(rule, job, branch) is expected
