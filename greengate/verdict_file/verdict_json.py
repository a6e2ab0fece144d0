"""The verdict file: a Verdict as versioned JSON (docs/verdict.md), and back."""

from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any

from greengate.context import RunContext
from greengate.files.atomic import write_text_atomic
from greengate.files.schemas import schema_text
from greengate.policy.model import Budget, Mode
from greengate.process.outcome import LimitStop
from greengate.verdict import CommandOutcome, LimitCheck, Quantity, Status, Verdict
from greengate.verdict_file.history_json import history_from_dict, history_to_dict
from greengate.verdict_file.json_values import finite, iso, opt_float, parse_time
from greengate.verdict_file.measurement_json import measurement_from_dict, measurement_to_dict
from greengate.verdict_file.undecodable import KEY as UNDECODABLE
from greengate.verdict_file.undecodable import restore_undecodable, split_undecodable

if TYPE_CHECKING:
    from greengate.laps import JobLap, LapVerdict
    from greengate.policy.change import PolicyChange

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
        "measurement": measurement_to_dict(v.measurement) if v.measurement else None,
        "policy": {"path": v.policy_path} if v.policy_path is not None else None,
        "rule": _rule_to_dict(v.rule) if v.rule else None,
        "limits": [_check_to_dict(c) for c in v.checks],
        "usage_ratio": finite(v.usage_ratio),
        "reasons": list(v.reasons),
    }
    if v.history is not None:  # only with a ledger: older readers never see the key
        data["history"] = history_to_dict(v.history)
    # The job and --policy-from keys' modules load only for a verdict with them (start-up).
    if v.policy_change is not None:  # only with --policy-from and a policy the run changed
        from greengate.policy.change_export import policy_change_to_dict

        data["policy_change"] = policy_change_to_dict(v.policy_change)
    if v.context.job_key is not None:  # a matrix leg (--job-key)
        data["context"]["job_key"] = v.context.job_key
    if v.laps or v.job_lap is not None:
        from greengate.verdict_file.laps_json import job_lap_to_dict, laps_to_list

        if v.laps:  # greengate stop: the job's laps
            data["laps"] = laps_to_list(v.laps, iso, _check_to_dict)
        if v.job_lap is not None:  # greengate run inside a started job
            data["job_lap"] = job_lap_to_dict(v.job_lap)
    # Text with bytes that are not UTF-8 (an argument, a branch) is shown with U+FFFD and kept
    # exactly, base64, under "undecodable" (docs/verdict.md): JSON cannot hold the bytes.
    data, undecodable = split_undecodable(data)
    if undecodable:
        data[UNDECODABLE] = undecodable
    return dict(data)


def verdict_from_dict(d: dict[str, Any]) -> Verdict:
    """Rebuild a Verdict from data that validates against ``verdict_schema()``.

    Derived figures (energy totals, emissions, ratios, durations) are recomputed, not read.
    """
    if UNDECODABLE in d:
        d = restore_undecodable(json.loads(json.dumps(d)))  # a copy: the caller's data stays
    policy, change, history = d["policy"], d.get("policy_change"), d.get("history")
    laps, job_lap = d.get("laps") or [], d.get("job_lap")
    mode = Mode(d["mode"])
    # Files before 1.2 do not say whether a limit was enforced: it was, in enforce mode.
    enforced = mode is Mode.ENFORCE

    def check(c: dict[str, Any]) -> LimitCheck:
        return _check_from_dict(c, enforced)

    policy_change: PolicyChange | None = None
    job_laps: tuple[LapVerdict, ...] = ()
    in_job: JobLap | None = None
    if change is not None:
        from greengate.policy.change_export import policy_change_from_dict

        policy_change = policy_change_from_dict(change)
    if laps or job_lap is not None:
        from greengate.verdict_file.laps_json import job_lap_from_dict, laps_from_list

        job_laps = laps_from_list(laps, parse_time, check)
        in_job = job_lap_from_dict(job_lap) if job_lap is not None else None
    return Verdict(
        status=Status(d["status"]),
        mode=mode,
        context=RunContext(
            **{name: d["context"].get(name) for name in _CONTEXT_FIELDS},
            job_key=d["context"].get("job_key"),
        ),
        policy_path=policy["path"] if policy is not None else None,
        rule=_rule_from_dict(d["rule"]) if d["rule"] is not None else None,
        checks=tuple(check(c) for c in d["limits"]),
        reasons=tuple(d["reasons"]),
        measurement=measurement_from_dict(d["measurement"])
        if d["measurement"] is not None
        else None,
        command=_command_from_dict(d["command"]) if d["command"] is not None else None,
        tool_version=d["tool"]["version"],
        schema_version=d["schema_version"],
        history=history_from_dict(history, enforced) if history is not None else None,
        policy_change=policy_change,
        laps=job_laps,
        job_lap=in_job,
    )


def _command_to_dict(c: CommandOutcome) -> dict[str, Any]:
    shown = {} if c.shown is None else {"shown": c.shown}  # absent unless --shown-as
    d: dict[str, Any] = {
        "argv": list(c.argv),
        **shown,
        "exit_code": c.exit_code,
        "signal": c.signal,
        "interrupted": c.interrupted,
        "started_at": iso(c.started_at),
        "ended_at": iso(c.ended_at),
        "duration_s": finite(c.duration_seconds),
    }
    if c.stop is not None:  # only then: every other verdict keeps its layout
        d["stopped_at_limit"] = True
        d["stop"] = _stop_to_dict(c.stop)
    return d


def _stop_to_dict(s: LimitStop) -> dict[str, Any]:
    return {
        "quantity": s.quantity,
        "measured": finite(s.measured),
        "limit": finite(s.limit),
        "before": finite(s.before),
        "overshoot": finite(s.overshoot),
        "limit_of": s.limit_of,
        "signal": s.signal,
        "elapsed_s": finite(s.elapsed_seconds),
    }


def _command_from_dict(d: dict[str, Any]) -> CommandOutcome:
    stop = d.get("stop")
    return CommandOutcome(
        argv=tuple(d["argv"]),
        exit_code=d["exit_code"],
        signal=d["signal"],
        interrupted=d["interrupted"],
        started_at=parse_time(d["started_at"]),
        ended_at=parse_time(d["ended_at"]),
        stop=None
        if stop is None
        else LimitStop(
            quantity=stop["quantity"],
            measured=stop["measured"],
            limit=stop["limit"],
            before=stop["before"],
            limit_of=stop["limit_of"],
            signal=stop["signal"],
            elapsed_seconds=stop["elapsed_s"],
        ),
        shown=d.get("shown"),
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
        max_emissions_kg=opt_float(d["max_emissions_kg"]),
        max_energy_kwh=opt_float(d["max_energy_kwh"]),
        warn_at=opt_float(d.get("warn_at")),
        mode=Mode(d["mode"]) if d.get("mode") else None,
        steps=tuple(d.get("steps", ())),
    )


def _check_to_dict(c: LimitCheck) -> dict[str, Any]:
    return {
        "quantity": c.quantity.value,
        "measured": finite(c.measured),
        "limit": finite(c.limit),
        "unit": c.unit,
        "ratio": finite(c.ratio),
        "warn_at": finite(c.warn_at),
        "status": c.status.value,
        "low": finite(c.low),
        "high": finite(c.high),
        "straddles": c.straddles,
        "enforced": c.enforced,
    }


def _check_from_dict(d: dict[str, Any], enforced: bool) -> LimitCheck:
    return LimitCheck(
        quantity=Quantity(d["quantity"]),
        measured=float(d["measured"]),
        limit=float(d["limit"]),
        warn_at=float(d["warn_at"]),
        status=Status(d["status"]),
        low=opt_float(d.get("low")),
        high=opt_float(d.get("high")),
        enforced=d.get("enforced", enforced),
    )
