"""The trusted policy: on a pull request, read the budgets from the base branch, not the PR.

A pull request can edit ``greengate.yml`` in its own tree and raise its own budget. With
``--policy-from REF`` the policy that is applied is the one at PATH in REF's own tree
(policy/git_tree.py: the branch fully qualified, the path walked in git objects, never
through the PR's working tree); the PR's copy is only *proposed*, and shown beside it. A
ref or file that cannot be read is an error, never a silent fallback to the PR's copy.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from greengate.errors import PolicyError, UsageError
from greengate.files.working_directory import working_directory
from greengate.policy.document import MAX_BYTES
from greengate.policy.loader import load_policy, load_policy_text
from greengate.policy.matching import select_budget
from greengate.policy.model import Budget, Mode, Policy
from greengate.verdict import Quantity

if TYPE_CHECKING:
    from greengate.policy.change import PolicyChange


@dataclass(frozen=True)
class PolicyChoice:
    """The policy to apply, and the working tree's copy when it proposes something else."""

    applied: Policy
    proposed: Policy | None  # None when identical to ``applied``, absent, or not asked
    ref: str | None  # the fully qualified ref ``applied`` was read from; None: the working tree


def resolve_policy(path: str, policy_from: str | None, cwd: str) -> PolicyChoice:
    """The policy at ``path`` (relative to ``cwd``), read from git ref ``policy_from`` if set."""
    local = path if _here(cwd) or os.path.isabs(path) else os.path.join(cwd, path)
    if not policy_from:
        policy = dataclasses.replace(
            load_policy(local), path=path, repo_path=repository_path(local)
        )
        return PolicyChoice(policy, None, None)
    if policy_from.startswith("-"):
        raise UsageError(f"--policy-from: {policy_from!r} is not a git ref")
    from greengate.policy.git_tree import git_bytes, read_blob, resolve_ref  # --policy-from only

    top = git_bytes(cwd, "rev-parse", "--show-toplevel", what="find the git repository")
    top_dir = top.decode("utf-8", "surrogateescape").strip()
    ref, commit = resolve_ref(top_dir, policy_from)
    blob = read_blob(top_dir, ref, commit, _repo_path(top_dir, local), limit=MAX_BYTES)
    name = f"{ref}:{blob.path}"
    try:
        text = blob.data.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError("not UTF-8 text", file=name, hint="save the policy as UTF-8") from None
    # Never from the parse caches: code of the PR that ran earlier can write them.
    applied = dataclasses.replace(load_policy_text(text, name, trusted=True), repo_path=blob.path)
    return PolicyChoice(applied, _proposed(local, path, applied), ref)


def repository_path(local: str) -> str | None:
    """``local`` relative to the top of the git repository holding it; None outside one.

    Found by looking for ``.git`` upwards, without running git: a run without
    ``--policy-from`` must not need git, nor pay for starting it.
    """
    path = os.path.abspath(local)
    parts: list[str] = []
    while True:
        parent, name = os.path.split(path)
        if not name:
            return None
        parts.append(name)
        if os.path.exists(os.path.join(parent, ".git")):
            return "/".join(reversed(parts))
        path = parent


def _here(cwd: str) -> bool:
    # Errors should name the policy as the user wrote it when it is relative to our own cwd.
    # "." is what working_directory() gives where the directory was deleted (no name).
    return cwd == os.curdir or os.path.abspath(cwd) == working_directory()


def _proposed(local: str, path: str, applied: Policy) -> Policy | None:
    if not os.path.exists(local):
        return None  # the PR deletes the policy; the trusted copy still applies
    # An invalid proposal is reported like any broken policy: the PR has to fix it.
    proposed = dataclasses.replace(load_policy(local), path=path, repo_path=applied.repo_path)
    return None if same_rules(proposed, applied) else proposed


def same_rules(a: Policy, b: Policy) -> bool:
    """Whether two policies judge every run alike (their paths and line numbers aside)."""

    def normal(p: Policy) -> Policy:
        budgets = tuple(dataclasses.replace(r, line=0) for r in p.budgets)
        return dataclasses.replace(p, path="", repo_path=None, budgets=budgets)

    return normal(a) == normal(b)


def policy_change(
    choice: PolicyChoice, job: str | None, branch: str | None, applied_rule: Budget | None
) -> PolicyChange | None:
    """How the proposed policy would judge this run differently; None when nothing is proposed.

    ``applied_rule`` is the applied policy's rule for this run, as the gate matched it.
    """
    if choice.proposed is None or choice.ref is None:
        return None
    from greengate.policy.change import LimitChange, PolicyChange  # only a changed policy

    old, new = choice.applied, choice.proposed
    old_rule, new_rule = applied_rule, select_budget(new, job, branch)
    limits = tuple(
        LimitChange(quantity, _limit(old_rule, quantity), _limit(new_rule, quantity))
        for quantity in (Quantity.EMISSIONS, Quantity.ENERGY)
        if _limit(old_rule, quantity) is not None or _limit(new_rule, quantity) is not None
    )
    other = [
        name
        for name, a, b in (
            ("grid", old.defaults.grid, new.defaults.grid),
            ("pue", old.defaults.pue, new.defaults.pue),
            ("warn_at", _warn_at(old, old_rule), _warn_at(new, new_rule)),
            ("energy", old.energy, new.energy),
        )
        if a != b
    ]
    return PolicyChange(
        ref=choice.ref,
        applied_path=old.path,
        proposed_path=new.path,
        applied_rule=old_rule.label if old_rule else None,
        proposed_rule=new_rule.label if new_rule else None,
        applied_mode=_mode(old, old_rule),
        proposed_mode=_mode(new, new_rule),
        limits=limits,
        other=tuple(other),
    )


def _limit(rule: Budget | None, quantity: Quantity) -> float | None:
    if rule is None:
        return None
    return rule.max_emissions_kg if quantity is Quantity.EMISSIONS else rule.max_energy_kwh


def _mode(policy: Policy, rule: Budget | None) -> Mode:
    return policy.mode_of(rule.mode if rule else None)


def _warn_at(policy: Policy, rule: Budget | None) -> float:
    return policy.warn_at_of(rule.warn_at if rule else None)


def _repo_path(top: str, local: str) -> str:
    """``local`` relative to the repository root as written, with no symlink followed.

    The working tree belongs to the pull request: resolving the path through it (realpath)
    would follow a symlink the PR put there. Only the part of the path above the repository
    (a /tmp that is a link, say) is resolved, to find where the repository starts.
    """
    lexical = os.path.normpath(os.path.abspath(local))
    real_top = os.path.realpath(top)
    parts = lexical.split(os.sep)
    for depth in range(1, len(parts) + 1):
        ancestor = os.sep.join(parts[:depth]) or os.sep
        if os.path.realpath(ancestor) == real_top:
            relative = parts[depth:]
            if not relative:
                break
            return "/".join(relative)
    raise UsageError(
        f"--policy-from: the policy {local!r} is outside the git repository {top!r}",
        hint="name a policy file inside the repository",
    )
