"""--policy-from against a hostile pull request: symlinks, look-alike tags, poisoned caches.

Real git repositories. Each test is one trick a PR can play from its own working tree (or
from code that ran earlier and wrote the cache) to get a looser budget applied (issue 10).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_trusted_policy import git

from greengate.errors import PolicyError, UsageError
from greengate.policy import document, schema
from greengate.policy.loader import load_policy_text
from greengate.policy.model import Policy
from greengate.policy.trusted import resolve_policy

STRICT = "version: 1\nbudgets:\n  - name: strict\n    max_energy: 0.000000001 kWh\n"
LOOSE = "version: 1\nbudgets:\n  - name: loose\n    max_energy: 1 kWh\n"


def rule(policy: Policy) -> str | None:
    return policy.budgets[0].name


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """``main`` holds the strict greengate.yml and a looser examples/greengate.yml."""
    root = tmp_path / "repo"
    (root / "examples").mkdir(parents=True)
    (root / "ci").mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "greengate.yml").write_text(STRICT)
    (root / "ci" / "greengate.yml").write_text(STRICT)
    (root / "examples" / "greengate.yml").write_text(LOOSE)
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "policies")
    git(root, "checkout", "-q", "-b", "pr")
    return root


def commit(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


# --- symlinks in the PR's working tree ------------------------------------------------------


def test_a_symlinked_policy_in_the_pr_does_not_redirect_the_trusted_read(repo: Path) -> None:
    (repo / "greengate.yml").unlink()
    os.symlink("examples/greengate.yml", repo / "greengate.yml")  # ln -sf examples/...
    commit(repo, "point the policy at the looser example")
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert rule(choice.applied) == "strict"
    assert choice.applied.path == "refs/heads/main:greengate.yml"
    assert choice.proposed is not None and rule(choice.proposed) == "loose"  # shown, not applied


def test_a_symlinked_directory_in_the_pr_does_not_redirect_it(repo: Path) -> None:
    (repo / "ci" / "greengate.yml").unlink()
    (repo / "ci").rmdir()
    os.symlink("examples", repo / "ci")
    commit(repo, "ci is now the examples")
    choice = resolve_policy("ci/greengate.yml", "main", str(repo))
    assert rule(choice.applied) == "strict"
    assert choice.applied.path == "refs/heads/main:ci/greengate.yml"


def test_a_symlinked_directory_given_from_inside_it_is_read_as_written(repo: Path) -> None:
    (repo / "ci" / "greengate.yml").unlink()
    (repo / "ci").rmdir()
    os.symlink("examples", repo / "ci")
    # cwd is <repo>/ci (a link): the path is ci/greengate.yml in the tree, not examples/...
    choice = resolve_policy(str(repo / "ci" / "greengate.yml"), "main", str(repo))
    assert rule(choice.applied) == "strict"


# --- symlinks committed at the ref: followed inside the tree only ----------------------------


def test_a_symlink_committed_at_the_ref_is_followed_inside_its_tree(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "greengate.yml").unlink()
    os.symlink("ci/greengate.yml", repo / "greengate.yml")
    (repo / "ci" / "greengate.yml").write_text(STRICT.replace("strict", "from ci"))
    commit(repo, "the policy lives in ci/")
    git(repo, "checkout", "-q", "pr")
    # The PR's own copy of ci/ is the looser one: the ref's tree decides, not the checkout.
    (repo / "ci" / "greengate.yml").write_text(LOOSE)
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert rule(choice.applied) == "from ci"
    assert choice.applied.path == "refs/heads/main:ci/greengate.yml"  # the file actually read


def test_a_committed_symlinked_directory_is_followed_inside_the_tree(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    os.symlink("ci", repo / "conf")
    commit(repo, "conf -> ci")
    git(repo, "checkout", "-q", "pr")
    choice = resolve_policy("conf/greengate.yml", "main", str(repo))
    assert choice.applied.path == "refs/heads/main:ci/greengate.yml"


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("/etc/hostname", "to the absolute path '/etc/hostname', outside the repository"),
        ("../../outside.yml", "the path leaves the repository"),
        ("greengate.yml", "too many levels of symbolic links"),  # a link to itself
    ],
)
def test_a_symlink_at_the_ref_leaving_its_tree_is_refused(
    repo: Path, target: str, words: str
) -> None:
    git(repo, "checkout", "-q", "main")
    (repo / "greengate.yml").unlink()
    os.symlink(target, repo / "greengate.yml")
    commit(repo, "a link out")
    with pytest.raises(PolicyError, match=words) as caught:
        resolve_policy("greengate.yml", "main", str(repo))
    assert caught.value.file == "refs/heads/main:greengate.yml"


# --- refs: branches, never a look-alike tag --------------------------------------------------


def test_a_tag_named_like_the_branch_is_refused_not_picked(repo: Path) -> None:
    (repo / "greengate.yml").write_text(LOOSE)
    commit(repo, "loosen")
    git(repo, "tag", "main")  # the PR's commit, tagged "main": git itself would read the tag
    with pytest.raises(UsageError, match="'main' is ambiguous") as caught:
        resolve_policy("greengate.yml", "main", str(repo))
    assert "refs/tags/main" in caught.value.message and "refs/heads/main" in caught.value.message
    # Named in full, each is read as named.
    branch = resolve_policy("greengate.yml", "refs/heads/main", str(repo))
    assert rule(branch.applied) == "strict" and branch.ref == "refs/heads/main"
    tagged = resolve_policy("greengate.yml", "refs/tags/main", str(repo))
    assert rule(tagged.applied) == "loose" and tagged.ref == "refs/tags/main"


def test_a_tag_on_the_branchs_own_commit_is_no_ambiguity(repo: Path) -> None:
    git(repo, "tag", "main", "main")
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert choice.ref == "refs/heads/main" and rule(choice.applied) == "strict"


def test_the_remote_branch_is_read_when_git_finds_no_such_name(repo: Path) -> None:
    # As actions/checkout with fetch-depth 0 leaves a PR: origin/main, and no local main.
    main = git(repo, "rev-parse", "main").strip()
    git(repo, "update-ref", "refs/remotes/origin/main", main)
    (repo / "greengate.yml").write_text(LOOSE)
    commit(repo, "loosen")
    git(repo, "branch", "-D", "main")
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert rule(choice.applied) == "strict"
    assert choice.ref == "refs/remotes/origin/main"
    assert resolve_policy("greengate.yml", "origin/main", str(repo)).ref == choice.ref
    # A tag "main" the PR pushed is what git reads "main" as: refused, not either picked.
    git(repo, "tag", "main")
    with pytest.raises(UsageError, match="'main' is ambiguous"):
        resolve_policy("greengate.yml", "main", str(repo))
    assert resolve_policy("greengate.yml", "origin/main", str(repo)).ref == choice.ref


def test_only_a_tag_is_not_a_branch(repo: Path) -> None:
    git(repo, "tag", "v1")
    with pytest.raises(UsageError, match="no branch 'v1'") as caught:
        resolve_policy("greengate.yml", "v1", str(repo))
    assert caught.value.hint is not None and "refs/tags/v1" in caught.value.hint


@pytest.mark.parametrize("ref", ["main~1", "main:examples/greengate.yml", "ma..in", "main^"])
def test_revision_syntax_is_not_a_branch_name(repo: Path, ref: str) -> None:
    with pytest.raises(UsageError, match="is not a branch name"):
        resolve_policy("greengate.yml", ref, str(repo))


def test_a_full_commit_id_is_read(repo: Path) -> None:
    main = git(repo, "rev-parse", "main").strip()
    choice = resolve_policy("greengate.yml", main, str(repo))
    assert choice.ref == main and rule(choice.applied) == "strict"


# --- the parse caches ------------------------------------------------------------------------


def new_files(directory: Path, before: set[Path]) -> list[Path]:
    """Files under ``directory`` that were not in ``before``."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p not in before)


def test_a_poisoned_parse_cache_does_not_change_the_trusted_policy(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Code of the PR that ran earlier in the job finds the cache entry an ordinary read of
    # main's policy text leaves (as it could: the cache is a directory it can list) and
    # rewrites it to hold the parse of a looser policy.
    cache = tmp_path / "cache"
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(cache))
    cache.mkdir()
    assert rule(load_policy_text(STRICT, "greengate.yml")) == "strict"
    entries = [p for p in new_files(cache, set()) if p.suffix == ".json"]
    assert len(entries) == 1
    forged = document.parse_document(LOOSE, "forged", cache=False)
    entry = {
        "data": forged.data,
        "values": [[list(p), at.line, at.column] for p, at in forged.values.items()],
        "keys": [[list(p), at.line, at.column] for p, at in forged.keys.items()],
    }
    entries[0].write_text(json.dumps(entry))
    # The poison works on an untrusted read of that text ...
    assert rule(load_policy_text(STRICT, "greengate.yml")) == "loose"
    # ... and not on the trusted one.
    choice = resolve_policy("greengate.yml", "main", str(repo))
    assert rule(choice.applied) == "strict"


def test_a_forged_validity_marker_does_not_pass_an_invalid_trusted_policy(repo: Path) -> None:
    broken = "version: 1\nbudgets:\n  - max_energy: 1\n    moed: warn\n"
    git(repo, "checkout", "-q", "main")
    (repo / "greengate.yml").write_text(broken)
    commit(repo, "a typo on main")
    git(repo, "checkout", "-q", "pr")
    data = document.parse_document(broken, "x", cache=False).data
    marker = schema.valid_marker(data)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    try:
        with pytest.raises(PolicyError, match="moed"):
            resolve_policy("greengate.yml", "main", str(repo))
    finally:
        marker.unlink()


def test_a_trusted_read_writes_nothing_to_the_cache(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(cache))
    cache.mkdir()
    # The same two reads, untrusted: each leaves a parse and a validity marker.
    load_policy_text(LOOSE, "greengate.yml")
    untrusted_loose = new_files(cache, set())
    load_policy_text(STRICT, "greengate.yml")
    assert len(new_files(cache, set(untrusted_loose))) == len(untrusted_loose) > 0
    for path in new_files(cache, set()):
        path.unlink()
    (repo / "greengate.yml").write_text(LOOSE)  # the PR's proposal: an ordinary, cached read
    resolve_policy("greengate.yml", "main", str(repo))
    # Only the proposal's entries: main's trusted copy was parsed and validated afresh.
    assert len(new_files(cache, set())) == len(untrusted_loose)


# --- end to end ------------------------------------------------------------------------------


def test_the_symlink_trick_fails_the_run_end_to_end(repo: Path) -> None:
    (repo / "greengate.yml").unlink()
    os.symlink("examples/greengate.yml", repo / "greengate.yml")
    argv = [sys.executable, "-m", "greengate", "run", "--policy-from", "main"]
    argv += ["--intensity", "300", "--", sys.executable, "-c", "pass"]
    done = subprocess.run(argv, cwd=repo, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr  # main's strict budget, not the example's
    verdict = json.loads((repo / "greengate-verdict.json").read_text())
    assert verdict["policy"]["path"] == "refs/heads/main:greengate.yml"
    assert verdict["rule"]["name"] == "strict"
