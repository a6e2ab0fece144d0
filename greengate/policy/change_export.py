"""A PolicyChange as the verdict file's ``policy_change`` section (docs/verdict.md), and back."""

from __future__ import annotations

from typing import Any

from greengate.policy.change import LimitChange, PolicyChange
from greengate.policy.model import Mode
from greengate.verdict import Quantity


def policy_change_to_dict(c: PolicyChange) -> dict[str, Any]:
    """The section's JSON data: which policy was applied, which proposed, and their limits."""
    return {
        "ref": c.ref,
        "applied": {"path": c.applied_path, "rule": c.applied_rule, "mode": c.applied_mode.value},
        "proposed": {
            "path": c.proposed_path,
            "rule": c.proposed_rule,
            "mode": c.proposed_mode.value,
        },
        "limits": [
            {"quantity": lim.quantity.value, "applied": lim.applied, "proposed": lim.proposed}
            for lim in c.limits
        ],
        "other": list(c.other),
    }


def policy_change_from_dict(d: dict[str, Any]) -> PolicyChange:
    """Rebuild a PolicyChange from data that validates against the verdict schema."""
    applied, proposed = d["applied"], d["proposed"]
    return PolicyChange(
        ref=d["ref"],
        applied_path=applied["path"],
        proposed_path=proposed["path"],
        applied_rule=applied["rule"],
        proposed_rule=proposed["rule"],
        applied_mode=Mode(applied["mode"]),
        proposed_mode=Mode(proposed["mode"]),
        limits=tuple(
            LimitChange(Quantity(lim["quantity"]), lim["applied"], lim["proposed"])
            for lim in d["limits"]
        ),
        other=tuple(d["other"]),
    )
