"""Pipeline snippets ``greengate init --ci KIND`` writes: GitHub, GitLab, Azure or Jenkins.

Templates live in ``greengate/templates/ci/``; the files in ``examples/`` are these same
templates rendered for ``greengate.yml``. The GitHub workflow goes where GitHub reads it,
``.github/workflows/`` of the repository; the others go beside the policy. The policy path
in them is relative to the repository root, where CI jobs start.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from importlib import resources

from greengate import __version__
from greengate.errors import UsageError
from greengate.scaffold.starter import NewFile, write_new_files


@dataclass(frozen=True)
class CiKind:
    """One CI system: its template and where its file goes."""

    template: str
    filename: str
    in_workflows_dir: bool  # GitHub: under .github/workflows of the repository root
    job_template: str  # --job-wide: the whole job with start / lap / stop (docs/job.md)
    job_filename: str


CI_KINDS = {
    "github": CiKind("github.yml", "greengate.yml", True, "github-job.yml", "greengate-job.yml"),
    "gitlab": CiKind(
        "gitlab-ci.yml",
        "greengate.gitlab-ci.yml",
        False,
        "gitlab-ci-job.yml",
        "greengate-job.gitlab-ci.yml",
    ),
    "azure": CiKind(
        "azure-pipelines.yml",
        "greengate.azure-pipelines.yml",
        False,
        "azure-pipelines-job.yml",
        "greengate-job.azure-pipelines.yml",
    ),
    "jenkins": CiKind(
        "Jenkinsfile",
        "Jenkinsfile.greengate",
        False,
        "Jenkinsfile-job",
        "Jenkinsfile.greengate-job",
    ),
}


def ci_template(kind: str, job_wide: bool = False) -> str:
    """The raw text of the template for ``kind`` (``job_wide``: the start/lap/stop one)."""
    folder = resources.files("greengate").joinpath("templates").joinpath("ci")
    spec = _kind(kind)
    return folder.joinpath(spec.job_template if job_wide else spec.template).read_text("utf-8")


def render(kind: str, policy: str, version: str = __version__, job_wide: bool = False) -> str:
    """The snippet for ``kind``, naming ``policy`` (repository-relative) and ``version``."""
    flat = " ".join(policy.splitlines())
    return (
        ci_template(kind, job_wide)
        .replace("@@POLICY_NAME@@", flat)
        .replace("@@POLICY_GROOVY@@", flat.replace("\\", "\\\\").replace("'", "\\'"))
        .replace("@@POLICY@@", _yaml_scalar(policy))
        .replace("@@VERSION@@", version)
    )


def ci_snippet(kind: str, policy_path: str, job_wide: bool = False) -> NewFile:
    """The file ``init --ci KIND [--job-wide]`` creates for the policy at ``policy_path``."""
    spec = _kind(kind)
    policy_dir = os.path.dirname(os.path.abspath(policy_path))
    root = repository_root(policy_dir)
    relative = os.path.relpath(os.path.abspath(policy_path), root).replace(os.sep, "/")
    directory = os.path.join(root, ".github", "workflows") if spec.in_workflows_dir else policy_dir
    filename = spec.job_filename if job_wide else spec.filename
    target = os.path.relpath(os.path.join(directory, filename))
    text = render(kind, relative, job_wide=job_wide)
    return NewFile(target, text, f"{kind} {'job-wide ' if job_wide else ''}pipeline")


def write_ci_snippet(kind: str, policy_path: str, job_wide: bool = False) -> str:
    """Write the snippet for ``kind`` (never over an existing file); return its path."""
    new = ci_snippet(kind, policy_path, job_wide)
    write_new_files([new])
    return new.path


def repository_root(start: str) -> str:
    """The nearest directory at or above ``start`` holding ``.git``, else ``start`` itself."""
    here = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return os.path.abspath(start)
        here = parent


def _kind(kind: str) -> CiKind:
    try:
        return CI_KINDS[kind]
    except KeyError:
        known = ", ".join(CI_KINDS)
        raise UsageError(f"unknown CI {kind!r}", hint=f"choose one of: {known}") from None


def _yaml_scalar(text: str) -> str:
    # A plain scalar when that cannot be misread; otherwise JSON, which YAML reads as a
    # double-quoted string.
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.ya?ml", text):
        return text
    return json.dumps(text)
