"""One run's figures as named gauge samples: what the Pushgateway reporter pushes.

The names follow the GitLab metrics report (``greengate_energy_kwh``, ``greengate_emissions_kg``,
``greengate_grid_intensity_g_per_kwh``, ``greengate_budget_usage_ratio``,
``greengate_duration_seconds``), so a dashboard reads the same series from either. The
Pushgateway adds the grouping labels (job, branch, repository) itself; these samples carry
only the labels that tell one sample of a family from another.
"""

from __future__ import annotations

from dataclasses import dataclass

from greengate.verdict import Quantity, Status, Verdict


@dataclass(frozen=True)
class Sample:
    """One gauge value: its family's name and help, its own labels, the value."""

    name: str
    help: str
    labels: tuple[tuple[str, str], ...]
    value: float


def _measurement_samples(v: Verdict) -> list[Sample]:
    m = v.measurement
    if m is None:
        return []
    out = [
        Sample("greengate_energy_kwh", "Energy of the run in kWh, PUE included.", (), m.energy_kwh),
        Sample(
            "greengate_energy_low_kwh", "Low end of the energy's band, kWh.", (), m.energy_low_kwh
        ),
        Sample(
            "greengate_energy_high_kwh",
            "High end of the energy's band, kWh.",
            (),
            m.energy_high_kwh,
        ),
        Sample("greengate_emissions_kg", "Emissions of the run in kg CO2e.", (), m.emissions_kg),
        Sample(
            "greengate_emissions_low_kg",
            "Low end of the emissions' band, kg CO2e.",
            (),
            m.emissions_low_kg,
        ),
        Sample(
            "greengate_emissions_high_kg",
            "High end of the emissions' band, kg CO2e.",
            (),
            m.emissions_high_kg,
        ),
        Sample(
            "greengate_grid_intensity_g_per_kwh",
            "Grid carbon intensity used, in g CO2e per kWh.",
            (),
            m.intensity.g_per_kwh,
        ),
    ]
    for c in m.components:
        out.append(
            Sample(
                "greengate_component_energy_kwh",
                "Energy of one component in kWh, before PUE, with how it was obtained.",
                (("component", c.component.value), ("tier", c.tier.value)),
                c.kwh,
            )
        )
    if m.embodied is not None:
        out.append(
            Sample(
                "greengate_embodied_kg",
                "Embodied emissions charged to the run (SCI M), kg CO2e.",
                (),
                m.embodied.kg,
            )
        )
    per_unit = m.sci_per_unit_g
    if per_unit is not None and m.functional_unit is not None:
        out.append(
            Sample(
                "greengate_sci_per_unit_g",
                "Software Carbon Intensity per functional unit, g CO2e.",
                (("unit", m.functional_unit.name),),
                per_unit,
            )
        )
    return out


def _budget_samples(v: Verdict) -> list[Sample]:
    out = [
        Sample(
            "greengate_budget_usage_ratio",
            "Measured / limit per limit.",
            (("quantity", c.quantity.value),),
            c.ratio,
        )
        for c in v.checks
    ]
    for c in v.checks:
        name = (
            "greengate_budget_limit_kg"
            if c.quantity is Quantity.EMISSIONS
            else "greengate_budget_limit_kwh"
        )
        out.append(Sample(name, f"The matched rule's limit, {c.unit}.", (), c.limit))
    if v.history is not None:
        for w in v.history.windows:
            used = (w.spent + w.this_run) / w.limit if w.limit > 0 else float("inf")
            out.append(
                Sample(
                    "greengate_window_usage_ratio",
                    "A budget window's spend, this run included, / its limit.",
                    (("window", w.label), ("quantity", w.quantity)),
                    used,
                )
            )
    return out


def run_samples(v: Verdict) -> tuple[Sample, ...]:
    """Every gauge for one verdict, in a stable order."""
    out = _measurement_samples(v) + _budget_samples(v)
    for status in Status:
        out.append(
            Sample(
                "greengate_status",
                "1 for the gate's status, 0 for the others.",
                (("status", status.value),),
                1.0 if v.status is status else 0.0,
            )
        )
    if v.command is not None:
        out += [
            Sample(
                "greengate_duration_seconds",
                "Wall time of the command.",
                (),
                v.command.duration_seconds,
            ),
            Sample(
                "greengate_command_exit_code",
                "Exit code of the wrapped command.",
                (),
                float(v.command.exit_code),
            ),
            Sample(
                "greengate_run_end_timestamp_seconds",
                "When the command ended, Unix time.",
                (),
                v.command.ended_at.timestamp(),
            ),
        ]
    return tuple(out)
