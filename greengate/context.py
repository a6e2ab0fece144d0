"""Where a run happens: job, branch, commit and CI provider."""

from __future__ import annotations

from dataclasses import dataclass


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
