"""The budget policy: its model, its loader and rule matching."""

from greengate.policy.model import Budget, Defaults, GridSetting, Mode, Policy

__all__ = ["Budget", "Defaults", "GridSetting", "Mode", "Policy"]
