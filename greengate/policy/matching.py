"""Which budget rule applies: to a run or a whole job, the first rule without ``step`` whose job
and branch globs both match; to a lap of a job, the first rule with a ``step`` glob matching the
lap's name (and the job and branch). docs/policy.md, "Which rule applies"."""

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
    """The first rule of ``policy`` without ``step`` that applies to ``job`` on ``branch``."""
    return next((b for b in policy.budgets if not b.steps and rule_matches(b, job, branch)), None)


def select_step_budget(
    policy: Policy, job: str | None, branch: str | None, step: str
) -> Budget | None:
    """The first rule with ``step`` that applies to lap ``step`` of ``job`` on ``branch``."""
    return next(
        (
            b
            for b in policy.budgets
            if b.steps and _matches(b.steps, step) and rule_matches(b, job, branch)
        ),
        None,
    )
