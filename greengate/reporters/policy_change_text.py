"""A policy change in words: the trusted policy that was applied beside the run's own."""

from __future__ import annotations

import re

from greengate.policy.change import LimitChange, PolicyChange
from greengate.reporters import figures
from greengate.verdict import Verdict

# A trusted policy is named REF:PATH (policy/trusted.py) with REF fully qualified: refs/...
# or a full commit id. A ref name cannot hold ":" (git check-ref-format), so the first ":"
# ends it.
_TRUSTED_NAME = re.compile(r"(?:refs/[^:]+|[0-9a-f]{40}|[0-9a-f]{64}):(?=.)")


def policy_file(v: Verdict) -> str | None:
    """The policy as a file of the repository: a trusted ``REF:PATH`` loses its ``REF:``.

    Also when the run did not change the policy (no ``policy_change``), which is every
    merge request that leaves it alone: a CI places its annotations by repository path.
    """
    if v.policy_file is not None:  # known when the run judged it (not read from a file)
        return v.policy_file
    path, change = v.policy_path, v.policy_change
    if path is None:
        return None
    prefix = f"{change.ref}:" if change is not None else None
    if prefix is not None and path.startswith(prefix):
        return path[len(prefix) :]
    trusted = _TRUSTED_NAME.match(path)
    return path[trusted.end() :] if trusted else path


def limit_text(change: LimitChange, which: float | None) -> str:
    """One side of a limit, in readable units; ``none`` when that side has no such limit."""
    return "none" if which is None else figures.amount(change.quantity, which)


def change_lines(c: PolicyChange) -> list[str]:
    """What the console shows: which policy was applied, then each limit old beside new."""
    lines = [
        f"this change edits the policy: applied {c.applied_path} from {c.ref} "
        f"(rule {c.applied_rule!r}, {c.applied_mode.value}), not its own {c.proposed_path} "
        f"(rule {c.proposed_rule!r}, {c.proposed_mode.value})"
    ]
    for lim in c.limits:
        lines.append(
            f"{lim.quantity.value}: {limit_text(lim, lim.applied)} applied, "
            f"{limit_text(lim, lim.proposed)} proposed"
        )
    if c.other:
        lines.append(f"also differs: {', '.join(c.other)}")
    return lines
