"""Which budget rule applies to a run: the first whose job and branch globs both match."""

from __future__ import annotations

from fnmatch import fnmatchcase

from greengate.policy.model import Budget, Policy


def _matches(globs: tuple[str, ...], name: str | None) -> bool:
    # No globs means "any", even an unknown name; globs never match an unknown name, so a
    # rule for `main` cannot silently apply to a local run whose branch is unknown.
    if not globs:
        return True
    return name is not None and any(fnmatchcase(name, glob) for glob in globs)


def rule_matches(budget: Budget, job: str | None, branch: str | None) -> bool:
    """Whether ``budget`` applies to a run of ``job`` on ``branch`` (None = unknown)."""
    return _matches(budget.jobs, job) and _matches(budget.branches, branch)


def select_budget(policy: Policy, job: str | None, branch: str | None) -> Budget | None:
    """The first rule of ``policy`` that applies to ``job`` on ``branch``, or None."""
    return next((b for b in policy.budgets if rule_matches(b, job, branch)), None)
