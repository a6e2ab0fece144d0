"""The git repositories the act tests' workflows clone: a user's project on GitHub."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

GIT_ID = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.invalid",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **GIT_ID},
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def make_repo(where: Path, files: Mapping[str, str]) -> Path:
    """A git repository on main holding FILES, its origin GitHub's octo/app (for act)."""
    repo = where / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "remote", "add", "origin", "https://github.com/octo/app.git")
    commit(repo, files, "initial")
    return repo


def commit(repo: Path, files: Mapping[str, str], message: str) -> str:
    """Write FILES, commit them on the current branch, and return the commit."""
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")
