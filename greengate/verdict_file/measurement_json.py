"""The verdict file's ``measurement`` section: components, embodied term, SCI, timeline."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from greengate.containers.work import ContainerUse, ContainerWork
from greengate.measurement import (
    Component,
    ComponentEnergy,
    Embodied,
    FunctionalUnit,
    GridIntensity,
    Measurement,
    PowerTimeline,
    Scope,
    Tier,
    TreeUsage,
)
from greengate.verdict_file.json_values import finite, opt_float

if TYPE_CHECKING:
    from greengate.live_intensity import LiveIntensity


def measurement_to_dict(m: Measurement) -> dict[str, Any]:
    """The verdict file's ``measurement`` section."""
    u = m.usage
    return {
        "source": m.source,
        "energy_kwh": finite(m.energy_kwh),
        "energy_low_kwh": finite(m.energy_low_kwh),
        "energy_high_kwh": finite(m.energy_high_kwh),
        "it_energy_kwh": finite(m.it_energy_kwh),
        "pue": finite(m.pue),
        "emissions_kg": finite(m.emissions_kg),
        "emissions_low_kg": finite(m.emissions_low_kg),
        "emissions_high_kg": finite(m.emissions_high_kg),
        "operational_kg": finite(m.operational_kg),
        "scope": m.scope.value if m.scope else None,
        "profile": m.profile,
        "components": [_component_to_dict(c) for c in m.components],
        "intensity": {
            "g_per_kwh": finite(m.intensity.g_per_kwh),
            "source": m.intensity.source,
            "zone": m.intensity.zone,
            "year": m.intensity.year,
            **({"live": _live_to_dict(m.intensity.live)} if m.intensity.live else {}),
        },
        "include_embodied": m.include_embodied,
        "embodied": _embodied_to_dict(m.embodied) if m.embodied else None,
        "sci": _sci_to_dict(m),
        "timeline": {"interval_s": m.timeline.interval_s, "watts": list(m.timeline.watts)}
        if m.timeline
        else None,
        "usage": None
        if u is None
        else {
            "wall_s": finite(u.wall_seconds),
            "cpu_s": finite(u.cpu_seconds),
            "user_s": finite(u.user_seconds),
            "system_s": finite(u.system_seconds),
            "processes": u.processes,
            "lingering": u.lingering,
            "peak_memory_bytes": u.peak_rss_bytes,
            "mean_memory_bytes": finite(u.mean_rss_bytes),
        },
        "notes": list(m.notes),
        **({"containers": _containers_to_dict(m.containers)} if m.containers else {}),
    }


def _component_to_dict(c: ComponentEnergy) -> dict[str, Any]:
    return {
        "component": c.component.value,
        "kwh": finite(c.kwh),
        "low_kwh": finite(c.low_kwh),  # null: no band known for this figure
        "high_kwh": finite(c.high_kwh),
        "tier": c.tier.value,
        "method": c.method,
        "detail": c.detail,
        "coefficients": {name: v for name, v in c.coefficients if math.isfinite(v)},
        "fallback": c.fallback,
    }


def _component_from_dict(c: dict[str, Any]) -> ComponentEnergy:
    return ComponentEnergy(
        Component(c["component"]),
        float(c["kwh"]),
        c["method"],
        c["detail"],
        tier=Tier(c.get("tier", Tier.IMPORTED.value)),
        low_kwh=opt_float(c.get("low_kwh")),
        high_kwh=opt_float(c.get("high_kwh")),
        coefficients=tuple((k, float(v)) for k, v in c.get("coefficients", {}).items()),
        fallback=c.get("fallback"),
    )


def _embodied_to_dict(e: Embodied) -> dict[str, Any]:
    return {
        "kg": finite(e.kg),
        "low_kg": finite(e.low_kg),
        "high_kg": finite(e.high_kg),
        "total_kg": e.total_kg,
        "lifetime_years": e.lifetime_years,
        "time_share": e.time_share,
        "resource_share": e.resource_share,
        "source": e.source,
        "band_factors": [e.low_factor, e.high_factor],
    }


def _embodied_from_dict(d: dict[str, Any]) -> Embodied:
    low, high = d["band_factors"]
    return Embodied(
        total_kg=float(d["total_kg"]),
        lifetime_years=float(d["lifetime_years"]),
        time_share=float(d["time_share"]),
        resource_share=float(d["resource_share"]),
        source=d["source"],
        low_factor=float(low),
        high_factor=float(high),
    )


def _sci_to_dict(m: Measurement) -> dict[str, Any]:
    unit = m.functional_unit
    return {
        "e_kwh": finite(m.energy_kwh),
        "i_g_per_kwh": finite(m.intensity.g_per_kwh),
        "m_g": finite(m.embodied_kg * 1000.0),
        "sci_g": finite(m.sci_g),
        "unit": {"name": unit.name, "count": unit.count} if unit else None,
        "per_unit_g": finite(m.sci_per_unit_g),
    }


def measurement_from_dict(d: dict[str, Any]) -> Measurement:
    """A Measurement from the ``measurement`` section; derived figures are recomputed."""
    i, u = d["intensity"], d["usage"]
    sci, timeline, embodied = d.get("sci"), d.get("timeline"), d.get("embodied")
    unit = sci.get("unit") if sci else None
    return Measurement(
        components=tuple(_component_from_dict(c) for c in d["components"]),
        pue=float(d["pue"]),
        intensity=GridIntensity(
            float(i["g_per_kwh"]), i["source"], i["zone"], i["year"], _live_from_dict(i.get("live"))
        ),
        usage=None
        if u is None
        else TreeUsage(
            wall_seconds=float(u["wall_s"]),
            user_seconds=float(u["user_s"]),
            system_seconds=float(u["system_s"]),
            processes=u["processes"],
            lingering=u["lingering"],
            peak_rss_bytes=u["peak_memory_bytes"],
            mean_rss_bytes=float(u["mean_memory_bytes"]),
        ),
        source=d["source"],
        notes=tuple(d["notes"]),
        scope=Scope(d["scope"]) if d.get("scope") else None,
        profile=d.get("profile"),
        embodied=_embodied_from_dict(embodied) if embodied else None,
        include_embodied=bool(d.get("include_embodied", False)),
        functional_unit=FunctionalUnit(unit["name"], float(unit["count"])) if unit else None,
        timeline=PowerTimeline(float(timeline["interval_s"]), tuple(timeline["watts"]))
        if timeline
        else None,
        containers=_containers_from_dict(d["containers"]) if d.get("containers") else None,
    )


def _containers_to_dict(work: ContainerWork) -> dict[str, Any]:
    return {
        "cpu_s": finite(work.cpu_seconds),
        "cpu_low_s": finite(work.cpu_low_seconds),
        "cpu_high_s": finite(work.cpu_high_seconds),
        "memory_byte_s": finite(work.memory_byte_seconds),
        "method": work.method,
        "notes": list(work.notes),
        "containers": [
            {
                "id": c.id,
                "image": c.image,
                "cpu_s": finite(c.cpu_seconds),
                "peak_memory_bytes": c.peak_memory_bytes,
                "memory_byte_s": finite(c.memory_byte_seconds),
            }
            for c in work.containers
        ],
    }


def _containers_from_dict(d: dict[str, Any]) -> ContainerWork:
    return ContainerWork(
        containers=tuple(
            ContainerUse(
                c["id"],
                c["image"],
                float(c["cpu_s"]),
                c["peak_memory_bytes"],
                float(c["memory_byte_s"]),
            )
            for c in d["containers"]
        ),
        cpu_seconds=float(d["cpu_s"]),
        cpu_low_seconds=float(d["cpu_low_s"]),
        cpu_high_seconds=float(d["cpu_high_s"]),
        memory_byte_seconds=float(d["memory_byte_s"]),
        method=d["method"],
        notes=tuple(d.get("notes", ())),
    )


# A live grid's keys: their module loads only for a verdict that has them (start-up).
def _live_to_dict(live: LiveIntensity) -> dict[str, Any]:
    from greengate.verdict_file.live_json import live_to_dict

    return live_to_dict(live)


def _live_from_dict(d: dict[str, Any] | None) -> LiveIntensity | None:
    if d is None:
        return None
    from greengate.verdict_file.live_json import live_from_dict

    return live_from_dict(d)
