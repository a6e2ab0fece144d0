"""A period's summary for ``greengate report``: totals, top jobs, trend and rerun waste."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from greengate.ledger.records import LedgerRecord


@dataclass(frozen=True)
class JobTotal:
    """One job's runs and totals in a summary."""

    repository: str | None
    job: str | None
    runs: int
    energy_kwh: float
    emissions_kg: float


@dataclass(frozen=True)
class Summary:
    """What a period cost, in the figures a sustainability report asks for."""

    runs: int
    energy_kwh: float
    emissions_kg: float
    reruns: int
    rerun_emissions_kg: float  # waste: emissions of runs that repeated a job at a commit
    top_jobs: tuple[JobTotal, ...]  # by emissions, largest first
    trend: tuple[tuple[str, float], ...]  # (month "2026-07", kg CO2e), oldest first


def summarise(records: list[LedgerRecord], top: int = 5) -> Summary:
    """Sums over the records, the ``top`` jobs by emissions, and emissions per month."""
    jobs: dict[tuple[str | None, str | None], list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    months: dict[str, float] = defaultdict(float)
    for r in records:
        j = jobs[(r.repository, r.job)]
        j[0] += 1
        j[1] += r.energy_kwh
        j[2] += r.emissions_kg
        months[r.recorded_at.strftime("%Y-%m")] += r.emissions_kg
    ranked = sorted(jobs.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    return Summary(
        runs=len(records),
        energy_kwh=sum(r.energy_kwh for r in records),
        emissions_kg=sum(r.emissions_kg for r in records),
        reruns=sum(r.rerun for r in records),
        rerun_emissions_kg=sum(r.emissions_kg for r in records if r.rerun),
        top_jobs=tuple(JobTotal(repo, job, int(s[0]), s[1], s[2]) for (repo, job), s in ranked),
        trend=tuple(sorted(months.items())),
    )
