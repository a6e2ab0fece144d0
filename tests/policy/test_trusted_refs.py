"""Which refs --policy-from trusts, read as git reads them (docs/ci.md, "Which refs are trusted").

Real repositories: an ``origin`` (bare) whose ``main`` holds a strict policy, and a clone
checked out on a pull request that loosens it. Issue 20: ``FETCH_HEAD`` read a branch or tag
the pull request named FETCH_HEAD instead of what ``git fetch`` wrote, and ``HEAD`` (the pull
request's own commit) was taken as trusted.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_trusted_policy import git

from greengate.errors import UsageError
from greengate.policy.trusted import resolve_policy

STRICT = "version: 1\nbudgets:\n  - name: strict\n    max_emissions: 1 g\n"
LOOSE = "version: 1\nbudgets:\n  - name: loose\n    max_emissions: 1 t\n"


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    """A clone of origin, on branch ``pr`` whose commit loosens the policy."""
    seed = tmp_path / "seed"
    seed.mkdir()
    git(seed, "init", "-q", "-b", "main")
    (seed / "greengate.yml").write_text(STRICT)
    git(seed, "add", ".")
    git(seed, "commit", "-q", "-m", "strict")
    git(tmp_path, "clone", "-q", "--bare", str(seed), str(tmp_path / "origin.git"))
    work = tmp_path / "work"
    git(tmp_path, "clone", "-q", str(tmp_path / "origin.git"), str(work))
    git(work, "checkout", "-q", "-b", "pr")
    (work / "greengate.yml").write_text(LOOSE)
    git(work, "commit", "-q", "-am", "loosen")
    return work


def applied(clone: Path, ref: str) -> tuple[str, str | None]:
    choice = resolve_policy("greengate.yml", ref, str(clone))
    return choice.applied.budgets[0].label, choice.ref


def test_fetch_head_is_what_git_fetch_wrote(clone: Path) -> None:
    git(clone, "fetch", "-q", "origin", "main")
    assert applied(clone, "FETCH_HEAD") == ("strict", "FETCH_HEAD")


def test_a_branch_named_fetch_head_is_never_read_for_it(clone: Path) -> None:
    git(clone, "branch", "FETCH_HEAD", "pr")  # the PR's commit under the pseudo-ref's name
    with pytest.raises(UsageError, match="nothing was fetched"):
        resolve_policy("greengate.yml", "FETCH_HEAD", str(clone))
    git(clone, "fetch", "-q", "origin", "main")  # now .git/FETCH_HEAD is there too
    with pytest.raises(UsageError, match="'FETCH_HEAD' is ambiguous") as caught:
        resolve_policy("greengate.yml", "FETCH_HEAD", str(clone))
    assert "refs/heads/FETCH_HEAD" in caught.value.message


def test_a_fetch_head_branch_pushed_to_origin_is_refused_too(clone: Path) -> None:
    # The PR pushes a branch called FETCH_HEAD; a full fetch brings it as a remote branch.
    git(clone, "push", "-q", "origin", "pr:refs/heads/FETCH_HEAD")
    git(clone, "fetch", "-q", "origin")
    git(clone, "fetch", "-q", "origin", "main")
    with pytest.raises(UsageError, match="'FETCH_HEAD' is ambiguous") as caught:
        resolve_policy("greengate.yml", "FETCH_HEAD", str(clone))
    assert "refs/remotes/origin/FETCH_HEAD" in caught.value.message


def test_head_is_the_pull_requests_own_commit_and_refused(clone: Path) -> None:
    with pytest.raises(UsageError, match="HEAD is the commit checked out") as caught:
        resolve_policy("greengate.yml", "HEAD", str(clone))
    assert caught.value.hint is not None and "git fetch origin" in caught.value.hint


@pytest.mark.parametrize("ref", ["ORIG_HEAD", "MERGE_HEAD", "CHERRY_PICK_HEAD"])
def test_other_root_refs_are_git_state_not_trusted(clone: Path, ref: str) -> None:
    git(clone, "update-ref", ref, "pr")  # a file in .git, as git operations leave them
    with pytest.raises(UsageError, match=f"{ref} names git's own state"):
        resolve_policy("greengate.yml", ref, str(clone))


@pytest.mark.parametrize(
    "ref", ["refs/pull/7/head", "refs/pull/7/merge", "refs/merge-requests/7/head"]
)
def test_a_pull_requests_own_refs_are_refused_even_in_full(clone: Path, ref: str) -> None:
    git(clone, "update-ref", ref, "pr")
    with pytest.raises(UsageError, match="a pull request's own ref"):
        resolve_policy("greengate.yml", ref, str(clone))


def test_a_branch_git_finds_twice_at_two_commits_is_refused(clone: Path) -> None:
    git(clone, "update-ref", "refs/remotes/main", "pr")  # read by git for "main", after heads
    git(clone, "branch", "-q", "-f", "main", "origin/main")
    with pytest.raises(UsageError, match="'main' is ambiguous"):
        resolve_policy("greengate.yml", "main", str(clone))
    assert applied(clone, "refs/heads/main") == ("strict", "refs/heads/main")


def test_the_cli_judges_by_fetch_head_and_refuses_head(clone: Path) -> None:
    import subprocess

    measurement = clone / "emissions.csv"
    measurement.write_text(
        "timestamp,emissions,cpu_energy,gpu_energy,ram_energy,energy_consumed\n"
        "2026-07-02T10:00:00,0.0019,0.004,0,0.001,0.005\n"
    )
    git(clone, "fetch", "-q", "origin", "main")

    def check(ref: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "greengate", "check", "--measurement", str(measurement)],
            cwd=clone,
            env={**_env(), "GREENGATE_POLICY_FROM": ref, "GREENGATE_LEDGER": "off"},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    trusted = check("FETCH_HEAD")
    assert trusted.returncode == 1, trusted.stderr  # 1.9 g against main's 1 g: over budget
    refused = check("HEAD")
    assert refused.returncode == 2 and "HEAD is the commit checked out" in refused.stderr


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)
