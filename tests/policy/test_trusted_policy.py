"""The trusted policy (--policy-from): real git repositories in temporary directories."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from factories import assert_valid_verdict, make_verdict

from greengate.errors import PolicyError, UsageError
from greengate.policy.change import LimitChange, PolicyChange
from greengate.policy.change_export import policy_change_from_dict
from greengate.policy.matching import select_budget
from greengate.policy.model import Policy
from greengate.policy.trusted import PolicyChoice, policy_change, resolve_policy, same_rules
from greengate.verdict import Quantity
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict

BASE = """\
version: 1
budgets:
  - name: tests
    job: unit-*
    max_emissions: 1 g
"""
LOOSER = BASE.replace("1 g", "100 g")
COMMENTED = "# only a comment differs\n" + BASE


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        # A path that does not exist: no global config. (Not /dev/null: a test that renames a
        # file over it, as a root run can, leaves a "config" git refuses to parse.)
        "GIT_CONFIG_GLOBAL": str(repo.parent / "no-global-gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(
        ["git", "-C", str(repo), *args], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose `main` holds BASE and whose checked-out branch `pr` is on top."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "greengate.yml").write_text(BASE)
    git(root, "add", "greengate.yml")
    git(root, "commit", "-q", "-m", "policy")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def changed(choice: PolicyChoice, job: str | None, branch: str | None) -> PolicyChange | None:
    """The policy change as the gate asks for it, with the applied rule it matched."""
    return policy_change(choice, job, branch, select_budget(choice.applied, job, branch))


def limit(policy: Policy) -> float | None:
    return policy.budgets[0].max_emissions_kg


def test_without_ref_the_working_tree_copy_applies(repo: Path) -> None:
    (repo / "greengate.yml").write_text(LOOSER)
    choice = resolve_policy("greengate.yml", None, str(repo))
    assert choice.ref is None and choice.proposed is None
    assert limit(choice.applied) == pytest.approx(0.1)
    assert choice.applied.path == "greengate.yml"


def test_a_pr_that_loosens_its_budget_gets_the_base_one(repo: Path) -> None:
    (repo / "greengate.yml").write_text(LOOSER)
    git(repo, "commit", "-q", "-am", "raise my own budget")
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert choice.ref == "refs/heads/main"  # the branch, fully qualified: which ref was read
    assert choice.applied.path == "refs/heads/main:greengate.yml"
    assert limit(choice.applied) == pytest.approx(0.001)
    assert choice.proposed is not None
    assert limit(choice.proposed) == pytest.approx(0.1)
    assert choice.proposed.path == "greengate.yml"


def test_an_unchanged_policy_proposes_nothing(repo: Path) -> None:
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert choice.proposed is None
    assert limit(choice.applied) == pytest.approx(0.001)


def test_a_comment_only_change_proposes_nothing(repo: Path) -> None:
    (repo / "greengate.yml").write_text(COMMENTED)
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert choice.proposed is None


def test_a_deleted_policy_still_applies_from_the_base(repo: Path) -> None:
    (repo / "greengate.yml").unlink()
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert choice.proposed is None
    assert limit(choice.applied) == pytest.approx(0.001)


def test_paths_are_made_repository_relative(repo: Path) -> None:
    sub = repo / "ci"
    sub.mkdir()
    (sub / "budget.yml").write_text(BASE)
    git(repo, "add", "ci/budget.yml")
    git(repo, "commit", "-q", "-m", "nested policy")
    (sub / "budget.yml").write_text(LOOSER)
    # Named relative to a subdirectory, and relative to the root: the same file in git.
    from_sub = resolve_policy("budget.yml", "pr", str(sub))
    from_root = resolve_policy("ci/budget.yml", "pr", str(repo))
    assert from_sub.applied.path == from_root.applied.path == "refs/heads/pr:ci/budget.yml"
    assert from_sub.proposed is not None and from_sub.proposed.path == "budget.yml"
    absolute = resolve_policy(str(sub / "budget.yml"), "pr", str(repo))
    assert absolute.applied.path == "refs/heads/pr:ci/budget.yml"


def test_a_missing_ref_is_an_error_with_a_fetch_hint(repo: Path) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_policy("greengate.yml", "origin/main", str(repo))
    assert "no branch 'origin/main'" in caught.value.message
    assert caught.value.hint is not None and "fetch-depth: 0" in caught.value.hint


def test_a_file_missing_at_the_ref_is_an_error_not_a_fallback(repo: Path) -> None:
    (repo / "new.yml").write_text(BASE)
    with pytest.raises(PolicyError) as caught:
        resolve_policy("new.yml", "main", str(repo))
    assert caught.value.file == "refs/heads/main:new.yml"
    assert "no such file at refs/heads/main" in str(caught.value)


def test_a_directory_at_the_ref_is_refused(repo: Path) -> None:
    (repo / "d").mkdir()
    (repo / "d" / "x.yml").write_text(BASE)
    git(repo, "add", "d")
    git(repo, "commit", "-q", "-m", "dir")
    with pytest.raises(PolicyError, match="is a directory at refs/heads/pr"):
        resolve_policy("d", "pr", str(repo))


def test_an_invalid_policy_at_the_ref_names_ref_and_path(repo: Path) -> None:
    (repo / "greengate.yml").write_text("version: 1\nbudgets: []\n")
    git(repo, "commit", "-q", "-am", "break it")
    with pytest.raises(PolicyError) as caught:
        resolve_policy("greengate.yml", "pr", str(repo))
    assert caught.value.file == "refs/heads/pr:greengate.yml"


def test_an_invalid_proposal_is_reported_not_ignored(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "greengate.yml").write_text("version: 1\nbudgets: nope\n")
    with pytest.raises(PolicyError) as caught:
        resolve_policy("greengate.yml", "main", str(repo))
    assert caught.value.file == str(repo / "greengate.yml")
    monkeypatch.chdir(repo)  # relative to our own directory: named as the user wrote it
    with pytest.raises(PolicyError) as caught:
        resolve_policy("greengate.yml", "main", str(repo))
    assert caught.value.file == "greengate.yml"


def test_outside_a_git_repository_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(BASE)
    with pytest.raises(UsageError, match="could not find the git repository"):
        resolve_policy("greengate.yml", "main", str(tmp_path))


def test_a_policy_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yml").write_text(BASE)
    with pytest.raises(UsageError, match="outside the git repository"):
        resolve_policy(str(tmp_path / "elsewhere.yml"), "main", str(repo))


def test_a_ref_that_looks_like_an_option_is_refused(repo: Path) -> None:
    with pytest.raises(UsageError, match="is not a git ref"):
        resolve_policy("greengate.yml", "--output=/tmp/x", str(repo))


def test_same_rules_ignores_paths_and_lines(repo: Path) -> None:
    a = resolve_policy("greengate.yml", None, str(repo)).applied
    (repo / "greengate.yml").write_text(COMMENTED)
    b = resolve_policy("greengate.yml", None, str(repo)).applied
    assert a.budgets[0].line != b.budgets[0].line
    assert same_rules(a, b)
    (repo / "greengate.yml").write_text(LOOSER)
    assert not same_rules(a, resolve_policy("greengate.yml", None, str(repo)).applied)


# --- the comparison reaches the verdict, its file and the summaries ----------------------------

STRICT = """\
version: 1
defaults: {country: FRA}
budgets:
  - name: tests
    job: unit-*
    max_energy: 0.000000001 kWh
"""
LOOSE = """\
version: 1
defaults: {country: FRA, pue: 1.2}
budgets:
  - name: tests, loosened
    job: unit-*
    max_energy: 1 kWh
    max_emissions: 1 kg
    mode: warn
"""


def test_policy_change_lists_old_and_new_limits_side_by_side(repo: Path) -> None:
    (repo / "greengate.yml").write_text(LOOSER)
    choice = resolve_policy("greengate.yml", "main", str(repo))
    change = changed(choice, "unit-tests", "pr")
    assert change is not None
    assert (change.ref, change.applied_path, change.proposed_path) == (
        "refs/heads/main",
        "refs/heads/main:greengate.yml",
        "greengate.yml",
    )
    assert change.applied_rule == change.proposed_rule == "tests"
    assert change.limits == (LimitChange(Quantity.EMISSIONS, 0.001, 0.1),)
    assert change.other == ()
    # A job no rule matches in either: no limits to compare, still a change to show.
    other_job = changed(choice, "lint", "pr")
    assert other_job is not None and other_job.applied_rule is None and other_job.limits == ()


def test_a_change_of_energy_settings_is_shown(repo: Path) -> None:
    # Scope and embodied emissions change what a run is charged, so a PR must not slip them in.
    (repo / "greengate.yml").write_text(BASE + "energy:\n  scope: process\n")
    change = changed(resolve_policy("greengate.yml", "main", str(repo)), "unit-1", "pr")
    assert change is not None and change.other == ("energy",)
    assert change.limits == (LimitChange(Quantity.EMISSIONS, 0.001, 0.001),)
    coefficients = "  profile: {idle_watts_per_vcpu: 0.1, max_watts_per_vcpu: 0.2}\n"
    (repo / "greengate.yml").write_text(BASE + "energy:\n" + coefficients)
    change = changed(resolve_policy("greengate.yml", "main", str(repo)), "unit-1", "pr")
    assert change is not None and change.other == ("energy",)
    verdict = dataclasses.replace(make_verdict(), policy_change=change)
    assert_valid_verdict(verdict_to_dict(verdict))  # the verdict schema knows the name


def test_no_policy_change_without_a_proposal(repo: Path) -> None:
    assert changed(resolve_policy("greengate.yml", "main", str(repo)), "unit-1", None) is None
    assert changed(resolve_policy("greengate.yml", None, str(repo)), "unit-1", None) is None


def gate_in(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "greengate", "run", "--job", "unit-tests", *args]
    argv += ["--report", "markdown=summary.md", "--", sys.executable, "-c", "pass"]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=False, timeout=60)


def test_a_pr_cannot_loosen_its_budget_end_to_end(repo: Path) -> None:
    (repo / "greengate.yml").write_text(STRICT)
    git(repo, "commit", "-q", "-am", "strict budget")
    git(repo, "branch", "-f", "main", "HEAD")
    (repo / "greengate.yml").write_text(LOOSE)  # the PR raises its own budget

    trusted = gate_in(repo, "--policy-from", "main")
    assert trusted.returncode == 1, trusted.stderr  # judged by main's budget: over it
    data = json.loads((repo / "greengate-verdict.json").read_text())
    assert_valid_verdict(data)
    assert data["status"] == "fail" and data["policy"]["path"] == "refs/heads/main:greengate.yml"
    assert data["policy_change"] == {
        "ref": "refs/heads/main",
        "applied": {"path": "refs/heads/main:greengate.yml", "rule": "tests", "mode": "enforce"},
        "proposed": {"path": "greengate.yml", "rule": "tests, loosened", "mode": "warn"},
        "limits": [
            {"quantity": "emissions", "applied": None, "proposed": 1.0},
            {"quantity": "energy", "applied": 1e-9, "proposed": 1.0},
        ],
        "other": ["pue"],
    }
    assert verdict_from_dict(data).policy_change == policy_change_from_dict(data["policy_change"])
    said = " ".join(trusted.stderr.split())  # the console wraps long lines
    assert "this change edits the policy: applied refs/heads/main:greengate.yml from" in said
    assert "from refs/heads/main (rule 'tests', enforce)" in said
    summary = (repo / "summary.md").read_text(encoding="utf-8")
    assert (
        "**This change edits the policy.** Applied: the trusted `refs/heads/main:greengate.yml`"
        in summary
    )
    assert "| mode | enforce | warn |" in summary
    assert "| energy | 1 µWh | 1 kWh |" in summary
    assert "| emissions | none | 1 kg CO2e |" in summary

    untrusted = gate_in(repo)  # without --policy-from the PR's own copy decides
    assert untrusted.returncode == 0, untrusted.stderr
    assert "policy_change" not in json.loads((repo / "greengate-verdict.json").read_text())
