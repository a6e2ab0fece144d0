"""The SCI disclosure per job: SCI = (E x I + M) per R, with its boundary and method.

Green Software Foundation SCI specification 1.1 (ISO/IEC 21031:2024). E is each run's
energy (the data centre's PUE included), I its grid's location-based intensity, M the
embodied emissions the runner profile charges the run, R the functional unit of ``--unit``
(one run when none was given). A job's runs are kept apart by functional unit and by scope
(process or machine), since SCI scores are compared only like with like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from greengate.disclosure.esrs import Scope
from greengate.ledger.disclosure import SciGroup

SPECIFICATION = "Software Carbon Intensity (SCI) 1.1, Green Software Foundation; ISO/IEC 21031:2024"
BOUNDARY = {
    "process": "the command's process tree: its CPU time on the machine's power curve, memory "
    "and GPU; the data centre's overhead (PUE)",
    "machine": "the whole (virtual) machine for the command's duration, idle included; "
    "the data centre's overhead (PUE)",
}


@dataclass
class _Job:
    repository: str | None
    job: str | None
    unit: str | None
    scope: str | None
    runs: int = 0
    energy_kwh: float = 0.0
    operational_g: float = 0.0
    embodied_kg: float = 0.0
    without_embodied: int = 0
    unit_count: float = 0.0
    tiers: dict[str, int] = field(default_factory=dict)

    def add(self, g: SciGroup) -> None:
        self.runs += g.runs
        self.energy_kwh += g.energy_kwh
        self.operational_g += g.operational_g
        self.embodied_kg += g.embodied_kg
        self.without_embodied += g.runs_without_embodied
        self.unit_count += g.unit_count
        key = g.tiers or "not recorded"
        self.tiers[key] = self.tiers.get(key, 0) + g.runs

    def entry(self) -> dict[str, Any]:
        r = self.unit_count if self.unit else float(self.runs)
        m_g = self.embodied_kg * 1000.0
        sci = (self.operational_g + m_g) / r if r > 0 else None
        notes = []
        if self.without_embodied:
            notes.append(
                f"{self.without_embodied} of {self.runs} runs have no embodied figure (no "
                "runner profile that knows it, or recorded before greengate kept it): M counts "
                "them as 0"
            )
        return {
            "repository": self.repository,
            "job": self.job,
            "runs": self.runs,
            "functional_unit": {"name": self.unit or "run", "count": r},
            "sci_g_per_unit": sci,
            "E_kwh": self.energy_kwh,
            "I_g_per_kwh": self.operational_g / self.energy_kwh if self.energy_kwh > 0 else None,
            "operational_g": self.operational_g,
            "M_g": m_g,
            "software_boundary": {
                "scope": self.scope,
                "includes": BOUNDARY.get(self.scope or "", "not recorded for these runs"),
            },
            "method": {
                "energy": [
                    {"tiers": t.split(",") if t != "not recorded" else None, "runs": n}
                    for t, n in sorted(self.tiers.items(), key=lambda kv: -kv[1])
                ],
                "intensity": "location-based: each run's grid average (SCI counts no "
                "market-based instruments or offsets)",
                "embodied": "the runner profile's embodied carbon x time share x resource share",
            },
            "notes": notes,
        }


def sci_document(groups: list[SciGroup], scope: Scope) -> dict[str, Any]:
    """One SCI entry per (repository, job, functional unit, scope), JSON-ready."""
    jobs: dict[tuple[str | None, ...], _Job] = {}
    for g in groups:
        k = (g.repository, g.job, g.unit_name, g.scope)
        jobs.setdefault(k, _Job(g.repository, g.job, g.unit_name, g.scope)).add(g)
    return {
        "specification": SPECIFICATION,
        "formula": "SCI = (E x I + M) per R",
        "period": {
            "start": scope.since.isoformat() if scope.since else None,
            "end": scope.until.isoformat() if scope.until else None,
        },
        "boundary": {"repository": scope.repository or "all"},
        "units": {"E": "kWh", "I": "g CO2e/kWh", "M": "g CO2e", "SCI": "g CO2e per unit"},
        "jobs": [
            j.entry() for _, j in sorted(jobs.items(), key=lambda kv: [x or "" for x in kv[0]])
        ],
    }
