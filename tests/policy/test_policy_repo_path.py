"""The policy as a file of its repository: where a CI annotation must point.

GitHub places an annotation by its path from the repository's top. A run in a subdirectory
names the policy relative to that directory, and a trusted policy (``--policy-from``) by
``REF:PATH``; neither is a path GitHub can place.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import Greengate

from greengate.policy.trusted import repository_path, resolve_policy

POLICY = """\
version: 1
budgets:
  - name: all
    max_emissions: 1 kg
"""


def git(repo: Path, *args: str) -> None:
    ident = ["-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run(["git", *ident, *args], cwd=repo, check=True, capture_output=True)


def make_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "ci").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "greengate.yml").write_text(POLICY)
    (repo / "ci" / "budget.yml").write_text(POLICY)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "policies")
    return repo


def test_a_policy_named_from_a_subdirectory_has_its_repository_path(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    choice = resolve_policy("budget.yml", None, str(repo / "ci"))
    assert (choice.applied.path, choice.applied.repo_path) == ("budget.yml", "ci/budget.yml")
    assert repository_path(str(repo / "greengate.yml")) == "greengate.yml"
    (tmp_path / "alone.yml").write_text(POLICY)
    assert repository_path(str(tmp_path / "alone.yml")) is None


def test_a_trusted_policy_has_its_repository_path_not_its_ref(tmp_path: Path) -> None:
    repo = make_repo(tmp_path)
    unchanged = resolve_policy("budget.yml", "main", str(repo / "ci"))
    assert unchanged.applied.path == "refs/heads/main:ci/budget.yml"
    assert unchanged.applied.repo_path == "ci/budget.yml"


def test_the_github_annotation_points_at_the_file_in_the_repository(
    tmp_path: Path, greengate: Greengate
) -> None:
    repo = make_repo(tmp_path)
    env = {"GITHUB_ACTIONS": "true", "GREENGATE_LEDGER": "off"}
    for args in (["--policy", "budget.yml"], ["--policy", "budget.yml", "--policy-from", "main"]):
        done = greengate("run", *args, "--", "true", env=env, cwd=repo / "ci")
        assert done.returncode == 0, done.stderr
        notice = next(line for line in done.out.splitlines() if line.startswith("::notice"))
        assert notice.startswith("::notice file=ci/budget.yml,line=3,"), notice
