"""Where a run happens: options, then each CI's variables, then git (real repositories)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from greengate.context import RunContext, ci_provider, detect_context, repository_name


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` with a fixed identity; its stdout, stripped."""
    out = subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on branch ``main`` with one commit."""
    path = tmp_path / "repo"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    (path / "README").write_text("hello\n")
    git(path, "add", "README")
    git(path, "commit", "-q", "-m", "first")
    return path


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


# --- git, outside CI ----------------------------------------------------------------------


def test_local_run_takes_branch_and_commit_from_git(repo: Path) -> None:
    ctx = detect_context({}, cwd=str(repo))
    assert ctx == RunContext(branch="main", commit=head(repo))


def test_a_new_branch_is_seen(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "feature/login")
    (repo / "README").write_text("changed\n")
    git(repo, "commit", "-q", "-am", "second")
    ctx = detect_context({}, cwd=str(repo))
    assert (ctx.branch, ctx.commit) == ("feature/login", head(repo))


def test_detached_head_has_a_commit_but_no_branch(repo: Path) -> None:
    commit = head(repo)
    git(repo, "checkout", "-q", "--detach", commit)
    ctx = detect_context({}, cwd=str(repo))
    assert (ctx.branch, ctx.commit) == (None, commit)


def test_a_repository_without_commits_gives_nothing(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    assert detect_context({}, cwd=str(tmp_path)) == RunContext()


def test_outside_any_repository_everything_is_unknown(tmp_path: Path) -> None:
    assert detect_context({}, cwd=str(tmp_path)) == RunContext()


def test_options_win_over_git(repo: Path) -> None:
    ctx = detect_context({}, job="lint", branch="release/2.0", cwd=str(repo))
    assert (ctx.job, ctx.branch, ctx.commit) == ("lint", "release/2.0", head(repo))


# --- CI variables -------------------------------------------------------------------------

GITHUB_PR = {
    "GITHUB_ACTIONS": "true",
    "GITHUB_JOB": "unit-tests",
    "GITHUB_HEAD_REF": "feature/faster",
    "GITHUB_REF_NAME": "42/merge",
    "GITHUB_BASE_REF": "main",
    "GITHUB_SHA": "a" * 40,
    "GITHUB_REPOSITORY": "acme/widgets",
    "GITHUB_WORKFLOW": "CI",
    "GITHUB_RUN_ID": "123",
    "GITHUB_RUN_ATTEMPT": "2",
}


def test_github_pull_request_uses_the_head_ref(repo: Path) -> None:
    ctx = detect_context(GITHUB_PR, cwd=str(repo))
    assert ctx == RunContext(
        job="unit-tests",
        branch="feature/faster",
        commit="a" * 40,
        ci_provider="github",
        base_branch="main",
        repository="acme/widgets",
        workflow="CI",
        run_id="123",
        run_attempt="2",
    )


def test_github_push_uses_the_ref_name() -> None:
    env = {**GITHUB_PR, "GITHUB_HEAD_REF": "", "GITHUB_REF_NAME": "main", "GITHUB_BASE_REF": ""}
    ctx = detect_context(env)
    assert (ctx.branch, ctx.base_branch) == ("main", None)


def test_options_win_over_ci_variables() -> None:
    ctx = detect_context(GITHUB_PR, job="bench", branch="main")
    assert (ctx.job, ctx.branch, ctx.ci_provider) == ("bench", "main", "github")


def test_gitlab_merge_request_uses_its_source_branch() -> None:
    env = {
        "GITLAB_CI": "true",
        "CI_JOB_NAME": "test",
        "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix/typo",
        "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
        "CI_COMMIT_REF_NAME": "refs/merge-requests/7/head",
        "CI_COMMIT_SHA": "b" * 40,
    }
    ctx = detect_context(env)
    assert (ctx.ci_provider, ctx.job, ctx.branch, ctx.base_branch, ctx.commit) == (
        "gitlab",
        "test",
        "fix/typo",
        "main",
        "b" * 40,
    )


def test_gitlab_branch_pipeline_uses_the_ref_name() -> None:
    env = {"GITLAB_CI": "true", "CI_JOB_NAME": "test", "CI_COMMIT_REF_NAME": "main"}
    assert detect_context(env).branch == "main"


def test_azure_strips_refs_heads_from_a_pull_request_branch() -> None:
    env = {
        "TF_BUILD": "True",
        "SYSTEM_JOBNAME": "Build",
        "SYSTEM_PULLREQUEST_SOURCEBRANCH": "refs/heads/feature/login",
        "SYSTEM_PULLREQUEST_TARGETBRANCH": "refs/heads/main",
        "BUILD_SOURCEBRANCH": "refs/pull/9/merge",
        "BUILD_SOURCEBRANCHNAME": "merge",
        "BUILD_SOURCEVERSION": "c" * 40,
    }
    ctx = detect_context(env)
    assert (ctx.ci_provider, ctx.job, ctx.branch, ctx.base_branch) == (
        "azure",
        "Build",
        "feature/login",
        "main",
    )


def test_azure_branch_build_keeps_the_whole_branch_name() -> None:
    # Build.SourceBranchName is only the last path segment ("login" for feature/login);
    # Build.SourceBranch holds the whole ref, so a `feature/*` rule can match.
    env = {
        "TF_BUILD": "True",
        "SYSTEM_JOBNAME": "Build",
        "BUILD_SOURCEBRANCH": "refs/heads/feature/login",
        "BUILD_SOURCEBRANCHNAME": "login",
    }
    assert detect_context(env).branch == "feature/login"


def test_jenkins_strips_origin_from_git_branch() -> None:
    env = {
        "JENKINS_URL": "https://ci.example.org/",
        "STAGE_NAME": "Test",
        "GIT_BRANCH": "origin/release/1.2",
        "GIT_COMMIT": "d" * 40,
    }
    ctx = detect_context(env)
    assert (ctx.ci_provider, ctx.job, ctx.branch, ctx.commit) == (
        "jenkins",
        "Test",
        "release/1.2",
        "d" * 40,
    )


def test_jenkins_change_request_prefers_the_change_branch() -> None:
    env = {
        "JENKINS_URL": "https://ci.example.org/",
        "JOB_NAME": "widgets/PR-5",
        "BRANCH_NAME": "PR-5",
        "CHANGE_BRANCH": "feature/x",
        "CHANGE_TARGET": "main",
    }
    ctx = detect_context(env)
    assert (ctx.job, ctx.branch, ctx.base_branch) == ("widgets/PR-5", "feature/x", "main")


def test_a_ci_without_the_commit_takes_it_from_git(repo: Path) -> None:
    env = {"JENKINS_URL": "https://ci.example.org/", "BRANCH_NAME": "main"}
    ctx = detect_context(env, cwd=str(repo))
    assert (ctx.branch, ctx.commit) == ("main", head(repo))


def test_the_ci_branch_wins_over_the_checkout(repo: Path) -> None:
    # CI checkouts are often detached or on a merge ref; the CI knows the real branch.
    git(repo, "checkout", "-q", "-b", "local-name")
    env = {"GITLAB_CI": "true", "CI_COMMIT_REF_NAME": "main", "CI_COMMIT_SHA": "e" * 40}
    ctx = detect_context(env, cwd=str(repo))
    assert (ctx.branch, ctx.commit) == ("main", "e" * 40)


def test_blank_variables_count_as_unset() -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": "  ",
        "GITHUB_HEAD_REF": " ",
        "GITHUB_REF_NAME": "main",
    }
    ctx = detect_context(env)
    assert (ctx.job, ctx.branch) == (None, "main")


@pytest.mark.parametrize(
    ("env", "provider"),
    [
        ({"GITHUB_ACTIONS": "true"}, "github"),
        ({"GITHUB_ACTIONS": "false"}, None),
        ({"GITLAB_CI": "true"}, "gitlab"),
        ({"TF_BUILD": "True"}, "azure"),
        ({"JENKINS_URL": "https://ci.example.org/"}, "jenkins"),
        ({"JENKINS_URL": ""}, None),
        ({}, None),
    ],
)
def test_ci_provider_from_its_marker(env: dict[str, str], provider: str | None) -> None:
    assert ci_provider(env) == provider


def test_outside_ci_the_ci_variables_are_ignored(tmp_path: Path) -> None:
    # GITHUB_JOB without GITHUB_ACTIONS=true is someone's shell, not a workflow.
    ctx = detect_context({"GITHUB_JOB": "x", "CI_JOB_NAME": "y"}, cwd=str(tmp_path))
    assert ctx == RunContext()


# --- the repository, the same locally and in CI (issue 19) -------------------------------


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://github.com/acme/widgets.git", "acme/widgets"),
        ("https://github.com/acme/widgets", "acme/widgets"),
        ("https://x-access-token:secret@github.com/acme/widgets.git", "acme/widgets"),
        ("git@github.com:acme/widgets.git", "acme/widgets"),
        ("ssh://git@github.com/acme/widgets.git", "acme/widgets"),
        ("ssh://git@gitlab.example.org:2222/group/sub/proj.git", "group/sub/proj"),
        ("https://dev.azure.com/org/proj/_git/widgets", "widgets"),
        ("git@ssh.dev.azure.com:v3/org/proj/widgets", "widgets"),
        ("file:///srv/git/acme/widgets.git", "acme/widgets"),
        ("/srv/git/acme/widgets.git", "acme/widgets"),
    ],
)
def test_a_remote_url_names_the_repository_as_ci_does(url: str, name: str) -> None:
    assert repository_name(url) == name
    assert "secret" not in (repository_name(url) or "")


def test_a_local_run_names_the_repository_from_its_origin_remote(repo: Path) -> None:
    git(repo, "remote", "add", "origin", "git@github.com:acme/widgets.git")
    local = detect_context({}, cwd=str(repo))
    in_ci = detect_context(
        {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/widgets"}, cwd=str(repo)
    )
    assert local.repository == in_ci.repository == "acme/widgets"


def test_without_a_remote_the_repository_is_unknown(repo: Path) -> None:
    assert detect_context({}, cwd=str(repo)).repository is None


def test_jenkins_names_the_repository_from_its_git_url_not_the_job() -> None:
    env = {
        "JENKINS_URL": "https://ci.example.org/",
        "JOB_NAME": "widgets/PR-5",
        "GIT_URL": "https://github.com/acme/widgets.git",
    }
    assert detect_context(env).repository == "acme/widgets"
