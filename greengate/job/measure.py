"""A job's laps and its whole on the same energy model as ``greengate run`` (machine scope).

The energy session is handed the sampler's record in place of its own meter: the profile
(or TDP) curve, memory, PUE and embodied terms are the session's, not a second model. Every
term is linear in a lap's record and duration, so the laps add up to the whole job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from greengate.energy.estimate import CpuModel
from greengate.energy.hardware import HardwareDetector, cache_dir
from greengate.energy.session import EnergyResult, EnergySession
from greengate.job.histogram import UtilisationHistogram
from greengate.job.session import JobRecord, LapSpan
from greengate.measurement import (
    FunctionalUnit,
    GridIntensity,
    Measurement,
    PowerTimeline,
    Scope,
    TreeUsage,
)
from greengate.policy.model import Policy

SOURCE = "greengate start/stop"


@dataclass(frozen=True)
class HistogramRun:
    """A stretch of the sampler's record, read by the energy session as its machine side."""

    histogram: UtilisationHistogram

    def machine_joules(self, model: CpuModel, wall_seconds: float) -> float | None:
        """The curve integrated over the stretch's utilisation record."""
        return self.histogram.joules(model.curve)

    def timeline(
        self, model: CpuModel, scope: Scope, machine_memory_watts: float, memory_counted: bool
    ) -> PowerTimeline:
        """No bucketed timeline: the laps are the job's chart."""
        return PowerTimeline(0.0, ())


def _usage(span: LapSpan) -> TreeUsage:
    # Machine scope has no process tree: the CPU time is the whole machine's.
    busy = max(span.end.machine.busy_seconds - span.begin.machine.busy_seconds, 0.0)
    return TreeUsage(span.seconds, busy, 0.0, 0, 0, 0, 0.0)


@dataclass(frozen=True)
class JobMeasurements:
    """The whole job's measurement and each lap's, in order."""

    whole: Measurement
    laps: tuple[tuple[LapSpan, Measurement], ...]


def measure_job(
    record: JobRecord,
    policy: Policy,
    env: Mapping[str, str],
    intensity: GridIntensity,
    unit: FunctionalUnit | None,
    notes: tuple[str, ...] = (),
) -> JobMeasurements:
    """Every lap and the whole job, machine scope, on the session's power model."""
    settings = policy.energy
    extra = list(notes)
    if settings.scope is Scope.PROCESS:
        extra.append(
            "the policy asks for process scope; a job measured with start/stop is the whole "
            "machine's (machine scope); 'greengate run' inside it measures its own command"
        )
    detector = HardwareDetector(cache_dir())
    session = EnergySession(
        replace(settings, scope=Scope.MACHINE), env, detector, policy.defaults.pue
    )
    if session.choice.profile is None:
        detector.start()  # only the TDP tier needs codecarbon's hardware detection

    def measured(span: LapSpan, with_notes: bool) -> Measurement:
        run = HistogramRun(span.end.histogram.minus(span.begin.histogram))
        result = session.finish(_usage(span), run)
        return _measurement(result, _usage(span), intensity, policy, unit, extra, with_notes)

    whole = measured(record.whole, True)
    return JobMeasurements(whole, tuple((s, measured(s, False)) for s in record.laps))


def _measurement(
    result: EnergyResult,
    usage: TreeUsage,
    intensity: GridIntensity,
    policy: Policy,
    unit: FunctionalUnit | None,
    notes: list[str],
    with_notes: bool,
) -> Measurement:
    all_notes = [*notes, *result.notes] if with_notes else []
    if with_notes:
        all_notes.extend(c.detail for c in result.components if c.method == "unavailable")
        all_notes.extend(
            f"{c.component.value}: {c.fallback}" for c in result.components if c.fallback
        )
    return Measurement(
        components=result.components,
        pue=result.pue,
        intensity=intensity,
        usage=usage,
        source=SOURCE,
        notes=tuple(all_notes),
        scope=result.scope,
        profile=result.profile,
        embodied=result.embodied,
        include_embodied=policy.energy.include_embodied,
        functional_unit=unit,
        timeline=None,
    )
