"""What the run's own policy would change against the trusted one it was judged by.

Built only with ``--policy-from`` and a working-tree policy that differs (policy/trusted.py);
apart from greengate.verdict so that other runs never build these types (start-up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from greengate.policy.model import Mode
    from greengate.verdict import Quantity


@dataclass(frozen=True)
class LimitChange:
    """One limit in the applied (trusted) policy's matching rule and in the proposed one."""

    quantity: Quantity
    applied: float | None  # None: the rule has no such limit (or no rule matches)
    proposed: float | None


@dataclass(frozen=True)
class PolicyChange:
    """The run's own policy differs from the trusted one it was judged by (--policy-from)."""

    ref: str  # the git ref the applied policy was read from
    applied_path: str  # e.g. ``origin/main:greengate.yml``
    proposed_path: str  # the working tree's copy, e.g. ``greengate.yml``
    applied_rule: str | None  # label of the rule matching this run in each; None: no match
    proposed_rule: str | None
    applied_mode: Mode
    proposed_mode: Mode
    limits: tuple[LimitChange, ...]
    other: tuple[str, ...]  # other settings that differ: "grid", "pue", "warn_at", "energy"
