"""Builders of sample verdicts and measurements that any test module can reuse.

Import with ``from factories import ...`` (pytest puts ``tests/`` on ``sys.path``).
Every builder takes keyword overrides so a test states only what it cares about.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema

from greengate.context import RunContext
from greengate.energy.hardware import HardwareDetector, cache_dir
from greengate.energy.interface import CpuCounter, EnergySource, GpuCounter, RunEnergy
from greengate.energy.session import EnergySession
from greengate.gate.history import HistoryFacts, LedgerUnavailable, questions
from greengate.gate.judge import judge
from greengate.gate.parts import Clock, GateParts
from greengate.gate.recording import judge_and_record
from greengate.intensity.interface import IntensityProvider
from greengate.intensity.offline import OfflineIntensity
from greengate.ledger.interface import Ledger, open_ledger
from greengate.live_intensity import LiveIntensity
from greengate.measurement import (
    Component,
    ComponentEnergy,
    GridIntensity,
    Measurement,
    Scope,
    TreeUsage,
)
from greengate.policy.model import Budget, Defaults, GridSetting, LedgerFailure, Mode, Policy
from greengate.verdict import (
    CommandOutcome,
    History,
    RegressionResult,
    Status,
    Verdict,
    WindowResult,
)
from greengate.verdict_file.verdict_json import verdict_schema

#: pinned so golden files do not change with each release
TOOL_VERSION = "0.1.0"
T0 = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=timezone.utc)


def no_counter(scope: object) -> EnergySource | None:
    """A machine without CPU energy counters (most VMs)."""
    return None


def no_gpu(scope: Scope) -> EnergySource | None:
    """A machine without a GPU."""
    return None


#: Where a test's energy session reads DMI identity files: a path that holds none, so no cloud
#: VM profile is detected whatever machine runs the tests (GREENGATE_DMI_DIR, which a test's
#: own ``env`` may set to a directory of its own).
NO_DMI = os.devnull


def make_parts(
    env: Mapping[str, str] | None = None,
    *,
    detector: Any = None,
    cpu_counter: CpuCounter = no_counter,
    gpu_counter: GpuCounter = no_gpu,
    intensity: IntensityProvider | None = None,
    ledger: Callable[[str], Ledger] = open_ledger,
    clock: Clock | None = None,
) -> GateParts:
    """The gate's outside world for a test: the real estimate from the seeded hardware cache
    (or ``detector``), no DMI identity (NO_DMI) and no counters unless handed some, offline
    grid data, the real ledger."""

    def energy(policy: Policy) -> RunEnergy:
        return EnergySession(
            policy.energy,
            {"GREENGATE_DMI_DIR": NO_DMI, **(env or {})},
            detector if detector is not None else HardwareDetector(cache_dir()),
            policy.defaults.pue,
            cpu_counter=cpu_counter,
            gpu_counter=gpu_counter,
        )

    return GateParts(
        energy=energy,
        intensity=intensity or OfflineIntensity(),
        ledger=ledger,
        clock=clock or (lambda: datetime.now(timezone.utc)),
    )


def make_context(**overrides: Any) -> RunContext:
    """A GitHub Actions pull-request context."""
    fields: dict[str, Any] = {
        "job": "unit-tests",
        "branch": "feature/faster-tests",
        "commit": "3f2c9e1a7b5d4c6e8f0a1b2c3d4e5f6a7b8c9d0e",
        "ci_provider": "github",
        "base_branch": "main",
        "repository": "acme/widgets",
        "workflow": "CI",
        "run_id": "9876543210",
        "run_attempt": "1",
    }
    return RunContext(**{**fields, **overrides})


def make_usage(**overrides: Any) -> TreeUsage:
    """A 95-second test run that kept about 1.3 cores busy."""
    fields: dict[str, Any] = {
        "wall_seconds": 95.4,
        "user_seconds": 112.25,
        "system_seconds": 11.5,
        "processes": 17,
        "lingering": 1,
        "peak_rss_bytes": 1_288_490_189,
        "mean_rss_bytes": 734_003_200.0,
    }
    return TreeUsage(**{**fields, **overrides})


def make_measurement(**overrides: Any) -> Measurement:
    """A ``greengate run`` measurement: CPU and memory, French grid, PUE 1.1."""
    fields: dict[str, Any] = {
        "components": (
            ComponentEnergy(
                Component.CPU,
                0.0016,
                "cpu-seconds-x-thread-power",
                "123.75 CPU-s x 46.5 W per thread",
            ),
            ComponentEnergy(
                Component.MEMORY,
                0.0002,
                "rss-x-power-per-gb",
                "0.68 GiB mean RSS x 0.392 W/GB for 95.4 s",
            ),
        ),
        "pue": 1.1,
        "intensity": GridIntensity(
            56.0, "codecarbon bundled data (Our World in Data)", "FRA", 2023
        ),
        "usage": make_usage(),
        "source": "greengate run",
        "notes": (),
    }
    return Measurement(**{**fields, **overrides})


def make_csv_measurement(**overrides: Any) -> Measurement:
    """A measurement as ``read_measurement`` returns it for a codecarbon emissions.csv."""
    fields: dict[str, Any] = {
        "components": (
            ComponentEnergy(Component.CPU, 0.004, "codecarbon emissions.csv", "cpu_energy"),
            ComponentEnergy(Component.MEMORY, 0.001, "codecarbon emissions.csv", "ram_energy"),
        ),
        "pue": 1.0,
        "intensity": GridIntensity(380.0, "codecarbon emissions.csv", "DEU", None),
        "usage": None,
        "source": "codecarbon emissions.csv",
    }
    return Measurement(**{**fields, **overrides})


def make_rule(**overrides: Any) -> Budget:
    """The rule ``unit-tests`` at line 12 of greengate.yml: 1 g CO2e and 3 Wh."""
    fields: dict[str, Any] = {
        "index": 1,
        "line": 12,
        "name": "unit-tests",
        "jobs": ("unit-*",),
        "branches": (),
        "max_emissions_kg": 0.001,
        "max_energy_kwh": 0.003,
    }
    return Budget(**{**fields, **overrides})


def make_policy(
    *budgets: Budget, mode: Mode = Mode.ENFORCE, ledger_failure: LedgerFailure = LedgerFailure.WARN
) -> Policy:
    """A policy file ``greengate.yml`` holding ``budgets``."""
    defaults = Defaults(grid=GridSetting(country="FRA"), pue=1.1, warn_at=0.8, mode=mode)
    return Policy(
        path="greengate.yml",
        version=1,
        defaults=defaults,
        budgets=budgets,
        ledger_failure=ledger_failure,
    )


def make_command(**overrides: Any) -> CommandOutcome:
    """``pytest -q tests`` that succeeded after 95.4 s."""
    fields: dict[str, Any] = {
        "argv": ("pytest", "-q", "tests"),
        "exit_code": 0,
        "signal": None,
        "interrupted": False,
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=95.4),
    }
    return CommandOutcome(**{**fields, **overrides})


def make_verdict(
    *,
    measurement: Measurement | None = None,
    rule: Budget | None = None,
    mode: Mode = Mode.ENFORCE,
    context: RunContext | None = None,
    command: CommandOutcome | None = None,
    history: HistoryFacts | LedgerUnavailable | None = None,
    ledger_failure: LedgerFailure = LedgerFailure.WARN,
    failure: str | None = None,
    no_rule: bool = False,
    no_command: bool = False,
) -> Verdict:
    """A verdict as the judge gives it, with the tool version pinned."""
    rule = None if no_rule else rule or make_rule()
    verdict = judge(
        policy=make_policy(*((rule,) if rule else ()), mode=mode, ledger_failure=ledger_failure),
        rule=rule,
        context=context or make_context(),
        measurement=measurement or make_measurement(),
        command=None if no_command else command or make_command(),
        failure=failure,
        history=history,
    )
    return dataclasses.replace(verdict, tool_version=TOOL_VERSION)


def recorded(
    verdict: Verdict, location: str, now: datetime, policy: Policy | None = None
) -> Verdict:
    """The verdict's run judged again as the gate's history step does: the ledger at
    ``location`` asked, the run judged with its answers and stored."""
    measurement = verdict.measurement
    assert measurement is not None
    p = policy or make_policy(*((verdict.rule,) if verdict.rule else ()))

    def decide(history: HistoryFacts | LedgerUnavailable | None) -> Verdict:
        return judge(
            policy=p,
            rule=verdict.rule,
            context=verdict.context,
            measurement=measurement,
            command=verdict.command,
            history=history,
        )

    asked = questions(p, verdict.context, now)
    result = judge_and_record(decide, asked, location, open_ledger, now)
    return dataclasses.replace(result, tool_version=TOOL_VERSION)


def passing_verdict() -> Verdict:
    """Well within both limits (emissions 11 %, energy 66 %)."""
    return make_verdict()


def warning_verdict() -> Verdict:
    """Energy at 88 % of its limit: WARN in enforce mode."""
    return make_verdict(rule=make_rule(max_energy_kwh=0.00225))


def failing_verdict() -> Verdict:
    """Over the emissions limit on a dirtier grid, and the command failed too."""
    return make_verdict(
        measurement=make_measurement(
            intensity=GridIntensity(
                820.0, "codecarbon bundled data (Our World in Data)", "POL", 2023
            ),
            notes=("CPU model not found in codecarbon's table; assumed 4 W per thread",),
        ),
        command=make_command(exit_code=1),
    )


def warn_mode_verdict() -> Verdict:
    """Over budget under ``mode: warn``: reported as WARN, not enforced."""
    return make_verdict(
        rule=make_rule(max_emissions_kg=0.0001, mode=Mode.WARN),
        mode=Mode.WARN,
    )


#: A ledger another job holds locked, as the SQLite backend words it.
LOCKED_LEDGER = LedgerUnavailable(
    "/ci/ledger.db", "ledger /ci/ledger.db: append: database is locked"
)


def error_verdict() -> Verdict:
    """Within budget, but the ledger could not be used under ``ledger_failure: fail``: ERROR,
    the only ERROR greengate produces."""
    return make_verdict(history=LOCKED_LEDGER, ledger_failure=LedgerFailure.FAIL)


def job_error_verdict() -> Verdict:
    """``greengate stop`` of a job whose sampler was killed: what it measured until then is
    kept, within budget, and the verdict is an ERROR, the other one greengate produces."""
    return make_verdict(
        failure="the sampler stopped at 09:28:28 UTC (it was killed): measured until then",
        no_command=True,
    )


def grid_error_verdict() -> Verdict:
    """A live grid provider that failed under ``grid.fallback: error``: the bundled figure is
    kept, within budget, and the verdict is an ERROR, the third one greengate produces."""
    reason = "timeout: no answer within 5 s"
    live = LiveIntensity("electricitymaps", "FR", "average", fallback_reason=reason)
    intensity = dataclasses.replace(make_measurement().intensity, live=live)
    return make_verdict(
        measurement=make_measurement(intensity=intensity),
        failure=(
            f"live grid intensity from electricitymaps failed ({reason}); grid.fallback is "
            "error (set it to bundled to charge the yearly figure instead)"
        ),
    )


def ledger_fail_verdict() -> Verdict:
    """Over budget and the ledger could not be used under ``ledger_failure: fail``: the
    measured overrun is a FAIL, with the ledger's problem as a further reason."""
    return make_verdict(
        measurement=make_measurement(
            intensity=GridIntensity(
                820.0, "codecarbon bundled data (Our World in Data)", "POL", 2023
            ),
        ),
        history=LOCKED_LEDGER,
        ledger_failure=LedgerFailure.FAIL,
    )


def unmatched_verdict() -> Verdict:
    """No budget rule matches the job: PASS with nothing to gate, no policy file."""
    return dataclasses.replace(make_verdict(no_rule=True), policy_path=None)


def check_verdict() -> Verdict:
    """``greengate check`` of a codecarbon CSV: no command, no usage."""
    return make_verdict(
        measurement=make_csv_measurement(),
        rule=make_rule(max_energy_kwh=None, max_emissions_kg=0.005),
        no_command=True,
        context=make_context(ci_provider=None, job="nightly", branch="main"),
    )


def stopped_verdict() -> Verdict:
    """Stopped at its rule's energy limit (stop_at_limit): SIGTERM, exit 143, a fail."""
    from greengate.process.outcome import LimitStop

    stop = LimitStop("energy", 0.0104, 0.01, 0.0097, "rule 'train'", 15, 3600.5)
    return make_verdict(
        command=make_command(
            exit_code=143, signal=15, ended_at=T0 + timedelta(seconds=3601), stop=stop
        )
    )


def all_verdicts() -> dict[str, Verdict]:
    """Every sample verdict by name; golden files are named after these keys."""
    return {
        "pass": passing_verdict(),
        "warn": warning_verdict(),
        "fail": failing_verdict(),
        "warn_mode": warn_mode_verdict(),
        "error": error_verdict(),
        "ledger_fail": ledger_fail_verdict(),
        "job_error": job_error_verdict(),
        "grid_error": grid_error_verdict(),
        "unmatched": unmatched_verdict(),
        "check": check_verdict(),
    }


def assert_valid_verdict(data: Mapping[str, Any]) -> None:
    """Fail the test if ``data`` does not validate against the verdict schema."""
    validator = jsonschema.Draft202012Validator(verdict_schema())
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(data)]
    assert not errors, "verdict does not match the schema:\n" + "\n".join(errors)


GOLDEN = Path(__file__).parent / "golden"


def assert_golden(relative: str, actual: str) -> None:
    """Compare ``actual`` exactly with ``tests/golden/<relative>``.

    Run with ``GREENGATE_UPDATE_GOLDEN=1`` to rewrite the file, then review the diff.
    """
    path = GOLDEN / relative
    if os.environ.get("GREENGATE_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), f"no golden file {path}; create it with GREENGATE_UPDATE_GOLDEN=1"
    with open(path, encoding="utf-8", newline="") as f:
        expected = f.read()
    assert actual == expected, f"output differs from {path}"


def history_verdict() -> Verdict:
    """A run charged to two windows (one over), 12 % above main's median, and a rerun."""
    verdict = passing_verdict()
    m = verdict.measurement
    assert m is not None
    since = datetime(2025, 3, 1, tzinfo=timezone.utc)
    windows = (
        WindowResult("team budget", "feature/faster-tests", since, "emissions",
                     12.1, 0.4, 50.0, Status.PASS),
        WindowResult("feature/* per 30 days", "feature/faster-tests", since, "energy",
                     99.5, m.energy_kwh, 99.5, Status.FAIL),
    )  # fmt: skip
    regression = RegressionResult(
        "unit-tests", "main", 10, 5, m.energy_kwh, m.energy_kwh / 1.12, 0.1 * m.energy_kwh / 1.12,
        Status.FAIL,
    )  # fmt: skip
    history = History("/ci/ledger.db", 42, True, windows, regression)
    return dataclasses.replace(
        verdict,
        status=Status.FAIL,
        reasons=(
            "window 'feature/* per 30 days' on feature/faster-tests: 99.5 kWh spent + 1.98 Wh "
            "this run is over 99.5 kWh (0 Wh left since 2025-03-01)",
            *verdict.reasons,
        ),
        history=history,
    )
