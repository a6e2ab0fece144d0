"""The gate, start to finish: settings in, verdict and exit code out. No click, no rich."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from greengate.context import RunContext, detect_context
from greengate.errors import GreengateError
from greengate.files.working_directory import working_directory
from greengate.gate.parts import GateParts
from greengate.gate.progress import Progress, ProgressSink
from greengate.intensity.interface import zero_figure_note
from greengate.ledger.history import ledger_location
from greengate.measurement import FunctionalUnit, GridIntensity, Measurement
from greengate.policy.matching import select_budget
from greengate.policy.model import Budget, GridFallback, GridSetting, Policy
from greengate.policy.trusted import PolicyChoice, policy_change, resolve_policy
from greengate.process.cancel import DEFAULT_GRACE_SECONDS
from greengate.process.supervisor import TreeSample, supervise
from greengate.units import GRID_INTENSITY_RANGE, MAX_GRID_INTENSITY, format_intensity
from greengate.verdict import CommandOutcome, Verdict

if TYPE_CHECKING:
    from greengate.gate.guard import CommandGuard

    # What only the end of a run needs is imported there (or while the command runs, see
    # run_command's ``while_running``), not before the command starts.
    from greengate.gate.history import HistoryFacts, LedgerUnavailable
    from greengate.job.session import LapSpan
    from greengate.laps import JobLap, LapVerdict
    from greengate.policy.grid_settings import GridOverride


@dataclass(frozen=True)
class GateSettings:
    """What the user asked for, whatever the front end (CLI options, env, action inputs)."""

    policy: str
    job: str | None = None
    branch: str | None = None
    country: str | None = None
    intensity: float | None = None
    policy_from: str | None = None
    violation_exit_code: int = 1
    unit: FunctionalUnit | None = None  # SCI's functional unit, e.g. tests=412
    job_key: str | None = None  # a matrix leg's identity beside the shared job id
    grid: GridOverride | None = None  # --grid-* options over the policy's grid: (live data)
    grace_seconds: float = DEFAULT_GRACE_SECONDS  # from a cancel signal to SIGKILL of the tree
    stop_at_limit: bool = False  # --stop-at-limit: stop the command when it crosses a limit
    stop_signal: int = signal.SIGTERM  # sent to the tree at the limit; SIGKILL after the grace


@dataclass(frozen=True)
class Prepared:
    """Everything decided before the command runs (errors here stop it from running)."""

    choice: PolicyChoice
    rule: Budget | None
    context: RunContext
    grid: GridSetting  # the grid the run is charged at (its intensity is looked up at the end)
    parts: GateParts  # the outside world the gate was handed
    ledger: str | None = None  # where runs are recorded (docs/history.md); None: not recorded
    job_lap: JobLap | None = None  # run inside a job started with greengate start

    @property
    def policy(self) -> Policy:
        return self.choice.applied


@dataclass(frozen=True)
class GateResult:
    """The verdict and the exit code greengate ends with."""

    verdict: Verdict
    exit_code: int


def _grid(settings: GateSettings, policy: Policy) -> GridSetting:
    """--intensity > --country > the policy's intensity > its country/region."""
    if settings.intensity is not None:
        return GridSetting(g_per_kwh=settings.intensity)
    base = policy.defaults.grid
    if settings.country is not None:
        base = GridSetting(country=settings.country.upper())
    if policy.grid is None and settings.grid is None:
        return base  # offline: the live grid's settings code is never loaded (start-up)
    from greengate.policy.grid_settings import choose_live

    live = choose_live(policy.grid, settings.grid, country_given=settings.country is not None)
    return replace(base, live=live)


def prepare(
    settings: GateSettings, env: Mapping[str, str], parts: GateParts, cwd: str | None = None
) -> Prepared:
    """Load the policy, find the context, rule and grid; raises GreengateError on bad input."""
    if settings.intensity is not None and not 0 <= settings.intensity <= MAX_GRID_INTENSITY:
        # The CLI already read it with parse_grid_intensity; this keeps the one range for
        # settings built in code.
        raise GreengateError(
            f"--intensity {settings.intensity:g} g/kWh is not a grid intensity",
            hint=f"give one from {GRID_INTENSITY_RANGE}",
        )
    choice = resolve_policy(settings.policy, settings.policy_from, cwd or working_directory())
    context = detect_context(env, job=settings.job, branch=settings.branch, cwd=cwd)
    context = replace(context, job_key=settings.job_key or None)
    rule = select_budget(choice.applied, context.job, context.branch)
    grid = _grid(settings, choice.applied)
    parts.intensity.check(grid)  # an unknown zone stops the run before the command starts
    if settings.stop_at_limit:  # before the command runs: a usage error
        from greengate.gate.limit_watch import require_enforced_limit

        require_enforced_limit(choice.applied, rule, context.branch)
    ledger = ledger_location(env, choice.applied, cwd)
    return Prepared(choice, rule, context, grid, parts, ledger)


def grid_failure(grid: GridSetting, intensity: GridIntensity) -> str | None:
    """A live provider's failure under ``grid.fallback: error``: the verdict is an error."""
    live = intensity.live
    if grid.live is None or live is None or not live.fallback_reason:
        return None
    if grid.live.fallback is not GridFallback.ERROR:
        return None
    return (
        f"live grid intensity from {live.provider} failed ({live.fallback_reason}); "
        "grid.fallback is error (set it to bundled to charge the yearly figure instead)"
    )


def grid_notes(grid: GridSetting, intensity: GridIntensity) -> list[str]:
    """What a measurement's notes say about an unconfigured grid or a live provider's failure."""
    live = intensity.live
    if live is not None and live.fallback_reason:
        return [
            f"grid: {live.provider} gave no figure ({live.fallback_reason}); the figures use the "
            f"{intensity.source} of {intensity.g_per_kwh:g} g/kWh"
        ]
    zero = zero_figure_note(intensity)
    if zero is not None:
        return [zero]
    if grid.configured:
        return []
    return [
        f"no grid configured: using the {intensity.source} of "
        f"{format_intensity(intensity.g_per_kwh)}; "
        "set defaults.country in the policy or pass --country"
    ]


def _shown_on_cancel(
    guard: CommandGuard | None, shown: str | None
) -> Callable[[int, CommandOutcome], None] | None:
    """The guard's cancel handler, given the outcome with the command as it was written."""
    if guard is None:
        return None
    cancelled = guard.cancelled
    return lambda sig, outcome: cancelled(sig, replace(outcome, shown=shown))


def run_command(
    argv: Sequence[str],
    settings: GateSettings,
    prepared: Prepared,
    progress: ProgressSink | None = None,
    guard: CommandGuard | None = None,
    while_running: Callable[[], None] | None = None,
    warn: Callable[[str], None] | None = None,
    shown: str | None = None,
) -> GateResult:
    """Run and measure the command, then judge it; ``guard`` keeps what follows it safe.

    ``while_running`` is called once, on a thread of its own, when the command has run for
    a first sample (50 ms): the CLI imports there what only the end of the run needs, so a
    long command hides that cost and a short one pays it at the end as before. ``warn``
    shows a line while the command runs (the stop check's warning and stop). ``shown``: the
    command as written, when ``argv`` wraps it (``--shown-as``).
    """
    policy, parts = prepared.policy, prepared.parts
    energy = parts.energy(policy)
    watch = None
    if settings.stop_at_limit or (prepared.rule and prepared.rule.stop_at_limit):
        from greengate.gate.live_limits import build_watch

        watch = build_watch(settings.stop_signal, prepared, energy, warn or (lambda text: None))
    energy.begin()
    extra_env = energy.command_env()  # e.g. DOCKER_HOST through the container accounting
    parts.intensity.begin(prepared.grid, parts.clock())
    pending = [while_running] if while_running is not None else []

    def on_sample(sample: TreeSample) -> None:
        if pending:
            warm_up = threading.Thread(target=pending.pop(), name="greengate-warm-up", daemon=True)
            with contextlib.suppress(RuntimeError):  # no thread left: imported at the end
                warm_up.start()
        kwh = energy.observe(sample)  # CPU only: a live figure to watch, not the verdict's
        if progress is not None:
            progress.update(
                Progress(sample.elapsed_seconds, sample.cpu_seconds, kwh, len(sample.pids))
            )

    run = supervise(
        argv,
        on_sample=on_sample,
        watch=guard.watch if guard else None,
        grace_seconds=settings.grace_seconds,
        on_cancel=_shown_on_cancel(guard, shown),
        stop_check=watch,
        env={**os.environ, **extra_env} if extra_env else None,
    )
    outcome = replace(run.outcome, shown=shown)
    if run.stop_signal is not None and watch is not None and watch.stop is not None:
        outcome = replace(outcome, stop=watch.stop)
    if guard is not None:
        guard.command_ended(outcome)
    if progress is not None:
        progress.close()
    result = energy.finish(run.usage)
    intensity = parts.intensity.intensity(
        prepared.grid, outcome.started_at, outcome.ended_at, result.timeline
    )
    notes = grid_notes(prepared.grid, intensity)
    if run.outcome.start_error:
        notes.append(f"the command did not start: {run.outcome.start_error}")
    if run.killed_after_grace:
        notes.append(
            f"the process tree outlived the grace period of {settings.grace_seconds:g} s after "
            f"the {'stop' if outcome.stop else 'cancel'} signal and was killed (SIGKILL)"
        )
    measurement = result.measured(
        intensity,
        run.usage,
        notes=(*notes, *result.caveats),
        include_embodied=policy.energy.include_embodied,
        functional_unit=settings.unit,
    )
    return _conclude(
        settings,
        prepared,
        measurement,
        outcome,
        grid_failure(prepared.grid, intensity),
        guard=guard,
    )


def check_measurement(
    measurement: Measurement,
    settings: GateSettings,
    prepared: Prepared,
    guard: CommandGuard | None = None,
) -> GateResult:
    """Judge a measurement made elsewhere; a configured grid replaces its own intensity."""
    failure = None
    if prepared.grid.configured:
        now = prepared.parts.clock()  # when it was made is not known: the grid as of now
        intensity = prepared.parts.intensity.intensity(prepared.grid, now, now)
        measurement = replace(measurement, intensity=intensity)
        failure = grid_failure(prepared.grid, intensity)  # grid.fallback: error
    if settings.unit is not None:
        measurement = replace(measurement, functional_unit=settings.unit)
    return _conclude(settings, prepared, measurement, None, failure, guard=guard)


def conclude_job(
    settings: GateSettings,
    prepared: Prepared,
    measurement: Measurement,
    laps: Sequence[tuple[LapSpan, Measurement]],
    failure: str | None,
    guard: CommandGuard | None = None,
) -> GateResult:
    """Judge a job measured with start/lap/stop: the whole by the job's rule, each lap by its
    step rule; ``failure`` (a sampler that died) or a live grid's failure under
    ``grid.fallback: error`` makes it an error that keeps the figures, or a fail where what
    was measured is already over an enforced limit (as for ``run``)."""
    from greengate.gate.laps import judge_laps

    grid = grid_failure(prepared.grid, measurement.intensity)
    failure = "; ".join(f for f in (failure, grid) if f) or None
    judged = judge_laps(prepared.policy, prepared.context, laps)
    return _conclude(settings, prepared, measurement, None, failure, judged, guard)


def _conclude(
    settings: GateSettings,
    prepared: Prepared,
    measurement: Measurement,
    outcome: CommandOutcome | None,
    failure: str | None = None,
    laps: tuple[LapVerdict, ...] = (),
    guard: CommandGuard | None = None,
) -> GateResult:
    from greengate.gate.history import questions
    from greengate.gate.judge import exit_code, judge
    from greengate.gate.recording import judge_and_record

    policy, context, parts = prepared.policy, prepared.context, prepared.parts
    change = policy_change(prepared.choice, context.job, context.branch, prepared.rule)

    def decide(history: HistoryFacts | LedgerUnavailable | None) -> Verdict:
        return judge(
            policy=policy,
            rule=prepared.rule,
            context=context,
            measurement=measurement,
            command=outcome,
            failure=failure,
            laps=laps,
            history=history,
            policy_change=change,
            job_lap=prepared.job_lap,
        )

    if guard is not None and prepared.ledger is not None:
        # The ledger may hang or fail: the single-run verdict is out before it is asked.
        guard.checkpoint(decide(None))
    now = parts.clock()
    asked = questions(policy, context, now)
    verdict = judge_and_record(decide, asked, prepared.ledger, parts.ledger, now)
    if outcome is not None and outcome.exit_code != 0 and outcome.stop is None:
        # The command's own failure comes first: CI must see its code, not ours (unless
        # greengate stopped it at its limit: then the overrun is why it ended).
        return GateResult(verdict, outcome.exit_code)
    return GateResult(verdict, exit_code(verdict, settings.violation_exit_code))
