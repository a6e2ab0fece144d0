"""What a validated policy is: frozen dataclasses, no YAML, no dicts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(str, Enum):
    """How a budget overrun affects the pipeline."""

    ENFORCE = "enforce"  # over budget fails the gate
    WARN = "warn"  # over budget is reported as a warning only
    OFF = "off"  # measure and report, never judge


@dataclass(frozen=True)
class GridSetting:
    """Where the grid intensity comes from; at most one of the three is the source.

    ``g_per_kwh`` wins over ``country``/``region``; ``region`` needs ``country``.
    All None means "not configured" (the world-average fallback, with a warning).
    """

    country: str | None = None  # ISO 3166-1 alpha-3, upper case
    region: str | None = None  # a region codecarbon has data for, e.g. "california"
    g_per_kwh: float | None = None

    @property
    def configured(self) -> bool:
        return self.country is not None or self.g_per_kwh is not None


@dataclass(frozen=True)
class Defaults:
    """Settings that apply to every budget unless the budget overrides them."""

    grid: GridSetting = GridSetting()
    pue: float = 1.0
    warn_at: float = 0.8  # fraction of a limit at which the verdict becomes "warn"
    mode: Mode = Mode.ENFORCE


@dataclass(frozen=True)
class Budget:
    """One rule of ``budgets:``; the first rule whose matchers all match wins."""

    index: int  # position in the list, 0-based
    line: int  # 1-based line of the rule in the policy file
    name: str | None
    jobs: tuple[str, ...]  # fnmatch-style globs; empty means any job
    branches: tuple[str, ...]  # fnmatch-style globs; empty means any branch
    max_emissions_kg: float | None
    max_energy_kwh: float | None
    warn_at: float | None = None  # overrides Defaults.warn_at
    mode: Mode | None = None  # overrides Defaults.mode

    @property
    def label(self) -> str:
        """How the rule is named to a person: its name, else its position."""
        return self.name if self.name else f"budgets[{self.index}]"


@dataclass(frozen=True)
class Policy:
    """A validated ``greengate.yml``."""

    path: str  # the file it was read from, as the user named it
    version: int
    defaults: Defaults
    budgets: tuple[Budget, ...]
