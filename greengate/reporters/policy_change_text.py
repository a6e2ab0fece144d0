"""A policy change in words: the trusted policy that was applied beside the run's own."""

from __future__ import annotations

from greengate.policy.change import LimitChange, PolicyChange
from greengate.reporters import figures
from greengate.verdict import Verdict


def policy_file(v: Verdict) -> str | None:
    """The policy as a file of the repository: a trusted ``REF:PATH`` loses its ``REF:``."""
    path, change = v.policy_path, v.policy_change
    prefix = f"{change.ref}:" if change is not None else None
    if path is not None and prefix is not None and path.startswith(prefix):
        return path[len(prefix) :]
    return path


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
