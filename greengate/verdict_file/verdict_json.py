"""The verdict file: a Verdict as versioned JSON (docs/verdict.md), and back."""

from __future__ import annotations

import functools
import json
import math
import os
from datetime import datetime
from typing import Any

from greengate.context import RunContext
from greengate.files.atomic import write_text_atomic
from greengate.files.schemas import schema_text
from greengate.ledger.export import history_to_dict
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
from greengate.policy.change_export import policy_change_from_dict, policy_change_to_dict
from greengate.policy.model import Budget, Mode
from greengate.verdict import CommandOutcome, LimitCheck, Quantity, Status, Verdict
from greengate.verdict_file.laps_json import (
    job_lap_from_dict,
    job_lap_to_dict,
    laps_from_list,
    laps_to_list,
)

TOOL_NAME = "greengate"
_CONTEXT_FIELDS = (
    "job",
    "branch",
    "commit",
    "ci_provider",
    "base_branch",
    "repository",
    "workflow",
    "run_id",
    "run_attempt",
)


@functools.cache
def verdict_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) every verdict file validates against."""
    schema: dict[str, Any] = json.loads(schema_text("verdict.schema.json"))
    return schema


def write_verdict(verdict: Verdict, path: str | os.PathLike[str]) -> None:
    """Write the verdict to ``path`` atomically, as pretty-printed JSON."""
    write_text_atomic(path, verdict_to_json(verdict))


def verdict_to_json(verdict: Verdict) -> str:
    """The verdict file's text: indented JSON with a final newline, never NaN/Infinity."""
    return (
        json.dumps(verdict_to_dict(verdict), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    )


def verdict_to_dict(v: Verdict) -> dict[str, Any]:
    """The verdict as plain JSON data, in the layout of docs/verdict.md."""
    data: dict[str, Any] = {
        "schema_version": v.schema_version,
        "tool": {"name": TOOL_NAME, "version": v.tool_version},
        "status": v.status.value,
        "mode": v.mode.value,
        "command": _command_to_dict(v.command) if v.command else None,
        "context": {name: getattr(v.context, name) for name in _CONTEXT_FIELDS},
        "measurement": _measurement_to_dict(v.measurement) if v.measurement else None,
        "policy": {"path": v.policy_path} if v.policy_path is not None else None,
        "rule": _rule_to_dict(v.rule) if v.rule else None,
        "limits": [_check_to_dict(c) for c in v.checks],
        "usage_ratio": _finite(v.usage_ratio),
        "reasons": list(v.reasons),
    }
    if v.history is not None:  # only with a ledger: older readers never see the key
        data["history"] = history_to_dict(v.history)
    if v.policy_change is not None:  # only with --policy-from and a policy the run changed
        data["policy_change"] = policy_change_to_dict(v.policy_change)
    if v.context.job_key is not None:  # a matrix leg (--job-key)
        data["context"]["job_key"] = v.context.job_key
    if v.laps:  # greengate stop: the job's laps
        data["laps"] = laps_to_list(v.laps, _iso, _check_to_dict)
    if v.job_lap is not None:  # greengate run inside a started job
        data["job_lap"] = job_lap_to_dict(v.job_lap)
    return data


def verdict_from_dict(d: dict[str, Any]) -> Verdict:
    """Rebuild a Verdict from data that validates against ``verdict_schema()``.

    Derived figures (energy totals, emissions, ratios, durations) are recomputed, not read.
    """
    policy, change = d["policy"], d.get("policy_change")
    laps, job_lap = d.get("laps") or [], d.get("job_lap")
    return Verdict(
        status=Status(d["status"]),
        mode=Mode(d["mode"]),
        context=RunContext(
            **{name: d["context"].get(name) for name in _CONTEXT_FIELDS},
            job_key=d["context"].get("job_key"),
        ),
        policy_path=policy["path"] if policy is not None else None,
        rule=_rule_from_dict(d["rule"]) if d["rule"] is not None else None,
        checks=tuple(_check_from_dict(c) for c in d["limits"]),
        reasons=tuple(d["reasons"]),
        measurement=_measurement_from_dict(d["measurement"])
        if d["measurement"] is not None
        else None,
        command=_command_from_dict(d["command"]) if d["command"] is not None else None,
        tool_version=d["tool"]["version"],
        schema_version=d["schema_version"],
        policy_change=policy_change_from_dict(change) if change is not None else None,
        laps=laps_from_list(laps, _parse_time, _check_from_dict),
        job_lap=job_lap_from_dict(job_lap) if job_lap is not None else None,
    )


def _finite(x: float | None) -> float | None:
    # JSON has no NaN or Infinity (RFC 8259); an undefined figure is written as null.
    return x if x is not None and math.isfinite(x) else None


def _iso(t: datetime) -> str:
    # A naive time is taken as local time so the file always carries an offset.
    return (t if t.tzinfo is not None else t.astimezone()).isoformat()


def _parse_time(s: str) -> datetime:
    # Python 3.10's fromisoformat does not accept a trailing "Z".
    return datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith("Z") else s)


def _command_to_dict(c: CommandOutcome) -> dict[str, Any]:
    return {
        "argv": list(c.argv),
        "exit_code": c.exit_code,
        "signal": c.signal,
        "interrupted": c.interrupted,
        "started_at": _iso(c.started_at),
        "ended_at": _iso(c.ended_at),
        "duration_s": _finite(c.duration_seconds),
    }


def _command_from_dict(d: dict[str, Any]) -> CommandOutcome:
    return CommandOutcome(
        argv=tuple(d["argv"]),
        exit_code=d["exit_code"],
        signal=d["signal"],
        interrupted=d["interrupted"],
        started_at=_parse_time(d["started_at"]),
        ended_at=_parse_time(d["ended_at"]),
    )


def _measurement_to_dict(m: Measurement) -> dict[str, Any]:
    u = m.usage
    return {
        "source": m.source,
        "energy_kwh": _finite(m.energy_kwh),
        "energy_low_kwh": _finite(m.energy_low_kwh),
        "energy_high_kwh": _finite(m.energy_high_kwh),
        "it_energy_kwh": _finite(m.it_energy_kwh),
        "pue": _finite(m.pue),
        "emissions_kg": _finite(m.emissions_kg),
        "emissions_low_kg": _finite(m.emissions_low_kg),
        "emissions_high_kg": _finite(m.emissions_high_kg),
        "operational_kg": _finite(m.operational_kg),
        "scope": m.scope.value if m.scope else None,
        "profile": m.profile,
        "components": [_component_to_dict(c) for c in m.components],
        "intensity": {
            "g_per_kwh": _finite(m.intensity.g_per_kwh),
            "source": m.intensity.source,
            "zone": m.intensity.zone,
            "year": m.intensity.year,
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
            "wall_s": _finite(u.wall_seconds),
            "cpu_s": _finite(u.cpu_seconds),
            "user_s": _finite(u.user_seconds),
            "system_s": _finite(u.system_seconds),
            "processes": u.processes,
            "lingering": u.lingering,
            "peak_memory_bytes": u.peak_rss_bytes,
            "mean_memory_bytes": _finite(u.mean_rss_bytes),
        },
        "notes": list(m.notes),
    }


def _component_to_dict(c: ComponentEnergy) -> dict[str, Any]:
    return {
        "component": c.component.value,
        "kwh": _finite(c.kwh),
        "low_kwh": _finite(c.low_kwh),  # null: no band known for this figure
        "high_kwh": _finite(c.high_kwh),
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
        low_kwh=_opt_float(c.get("low_kwh")),
        high_kwh=_opt_float(c.get("high_kwh")),
        coefficients=tuple((k, float(v)) for k, v in c.get("coefficients", {}).items()),
        fallback=c.get("fallback"),
    )


def _embodied_to_dict(e: Embodied) -> dict[str, Any]:
    return {
        "kg": _finite(e.kg),
        "low_kg": _finite(e.low_kg),
        "high_kg": _finite(e.high_kg),
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
        "e_kwh": _finite(m.energy_kwh),
        "i_g_per_kwh": _finite(m.intensity.g_per_kwh),
        "m_g": _finite(m.embodied_kg * 1000.0),
        "sci_g": _finite(m.sci_g),
        "unit": {"name": unit.name, "count": unit.count} if unit else None,
        "per_unit_g": _finite(m.sci_per_unit_g),
    }


def _measurement_from_dict(d: dict[str, Any]) -> Measurement:
    i, u = d["intensity"], d["usage"]
    sci, timeline, embodied = d.get("sci"), d.get("timeline"), d.get("embodied")
    unit = sci.get("unit") if sci else None
    return Measurement(
        components=tuple(_component_from_dict(c) for c in d["components"]),
        pue=float(d["pue"]),
        intensity=GridIntensity(float(i["g_per_kwh"]), i["source"], i["zone"], i["year"]),
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
    )


def _rule_to_dict(r: Budget) -> dict[str, Any]:
    return {
        "index": r.index,
        "name": r.name,
        "line": r.line,
        "jobs": list(r.jobs),
        "branches": list(r.branches),
        "max_emissions_kg": r.max_emissions_kg,
        "max_energy_kwh": r.max_energy_kwh,
        # The rule's own overrides (null: the policy default applied); kept so the file
        # describes the rule completely and reads back into the same Budget.
        "warn_at": r.warn_at,
        "mode": r.mode.value if r.mode else None,
        **({"steps": list(r.steps)} if r.steps else {}),
    }


def _rule_from_dict(d: dict[str, Any]) -> Budget:
    return Budget(
        index=d["index"],
        line=d["line"],
        name=d["name"],
        jobs=tuple(d["jobs"]),
        branches=tuple(d["branches"]),
        max_emissions_kg=_opt_float(d["max_emissions_kg"]),
        max_energy_kwh=_opt_float(d["max_energy_kwh"]),
        warn_at=_opt_float(d.get("warn_at")),
        mode=Mode(d["mode"]) if d.get("mode") else None,
        steps=tuple(d.get("steps", ())),
    )


def _check_to_dict(c: LimitCheck) -> dict[str, Any]:
    return {
        "quantity": c.quantity.value,
        "measured": _finite(c.measured),
        "limit": _finite(c.limit),
        "unit": c.unit,
        "ratio": _finite(c.ratio),
        "warn_at": _finite(c.warn_at),
        "status": c.status.value,
        "low": _finite(c.low),
        "high": _finite(c.high),
        "straddles": c.straddles,
    }


def _check_from_dict(d: dict[str, Any]) -> LimitCheck:
    return LimitCheck(
        quantity=Quantity(d["quantity"]),
        measured=float(d["measured"]),
        limit=float(d["limit"]),
        warn_at=float(d["warn_at"]),
        status=Status(d["status"]),
        low=_opt_float(d.get("low")),
        high=_opt_float(d.get("high")),
    )


def _opt_float(x: float | None) -> float | None:
    return float(x) if x is not None else None
