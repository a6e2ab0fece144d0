"""Regression gating's question: which base branch's runs this run is compared with.

The comparison itself is part of the decision: ``greengate.gate.history.compare``.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from greengate.context import RunContext
from greengate.ledger.records import BaselineQuery
from greengate.policy.model import Regression


def base_branch(rule: Regression, context: RunContext) -> str | None:
    """The branch to compare with: the PR/MR target, else the configured one."""
    return context.base_branch or rule.base_branch


def baseline_query(rule: Regression, context: RunContext) -> BaselineQuery | None:
    """What to ask the ledger, or None when this run is not compared (no base, on the base)."""
    base = base_branch(rule, context)
    if base is None or context.branch == base:
        return None
    if rule.jobs and not any(fnmatchcase(context.job or "", g) for g in rule.jobs):
        return None
    return BaselineQuery(context.repository, context.job_identity, base, rule.runs)
