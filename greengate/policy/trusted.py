"""The trusted policy: on a pull request, read the budgets from the base branch, not the PR.

A pull request can edit ``greengate.yml`` in its own tree and raise its own budget. With
``--policy-from REF`` the policy that is applied is the one at ``git show REF:PATH``; the
PR's copy is only *proposed*, and shown beside it. A ref or file that cannot be read is an
error, never a silent fallback to the PR's copy.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from dataclasses import dataclass

from greengate.errors import PolicyError, UsageError
from greengate.policy.document import MAX_BYTES
from greengate.policy.loader import load_policy, load_policy_text
from greengate.policy.matching import select_budget
from greengate.policy.model import Budget, Mode, Policy
from greengate.verdict import LimitChange, PolicyChange, Quantity

FETCH_HINT = (
    "fetch the ref first: `git fetch origin BRANCH`, or on GitHub Actions use "
    "actions/checkout with `fetch-depth: 0`"
)
_GIT_TIMEOUT_S = 30


@dataclass(frozen=True)
class PolicyChoice:
    """The policy to apply, and the working tree's copy when it proposes something else."""

    applied: Policy
    proposed: Policy | None  # None when identical to ``applied``, absent, or not asked
    ref: str | None  # the git ref ``applied`` was read from; None for the working tree


def resolve_policy(path: str, policy_from: str | None, cwd: str) -> PolicyChoice:
    """The policy at ``path`` (relative to ``cwd``), read from git ref ``policy_from`` if set."""
    local = path if _here(cwd) or os.path.isabs(path) else os.path.join(cwd, path)
    if not policy_from:
        return PolicyChoice(dataclasses.replace(load_policy(local), path=path), None, None)
    if policy_from.startswith("-"):
        raise UsageError(f"--policy-from: {policy_from!r} is not a git ref")
    top = _git(cwd, "rev-parse", "--show-toplevel", what="find the git repository").strip()
    relative = _repo_path(top, local)
    name = f"{policy_from}:{relative}"
    _require_commit(top, policy_from)
    applied = load_policy_text(_read_blob(top, policy_from, relative, name), name)
    return PolicyChoice(applied, _proposed(local, path, applied), policy_from)


def _here(cwd: str) -> bool:
    # Errors should name the policy as the user wrote it when it is relative to our own cwd.
    return os.path.abspath(cwd) == os.getcwd()


def _proposed(local: str, path: str, applied: Policy) -> Policy | None:
    if not os.path.exists(local):
        return None  # the PR deletes the policy; the trusted copy still applies
    # An invalid proposal is reported like any broken policy: the PR has to fix it.
    proposed = dataclasses.replace(load_policy(local), path=path)
    return None if same_rules(proposed, applied) else proposed


def same_rules(a: Policy, b: Policy) -> bool:
    """Whether two policies judge every run alike (their paths and line numbers aside)."""

    def normal(p: Policy) -> Policy:
        budgets = tuple(dataclasses.replace(r, line=0) for r in p.budgets)
        return dataclasses.replace(p, path="", budgets=budgets)

    return normal(a) == normal(b)


def policy_change(
    choice: PolicyChoice, job: str | None, branch: str | None, applied_rule: Budget | None
) -> PolicyChange | None:
    """How the proposed policy would judge this run differently; None when nothing is proposed.

    ``applied_rule`` is the applied policy's rule for this run, as the gate matched it.
    """
    if choice.proposed is None or choice.ref is None:
        return None
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
    """``local`` relative to the repository root, with ``/`` separators as git names it."""
    # Both sides through realpath: git reports the root with symlinks resolved (e.g. /private/tmp).
    target = os.path.realpath(local)
    relative = os.path.relpath(target, os.path.realpath(top))
    if relative == os.pardir or relative.startswith(os.pardir + os.sep):
        raise UsageError(
            f"--policy-from: the policy {local!r} is outside the git repository {top!r}",
            hint="name a policy file inside the repository",
        )
    return relative.replace(os.sep, "/")


def _require_commit(top: str, ref: str) -> None:
    try:
        _git(top, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", what="")
    except UsageError:
        raise UsageError(
            f"--policy-from: git ref {ref!r} does not exist in {top!r}", hint=FETCH_HINT
        ) from None


def _read_blob(top: str, ref: str, relative: str, name: str) -> str:
    spec = f"{ref}:{relative}"
    try:
        kind = _git(top, "cat-file", "-t", spec, what="").strip()
    except UsageError:
        raise PolicyError(
            f"no such file at git ref {ref!r}",
            file=name,
            hint="commit the policy to that branch first, or pass the ref that has it",
        ) from None
    if kind != "blob":
        raise PolicyError(f"is a {kind} at git ref {ref!r}, not a policy file", file=name)
    if int(_git(top, "cat-file", "-s", spec, what="measure the policy")) > MAX_BYTES:
        raise PolicyError(f"larger than {MAX_BYTES // 1024} KiB at git ref {ref!r}", file=name)
    raw = _git_bytes(top, "show", spec, what="read the policy")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError("not UTF-8 text", file=name, hint="save the policy as UTF-8") from None


def _git(cwd: str, *args: str, what: str) -> str:
    return _git_bytes(cwd, *args, what=what).decode("utf-8", "replace")


def _git_bytes(cwd: str, *args: str, what: str) -> bytes:
    """The stdout of ``git -C cwd ARGS``; UsageError (with git's own words) when it fails."""
    try:
        done = subprocess.run(
            ["git", "-C", cwd, *args], capture_output=True, timeout=_GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise UsageError(
            "--policy-from needs git, and git is not installed", hint="install git"
        ) from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"--policy-from: git {args[0]} took over {_GIT_TIMEOUT_S} s") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"--policy-from: could not {what or 'run git'}: {said[-1] if said else 'git failed'}",
            hint="run greengate inside a git checkout",
        )
    return done.stdout
