"""A job's laps and its whole on the same energy model as ``greengate run`` (machine scope).

The energy session is handed the sampler's record in place of its own meter: the profile
(or TDP) curve, memory, PUE and embodied terms are the session's, not a second model. Every
term is linear in a lap's record and duration, and one grid intensity serves the whole job,
so the laps add up to the whole job.
"""

from __future__ import annotations

from dataclasses import dataclass

from greengate.energy.estimate import CpuModel
from greengate.energy.session import EnergySession
from greengate.gate.flow import Prepared, grid_notes
from greengate.job.counters import RecordedGpu, RecordedRapl
from greengate.job.histogram import UtilisationHistogram
from greengate.job.session import JobRecord, LapSpan, wall_time
from greengate.measurement import (
    FunctionalUnit,
    Measurement,
    PowerTimeline,
    Scope,
    TreeUsage,
)

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


def rapl_record(record: JobRecord) -> RecordedRapl | None:
    """The CPU counter for the job's laps when the sampler followed RAPL throughout."""
    marks = [record.origin, record.end, *(s.end for s in record.laps)]
    return RecordedRapl() if all(m.rapl_joules is not None for m in marks) else None


def gpu_record(record: JobRecord) -> RecordedGpu | None:
    """The GPU counter for the job's laps when the sampler followed NVML throughout."""
    marks = [record.origin, record.end, *(s.end for s in record.laps)]
    if not all(m.gpu_joules is not None for m in marks):
        return None
    return RecordedGpu(record.gpu_method, record.gpu_band)


def _joules(span: LapSpan) -> float:
    begin, end = span.begin.rapl_joules, span.end.rapl_joules
    return (end or 0.0) - (begin or 0.0)


def _gpu_joules(span: LapSpan) -> float:
    begin, end = span.begin.gpu_joules, span.end.gpu_joules
    return (end or 0.0) - (begin or 0.0)


def measure_job(
    record: JobRecord,
    prepared: Prepared,
    session: EnergySession,
    unit: FunctionalUnit | None,
    counter: RecordedRapl | None = None,
    gpu: RecordedGpu | None = None,
) -> JobMeasurements:
    """Every lap and the whole job, machine scope, on the session's power model."""
    policy = prepared.policy
    whole = record.whole
    intensity = prepared.parts.intensity.intensity(
        prepared.grid, wall_time(whole.begin), wall_time(whole.end)
    )
    notes = grid_notes(prepared.grid, intensity)
    if record.rapl_error is not None:
        notes.append(f"cpu: {record.rapl_error}; estimated from the utilisation instead")
    if record.gpu_error is not None:
        notes.append(f"gpu: {record.gpu_error}; the GPUs' energy is missing from the total")
    if policy.energy.scope is Scope.PROCESS:
        notes.append(
            "the policy asks for process scope; a job measured with start/stop is the whole "
            "machine's (machine scope); 'greengate run' inside it measures its own command"
        )
    session.begin()  # starts codecarbon's detection where no runner profile gives the power

    def measured(span: LapSpan, with_notes: bool) -> Measurement:
        run = HistogramRun(span.end.histogram.minus(span.begin.histogram))
        usage = _usage(span)
        if counter is not None:
            counter.joules = _joules(span)  # this lap's stretch of the followed counter
        if gpu is not None:
            gpu.joules = _gpu_joules(span)
        result = session.finish(usage, run)
        return result.measured(
            intensity,
            usage,
            notes=(*notes, *result.caveats) if with_notes else (),
            include_embodied=policy.energy.include_embodied,
            functional_unit=unit,
            source=SOURCE,
        )

    return JobMeasurements(
        measured(whole, True), tuple((s, measured(s, False)) for s in record.laps)
    )
