"""A policy in plain sentences: what it would do to a run (used by ``greengate validate``)."""

from __future__ import annotations

from greengate.policy.matching import select_budget
from greengate.policy.model import Budget, GridSetting, Mode, Policy
from greengate.units import format_emissions, format_energy, format_intensity

_MODES = {
    Mode.ENFORCE: "an overrun fails the job",
    Mode.WARN: "an overrun is reported, the job passes",
    Mode.OFF: "measured and reported, never judged",
}


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.4g} %"


def describe_grid(grid: GridSetting) -> str:
    """Where the grid intensity comes from under this setting."""
    if grid.g_per_kwh is not None:
        text = f"fixed intensity {format_intensity(grid.g_per_kwh)}"
        return text + (f" (wins over country {grid.country})" if grid.country else "")
    if grid.country is not None:
        place = grid.country + (f", region {grid.region}" if grid.region else "")
        return f"country {place} (codecarbon's yearly average)"
    return "not set: --intensity or --country, else the world average with a warning"


def _run(job: str | None, branch: str | None) -> str:
    job_text = repr(job) if job is not None else "unknown"
    branch_text = repr(branch) if branch is not None else "unknown"
    return f"job {job_text} on branch {branch_text}"


def describe_budget(budget: Budget) -> str:
    """One rule as a line: number, name, line, matchers, limits and overrides."""
    name = repr(budget.name) if budget.name else budget.label
    jobs = "job " + "|".join(budget.jobs) if budget.jobs else "any job"
    branches = "branch " + "|".join(budget.branches) if budget.branches else "any branch"
    limits = []
    if budget.max_emissions_kg is not None:
        limits.append(format_emissions(budget.max_emissions_kg))
    if budget.max_energy_kwh is not None:
        limits.append(format_energy(budget.max_energy_kwh))
    text = f"{budget.index + 1}. {name} (line {budget.line}): {jobs}, {branches} -> max "
    text += ", ".join(limits)
    if budget.warn_at is not None:
        text += f"; warn at {_percent(budget.warn_at)}"
    if budget.mode is not None:
        text += f"; mode {budget.mode.value}"
    return text


def describe_policy(policy: Policy) -> list[str]:
    """Plain lines saying what ``policy`` would do: settings, then each rule in order."""
    defaults = policy.defaults
    return [
        f"policy {policy.path} (version {policy.version}) is valid",
        f"grid: {describe_grid(defaults.grid)}",
        f"PUE: {defaults.pue:g} (measured energy is multiplied by it)"
        if defaults.pue is not None
        else "PUE: the runner profile's provider (1.0 for an unknown machine)",
        f"warn at: {_percent(defaults.warn_at)} of a limit",
        f"mode: {defaults.mode.value} ({_MODES[defaults.mode]})",
        "rules, first match wins:",
        *(f"  {describe_budget(budget)}" for budget in policy.budgets),
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
