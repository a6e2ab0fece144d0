"""Where a run happens: job, branch, commit and CI provider."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RunContext:
    """Who ran what where. Every field may be unknown (None) outside CI."""

    job: str | None = None
    branch: str | None = None
    commit: str | None = None
    ci_provider: str | None = None  # "github", "gitlab", "azure", "jenkins", or None locally
    base_branch: str | None = None  # the PR/MR target, when there is one
    repository: str | None = None
    workflow: str | None = None
    run_id: str | None = None
    run_attempt: str | None = None
    job_key: str | None = None  # a matrix leg's identity (--job-key), beside the shared job id

    @property
    def job_identity(self) -> str | None:
        """The job as the ledger, windows, baseline and comments tell it: ``job [key]``."""
        if self.job_key is None:
            return self.job
        return f"{self.job or '?'} [{self.job_key}]"


def job_key_text(value: str) -> str:
    """A matrix leg's identity from ``--job-key``: a JSON object (``toJSON(matrix)``) becomes
    ``k=v, k=v`` in its own order; other text is kept, stripped. ValueError when unusable."""
    text = value.strip()
    if text.startswith("{"):
        from greengate.files.json_text import dump_json, load_json  # only for a matrix key

        try:
            matrix = load_json(text)
        except ValueError:
            raise ValueError(f"{text[:60]!r} is not a JSON object") from None
        if not isinstance(matrix, dict):
            raise ValueError("the matrix must be a JSON object")
        text = ", ".join(
            f"{k}={v if isinstance(v, str) else dump_json(v, separators=(',', ':'))}"
            for k, v in matrix.items()
        )
    if not text or len(text) > 200 or not text.isprintable():
        raise ValueError("a job key is 1-200 printable characters on one line")
    return text


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _strip_ref(ref: str | None) -> str | None:
    if ref is None:
        return None
    for prefix in ("refs/heads/", "refs/tags/", "origin/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def ci_provider(env: Mapping[str, str]) -> str | None:
    """Which CI system this is, from its own marker variable."""
    if env.get("GITHUB_ACTIONS") == "true":
        return "github"
    if env.get("GITLAB_CI") == "true":
        return "gitlab"
    if env.get("TF_BUILD", "").lower() == "true":
        return "azure"
    if env.get("JENKINS_URL"):
        return "jenkins"
    return None


# Each CI's variables for each RunContext field, first non-empty wins (REFERENCE.md section 2).
_VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    "github": {
        "job": ("GITHUB_JOB",),
        "branch": ("GITHUB_HEAD_REF", "GITHUB_REF_NAME"),
        "commit": ("GITHUB_SHA",),
        "base_branch": ("GITHUB_BASE_REF",),
        "repository": ("GITHUB_REPOSITORY",),
        "workflow": ("GITHUB_WORKFLOW",),
        "run_id": ("GITHUB_RUN_ID",),
        "run_attempt": ("GITHUB_RUN_ATTEMPT",),
    },
    "gitlab": {
        "job": ("CI_JOB_NAME",),
        "branch": ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_REF_NAME"),
        "commit": ("CI_COMMIT_SHA",),
        "base_branch": ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME",),
        "repository": ("CI_PROJECT_PATH",),
        "workflow": ("CI_PIPELINE_NAME",),
        "run_id": ("CI_PIPELINE_ID",),
        "run_attempt": ("CI_JOB_ID",),
    },
    "azure": {
        "job": ("SYSTEM_JOBNAME", "SYSTEM_JOBDISPLAYNAME"),
        # Build.SourceBranchName is only the ref's last segment ("login" for
        # refs/heads/feature/login), so the whole ref comes first.
        "branch": (
            "SYSTEM_PULLREQUEST_SOURCEBRANCH",
            "BUILD_SOURCEBRANCH",
            "BUILD_SOURCEBRANCHNAME",
        ),
        "commit": ("BUILD_SOURCEVERSION",),
        "base_branch": ("SYSTEM_PULLREQUEST_TARGETBRANCH",),
        "repository": ("BUILD_REPOSITORY_NAME",),
        "workflow": ("BUILD_DEFINITIONNAME",),
        "run_id": ("BUILD_BUILDID",),
        "run_attempt": ("SYSTEM_JOBATTEMPT",),
    },
    "jenkins": {
        "job": ("STAGE_NAME", "JOB_NAME"),
        "branch": ("CHANGE_BRANCH", "BRANCH_NAME", "GIT_BRANCH"),
        "commit": ("GIT_COMMIT",),
        "base_branch": ("CHANGE_TARGET",),
        # JOB_NAME ("widgets/PR-5") names a Jenkins job, not the repository: its git plugin's
        # GIT_URL is read like a local remote, and JOB_NAME only stands in without it.
        "repository": ("GIT_URL", "JOB_NAME"),
        "run_id": ("BUILD_NUMBER",),
    },
}
# Fields given as refs (refs/heads/NAME, origin/NAME) where GitHub and GitLab give NAME.
_REFS = {"azure": ("branch", "base_branch"), "jenkins": ("branch",)}


def _from_ci(provider: str | None, env: Mapping[str, str]) -> RunContext:
    if provider is None:
        return RunContext()
    refs = _REFS.get(provider, ())
    fields = {
        field: _strip_ref(value) if field in refs else value
        for field, names in _VARIABLES[provider].items()
        if (value := _first(env, *names)) is not None
    }
    return RunContext(ci_provider=provider, **fields)


def repository_name(url: str) -> str | None:
    """``owner/repo`` from a git remote URL, as CI names it (GITHUB_REPOSITORY, GitLab's
    CI_PROJECT_PATH): the path after the host, without ``.git`` and never with credentials.

    ``https://github.com/acme/widget.git``, ``git@github.com:acme/widget`` and
    ``ssh://git@gitlab.com/group/sub/proj.git`` give ``acme/widget`` and
    ``group/sub/proj``; Azure Repos' ``.../_git/repo`` gives ``repo``; a local path gives its
    last two parts. None for no path at all.
    """
    text = url.strip()
    if "://" in text:
        rest = text.split("://", 1)[1]
        path = rest.split("/", 1)[1] if "/" in rest and not text.startswith("file:") else rest
    elif re.match(r"[^/]+:", text):  # scp-like: [user@]host:path
        path = text.split(":", 1)[1]
    else:
        path = text
    if path.endswith(".git"):
        path = path[:-4]
    parts = [p for p in path.strip("/").split("/") if p and p not in (".", "..")]
    if text.startswith(("file:", "/", ".")) or ("://" not in text and ":" not in text):
        parts = parts[-2:]  # a local path: the folder names, not where they sit
    elif "_git" in parts or (parts[:1] == ["v3"] and "azure.com" in text):
        parts = parts[-1:]  # Azure Repos: BUILD_REPOSITORY_NAME is the repository's own name
    return "/".join(parts) or None


def _repository_from_git(cwd: str | None) -> str | None:
    """The repository of the checkout at ``cwd``, from its ``origin`` remote (issue 19: local
    runs had none while CI runs had ``owner/repo``, so history split one project in two)."""
    url = _git(cwd, "config", "--get", "remote.origin.url")
    return repository_name(url) if url and url.strip() else None


def _git(cwd: str | None, *args: str) -> str | None:
    """What ``git ARGS`` prints in ``cwd``; None when git is missing or fails."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout if out.returncode == 0 else None


def _from_git(cwd: str | None) -> tuple[str | None, str | None]:
    """Branch and commit of the git checkout at ``cwd``, if there is one."""
    lines = (_git(cwd, "rev-parse", "HEAD", "--abbrev-ref", "HEAD") or "").split()
    if len(lines) != 2:
        return None, None
    branch = None if lines[1] == "HEAD" else lines[1]  # "HEAD" means detached
    return branch, lines[0]


def detect_context(
    env: Mapping[str, str],
    *,
    job: str | None = None,
    branch: str | None = None,
    cwd: str | None = None,
) -> RunContext:
    """Job and branch from the options, else the CI's variables, else git (branch, commit)."""
    found = _from_ci(ci_provider(env), env)
    if found.branch is None or found.commit is None:
        git_branch, git_commit = _from_git(cwd)
        found = replace(found, branch=found.branch or git_branch, commit=found.commit or git_commit)
    if found.repository is None:
        found = replace(found, repository=_repository_from_git(cwd))
    elif found.ci_provider == "jenkins" and env.get("GIT_URL", "").strip():
        found = replace(found, repository=repository_name(found.repository))
    return replace(found, job=job or found.job, branch=branch or found.branch)
