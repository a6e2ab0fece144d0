"""What a validated policy is: frozen dataclasses, no YAML, no dicts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from greengate.measurement import Scope

if TYPE_CHECKING:  # imported by the loader only for a policy with the section (start-up)
    from greengate.policy.scope2 import Scope2


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
    live: LiveGrid | None = None  # a live provider; country/region give its bundled fallback

    @property
    def configured(self) -> bool:
        return self.country is not None or self.g_per_kwh is not None or self.live is not None


class GridProvider(str, Enum):
    """A live grid-intensity service (docs/grid.md)."""

    ELECTRICITYMAPS = "electricitymaps"
    WATTTIME = "watttime"
    UK_CARBON_INTENSITY = "uk-carbon-intensity"
    CARBON_AWARE_SDK = "carbon-aware-sdk"
    ENERGY_CHARTS = "energy-charts"


class Signal(str, Enum):
    """Which intensity a figure is: the grid's average, or the marginal plant's (MOER)."""

    AVERAGE = "average"
    MARGINAL = "marginal"


class GridFallback(str, Enum):
    """What a live provider's failure does to the run."""

    BUNDLED = "bundled"  # the bundled yearly figure, with the reason shown
    ERROR = "error"  # a greengate error (exit 3)


@dataclass(frozen=True)
class LiveGrid:
    """``grid:``: where live intensity comes from; credentials only from the environment."""

    provider: GridProvider
    zone: str  # the provider's own name: DE, CAISO_NORTH, national / OX1, eastus, de
    signal: Signal = Signal.AVERAGE
    url: str | None = None  # replaces the documented scheme and host (self-hosted, proxy)
    timeout_s: float = 3.0  # the most the lookup may add after the command ends
    fallback: GridFallback = GridFallback.BUNDLED


@dataclass(frozen=True)
class CarbonAware:
    """``carbon_aware:``: when ``run --start-within`` is worth a wait."""

    min_saving: float = 0.10  # fraction of the intensity now a later start must save


@dataclass(frozen=True)
class Defaults:
    """Settings that apply to every budget unless the budget overrides them."""

    grid: GridSetting = GridSetting()
    pue: float | None = None  # None: the runner profile's provider PUE (1.0 when unknown)
    warn_at: float = 0.8  # fraction of a limit at which the verdict becomes "warn"
    mode: Mode = Mode.ENFORCE


@dataclass(frozen=True)
class CustomProfile:
    """``energy.profile`` given as coefficients instead of a built-in name."""

    idle_watts_per_vcpu: float  # power of one vCPU's share of the machine at 0 % load
    max_watts_per_vcpu: float  # ... and at 100 % load
    vcpus: int | None = None  # None: the vCPUs this machine has
    embodied_kg_per_vcpu: float | None = None  # None: no embodied figure
    lifetime_years: float = 4.0
    pue: float | None = None  # the data centre's PUE, unless defaults.pue is set
    name: str = "custom"


@dataclass(frozen=True)
class EnergySettings:
    """``energy:``: how energy is estimated (docs/energy.md)."""

    profile: str | CustomProfile | None = None  # a built-in name, coefficients; None: detect
    scope: Scope | None = None  # None: the environment's default (machine on hosted CI runners)
    include_embodied: bool = False  # budgets count the embodied (SCI M) term


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
    steps: tuple[str, ...] = ()  # globs of a job's lap names; a rule with steps budgets laps
    stop_at_limit: bool = False  # stop the command while it runs once it crosses a limit

    @property
    def label(self) -> str:
        """How the rule is named to a person: its name, else its position."""
        return self.name if self.name else f"budgets[{self.index}]"


class Period(str, Enum):
    """The span of a cumulative window: a calendar period (UTC) or a rolling number of days."""

    DAY = "day"
    WEEK = "week"  # Monday to Sunday
    MONTH = "month"
    QUARTER = "quarter"
    ROLLING = "rolling"  # the last ``Window.days`` days, today included


@dataclass(frozen=True)
class Window:
    """One entry of ``windows:``: what a branch may spend in total over a period."""

    branches: tuple[str, ...]  # fnmatch-style globs; each matching branch has its own total
    period: Period
    max_emissions_kg: float | None
    max_energy_kwh: float | None
    days: int | None = None  # for Period.ROLLING
    warn_at: float | None = None  # overrides Defaults.warn_at
    mode: Mode | None = None  # overrides Defaults.mode
    name: str | None = None

    @property
    def label(self) -> str:
        """How the window is named to a person, e.g. ``main per month``."""
        span = f"{self.days} days" if self.period is Period.ROLLING else self.period.value
        return self.name or f"{' | '.join(self.branches)} per {span}"


@dataclass(frozen=True)
class Regression:
    """``regression:``: this job's energy against the median of its base branch's runs."""

    base_branch: str | None = None  # used when the CI names no PR/MR target
    jobs: tuple[str, ...] = ()  # globs; empty means every job
    runs: int = 10  # baseline size: the last N passing runs of the job on the base branch
    min_runs: int = 5  # fewer baseline runs than this: reported, never failed
    tolerance: float = 0.10  # fraction of the baseline median
    noise: float = 3.0  # k: the allowed increase is at least k x the baseline's spread
    mode: Mode | None = None  # overrides Defaults.mode


class LedgerFailure(str, Enum):
    """What an unusable ledger (unreachable, locked, corrupt) does to the gate."""

    WARN = "warn"  # the verdict stands, with a warning
    FAIL = "fail"  # the verdict becomes an error: history could not be checked


@dataclass(frozen=True)
class Policy:
    """A validated ``greengate.yml``."""

    path: str  # the file it was read from, as the user named it
    version: int
    defaults: Defaults
    budgets: tuple[Budget, ...]
    ledger: str | None = None  # a path or URL; GREENGATE_LEDGER wins over it
    windows: tuple[Window, ...] = ()
    regression: Regression | None = None
    ledger_failure: LedgerFailure = LedgerFailure.WARN
    energy: EnergySettings = EnergySettings()
    scope2: Scope2 | None = None  # ledger export --format esrs; None: no scope2 section
    grid: LiveGrid | None = None  # None: offline (the bundled yearly figures)
    carbon_aware: CarbonAware = CarbonAware()
    # The file within its git repository ("/"-separated from the top), when it is in one:
    # where CI annotations point, whatever directory greengate ran in or ref it read.
    repo_path: str | None = None

    def mode_of(self, own: Mode | None) -> Mode:
        """The mode a rule, window or regression is judged in: its own, else the default."""
        return own if own is not None else self.defaults.mode

    def warn_at_of(self, own: float | None) -> float:
        """The warn level of a rule or window: its own, else the default."""
        return own if own is not None else self.defaults.warn_at
