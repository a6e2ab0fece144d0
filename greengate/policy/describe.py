"""A policy in plain sentences: what it would do to a run (used by ``greengate validate``)."""

from __future__ import annotations

from greengate.measurement import Scope
from greengate.policy.matching import select_budget
from greengate.policy.model import (
    Budget,
    CustomProfile,
    EnergySettings,
    GridFallback,
    GridSetting,
    LiveGrid,
    Mode,
    Policy,
)
from greengate.units import (
    WRITTEN_DIGITS,
    format_emissions,
    format_energy,
    format_intensity,
    significant,
)

_MODES = {
    Mode.ENFORCE: "an overrun fails the job",
    Mode.WARN: "an overrun is reported, the job passes",
    Mode.OFF: "measured and reported, never judged",
}


def _written(x: float) -> str:
    # A figure of the policy shown as its author wrote it (up to six digits).
    return significant(x, WRITTEN_DIGITS)


def _percent(fraction: float) -> str:
    return f"{_written(fraction * 100)} %"


def describe_grid(grid: GridSetting) -> str:
    """Where the grid intensity comes from under this setting."""
    if grid.g_per_kwh is not None:
        text = f"fixed intensity {format_intensity(grid.g_per_kwh, digits=WRITTEN_DIGITS)}"
        return text + (f" (wins over country {grid.country})" if grid.country else "")
    if grid.country is not None:
        place = grid.country + (f", region {grid.region}" if grid.region else "")
        return f"country {place} (codecarbon's yearly average)"
    return "not set: --intensity or --country, else the world average with a warning"


_SCOPES = {
    Scope.PROCESS: "process (the command's own CPU time on the power curve)",
    Scope.MACHINE: "machine (the whole machine for the run's duration, idle included)",
}


def describe_live(grid: LiveGrid) -> str:
    """The ``grid:`` section in words: provider, zone, signal, timeout, fallback."""
    fallback = (
        "the yearly figure above, with the reason"
        if grid.fallback is GridFallback.BUNDLED
        else "a greengate error (exit 3)"
    )
    return (
        f"live grid: {grid.provider.value} zone {grid.zone} ({grid.signal.value}), looked up "
        f"while the command runs, at most {_written(grid.timeout_s)} s after it; "
        f"on failure: {fallback}"
    )


def describe_profile(profile: str | CustomProfile | None) -> str:
    """Which runner profile the estimate uses under this setting."""
    if profile is None:
        return "detected from the runner (greengate profiles shows which one fits here)"
    if isinstance(profile, str):
        return f"{profile} (built-in; greengate profiles shows its figures)"
    vcpus = f"{profile.vcpus} vCPUs" if profile.vcpus is not None else "this machine's vCPUs"
    text = (
        # In watts as the policy's *_watts_per_vcpu keys give them, not rescaled to mW.
        f"{profile.name}, coefficients from the policy: "
        f"{_written(profile.idle_watts_per_vcpu)} W idle "
        f"to {_written(profile.max_watts_per_vcpu)} W busy per vCPU, {vcpus}"
    )
    if profile.embodied_kg_per_vcpu is not None:
        text += (
            f", embodied {format_emissions(profile.embodied_kg_per_vcpu, digits=WRITTEN_DIGITS)} "
            "per vCPU over "
            f"{_written(profile.lifetime_years)} years"
        )
    return text + (f", PUE {_written(profile.pue)}" if profile.pue is not None else "")


def describe_energy(energy: EnergySettings) -> list[str]:
    """The energy settings in words: profile, scope, embodied emissions."""
    if energy.scope is not None:
        scope = _SCOPES[energy.scope]
    elif energy.profile is not None:
        # As the energy session decides: a named profile may describe a shared machine.
        scope = "process (the default with a profile set in the policy; scope: machine charges "
        scope += "the whole VM)"
    else:
        scope = "per environment: machine on hosted CI runners, process elsewhere"
    embodied = (
        "counted in budgets (SCI's M term)"
        if energy.include_embodied
        else "reported, not counted in budgets"
    )
    return [
        f"energy profile: {describe_profile(energy.profile)}",
        f"scope: {scope}",
        f"embodied emissions: {embodied}",
    ]


def _run(job: str | None, branch: str | None) -> str:
    job_text = repr(job) if job is not None else "unknown"
    branch_text = repr(branch) if branch is not None else "unknown"
    return f"job {job_text} on branch {branch_text}"


def describe_budget(budget: Budget, mode: Mode = Mode.ENFORCE) -> str:
    """One rule as a line: number, name, line, matchers, limits and overrides; ``mode`` is
    the one it is judged in (its own, else the default)."""
    name = repr(budget.name) if budget.name else budget.label
    jobs = "job " + "|".join(budget.jobs) if budget.jobs else "any job"
    branches = "branch " + "|".join(budget.branches) if budget.branches else "any branch"
    limits = []
    if budget.max_emissions_kg is not None:
        limits.append(format_emissions(budget.max_emissions_kg, digits=WRITTEN_DIGITS))
    if budget.max_energy_kwh is not None:
        limits.append(format_energy(budget.max_energy_kwh, digits=WRITTEN_DIGITS))
    text = f"{budget.index + 1}. {name} (line {budget.line}): {jobs}, {branches} -> max "
    text += ", ".join(limits)
    if budget.warn_at is not None:
        text += f"; warn at {_percent(budget.warn_at)}"
    if budget.mode is not None:
        text += f"; mode {budget.mode.value}"
    if budget.stop_at_limit:
        text += (
            "; stops the command at its limit"
            if mode is Mode.ENFORCE
            else f"; stop_at_limit has no effect in mode {mode.value}: nothing is stopped"
        )
    return text


def describe_policy(policy: Policy) -> list[str]:
    """Plain lines saying what ``policy`` would do: settings, then each rule in order."""
    defaults = policy.defaults
    return [
        f"policy {policy.path} (version {policy.version}) is valid",
        f"grid: {describe_grid(defaults.grid)}",
        *([describe_live(policy.grid)] if policy.grid else []),
        f"PUE: {_written(defaults.pue)} (measured energy is multiplied by it)"
        if defaults.pue is not None
        else "PUE: the runner profile's provider (1.0 for an unknown machine)",
        *describe_energy(policy.energy),
        f"warn at: {_percent(defaults.warn_at)} of a limit",
        f"mode: {defaults.mode.value} ({_MODES[defaults.mode]})",
        "rules, first match wins:",
        *(f"  {describe_budget(b, policy.mode_of(b.mode))}" for b in policy.budgets),
    ]


def describe_match(policy: Policy, job: str | None, branch: str | None) -> str:
    """Which rule a run of ``job`` on ``branch`` would be judged by, and in which mode."""
    budget = select_budget(policy, job, branch)
    if budget is None:
        return f"{_run(job, branch)}: no rule matches; the run is measured, not gated"
    mode = budget.mode or policy.defaults.mode
    name = repr(budget.name) if budget.name else budget.label
    return (
        f"{_run(job, branch)}: rule {budget.index + 1} {name} (line {budget.line}), "
        f"mode {mode.value}"
    )
