"""The gate's core without the CLI: prepare (policy, context, grid), run_command, check.

``run_command`` runs real, short commands; the hardware comes from the seeded cache
(``conftest.FAKE_HARDWARE``), so every energy figure is derived from that and the usage.
"""

from __future__ import annotations

import dataclasses
import sys
import textwrap
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import FAKE_HARDWARE, seed_hardware_cache
from factories import T0, assert_valid_verdict, make_csv_measurement, make_parts

from greengate.energy.hardware import Hardware, HardwareDetectionError
from greengate.energy.interface import CounterError, EnergySource
from greengate.errors import GreengateError, PolicyError, UsageError
from greengate.gate.flow import GateSettings, Prepared, check_measurement, prepare, run_command
from greengate.gate.parts import GateParts
from greengate.gate.progress import Progress
from greengate.intensity.interface import IntensityProvider
from greengate.intensity.offline import OfflineIntensity, world_average
from greengate.measurement import (
    JOULES_PER_KWH,
    Component,
    ComponentEnergy,
    GridIntensity,
    PowerTimeline,
    Scope,
    Tier,
    TreeUsage,
)
from greengate.policy.model import GridSetting
from greengate.units import format_intensity
from greengate.verdict import Status
from greengate.verdict_file.verdict_json import verdict_to_dict

PY = sys.executable


def write_policy(tmp_path: Path, defaults: str = "", budgets: str | None = None) -> str:
    """Write ``greengate.yml`` in ``tmp_path``; returns its path."""
    budgets = budgets or "  - name: everything\n    max_emissions: 1 kg\n"
    text = "version: 1\n"
    if defaults:
        text += "defaults:\n" + textwrap.indent(textwrap.dedent(defaults), "  ")
    text += "budgets:\n" + budgets
    path = tmp_path / "greengate.yml"
    path.write_text(text)
    return str(path)


def prepared_for(
    tmp_path: Path,
    defaults: str = "",
    env: dict[str, str] | None = None,
    parts: GateParts | None = None,
    **kw: Any,
) -> tuple[GateSettings, Prepared]:
    settings = GateSettings(policy=write_policy(tmp_path, defaults), **kw)
    return settings, prepare(settings, env or {}, parts or make_parts(), cwd=str(tmp_path))


def charged(prepared: Prepared) -> GridIntensity:
    """The intensity the prepared run is charged at, from the provider it was handed."""
    return prepared.parts.intensity.intensity(prepared.grid, T0, T0)


def offline(**setting: Any) -> float:
    return OfflineIntensity().lookup(GridSetting(**setting)).g_per_kwh


# --- the grid: --intensity > --country > policy intensity > policy country/region > world ----

BOTH = "country: DEU\nintensity: 300 g/kWh\n"


def test_intensity_option_wins_over_everything(tmp_path: Path) -> None:
    _, prepared = prepared_for(tmp_path, BOTH, intensity=123.0, country="FRA")
    assert charged(prepared).g_per_kwh == 123.0


def test_country_option_wins_over_the_policy(tmp_path: Path) -> None:
    _, prepared = prepared_for(tmp_path, BOTH, country="fra")
    assert (charged(prepared).g_per_kwh, charged(prepared).zone) == (
        offline(country="FRA"),
        "FRA",
    )


def test_policy_intensity_wins_over_its_country(tmp_path: Path) -> None:
    _, prepared = prepared_for(tmp_path, BOTH)
    assert charged(prepared).g_per_kwh == 300.0


def test_policy_country(tmp_path: Path) -> None:
    _, prepared = prepared_for(tmp_path, "country: DEU\n")
    assert charged(prepared).g_per_kwh == offline(country="DEU")


def test_policy_region(tmp_path: Path) -> None:
    _, prepared = prepared_for(tmp_path, "country: USA\nregion: california\n")
    assert charged(prepared).g_per_kwh == offline(country="USA", region="california")
    assert charged(prepared).zone == "USA/california"


def test_no_grid_is_the_world_average_with_a_note(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path)
    assert charged(prepared) == world_average()
    m = run_command([PY, "-c", "pass"], settings, prepared).verdict.measurement
    assert m is not None and m.intensity == world_average()
    (note,) = [n for n in m.notes if "no grid configured" in n]
    assert f"of {format_intensity(world_average().g_per_kwh)};" in note


def test_a_configured_grid_gets_no_note(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path, BOTH, intensity=123.0)
    m = run_command([PY, "-c", "pass"], settings, prepared).verdict.measurement
    assert m is not None and not any("grid" in n for n in m.notes)


class SpanRecorder(IntensityProvider):
    """A provider that says which span it was asked about."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []

    def check(self, setting: GridSetting) -> None:
        self.calls.append(("check", setting))

    def begin(self, setting: GridSetting, start: datetime) -> None:
        self.calls.append(("begin", start))

    def intensity(
        self,
        setting: GridSetting,
        start: datetime,
        end: datetime,
        timeline: PowerTimeline | None = None,
    ) -> GridIntensity:
        self.calls.append(("intensity", (start, end)))
        return GridIntensity(250.0, "recorded", "ZZZ")


def test_the_intensity_provider_is_consulted_with_the_runs_span(tmp_path: Path) -> None:
    provider = SpanRecorder()
    parts = make_parts(intensity=provider)
    settings, prepared = prepared_for(tmp_path, "country: FRA\n", parts=parts)
    assert provider.calls == [("check", GridSetting(country="FRA"))]
    result = run_command([PY, "-c", "import time; time.sleep(0.2)"], settings, prepared)
    kinds = [kind for kind, _ in provider.calls]
    assert kinds == ["check", "begin", "intensity"]
    assert result.verdict.command is not None
    started, ended = result.verdict.command.started_at, result.verdict.command.ended_at
    begun = provider.calls[1][1]
    assert isinstance(begun, datetime) and begun <= started
    assert provider.calls[2][1] == (started, ended)
    m = result.verdict.measurement
    assert m is not None and m.intensity == GridIntensity(250.0, "recorded", "ZZZ")
    assert m.emissions_kg == pytest.approx(m.energy_kwh * 250.0 / 1000)


@pytest.mark.parametrize("bad", [-1.0, 2000.5, 5000.0, float("nan")])
def test_an_impossible_intensity_option_is_refused(tmp_path: Path, bad: float) -> None:
    with pytest.raises(GreengateError) as info:
        prepared_for(tmp_path, intensity=bad)
    assert info.value.exit_code == 2


def test_an_unknown_country_option_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="XYZ"):
        prepared_for(tmp_path, country="xyz")


def test_an_unknown_policy_region_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="atlantis"):
        prepared_for(tmp_path, "country: USA\nregion: atlantis\n")


def test_a_missing_policy_is_a_policy_error(tmp_path: Path) -> None:
    settings = GateSettings(policy=str(tmp_path / "nope.yml"))
    with pytest.raises(PolicyError) as info:
        prepare(settings, {}, make_parts(), cwd=str(tmp_path))
    assert info.value.exit_code == 2


# --- context and rule ---------------------------------------------------------------------

RULES = """\
  - name: build on feature branches
    job: build
    branch: "feature/*"
    max_emissions: 1 g
  - name: build
    job: build
    max_emissions: 2 g
  - name: default
    max_emissions: 3 g
"""


def test_the_rule_follows_the_ci_context(tmp_path: Path) -> None:
    settings = GateSettings(policy=write_policy(tmp_path, budgets=RULES))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_JOB": "build", "GITHUB_HEAD_REF": "feature/x"}
    prepared = prepare(settings, env, make_parts(), cwd=str(tmp_path))
    assert prepared.rule is not None and prepared.rule.name == "build on feature branches"
    lines = Path(settings.policy).read_text().splitlines()
    assert lines[prepared.rule.line - 1] == "  - name: build on feature branches"
    assert (prepared.context.job, prepared.context.branch) == ("build", "feature/x")


def test_options_override_the_ci_context(tmp_path: Path) -> None:
    settings = GateSettings(policy=write_policy(tmp_path, budgets=RULES), branch="main")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_JOB": "build", "GITHUB_HEAD_REF": "feature/x"}
    prepared = prepare(settings, env, make_parts(), cwd=str(tmp_path))
    assert prepared.rule is not None and prepared.rule.name == "build"


# --- run_command --------------------------------------------------------------------------

BURN = "import time\ns = time.process_time()\nwhile time.process_time() - s < {}: pass\n"


def test_a_run_is_measured_from_its_usage_and_the_hardware(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path, "intensity: 400\npue: 1.5\n")
    result = run_command([PY, "-c", BURN.format(0.2)], settings, prepared)
    verdict, m = result.verdict, result.verdict.measurement
    assert m is not None and m.usage is not None
    assert m.usage.cpu_seconds >= 0.2
    cpu, memory = m.components
    assert cpu.component is Component.CPU and memory.component is Component.MEMORY
    assert cpu.kwh == pytest.approx(
        m.usage.cpu_seconds * FAKE_HARDWARE.watts_per_thread / JOULES_PER_KWH
    )
    assert memory.kwh > 0
    assert m.pue == 1.5 and m.energy_kwh == pytest.approx(1.5 * (cpu.kwh + memory.kwh))
    assert m.emissions_kg == pytest.approx(m.energy_kwh * 400 / 1000)
    assert (verdict.status, result.exit_code) == (Status.PASS, 0)
    assert verdict.command is not None
    assert verdict.command.argv == (PY, "-c", BURN.format(0.2))
    assert (verdict.command.exit_code, verdict.command.interrupted) == (0, False)
    assert_valid_verdict(verdict_to_dict(verdict))


def test_over_budget_exits_with_the_violation_code(tmp_path: Path) -> None:
    budgets = "  - max_emissions: 1e-12 g\n"
    settings = GateSettings(policy=write_policy(tmp_path, budgets=budgets), violation_exit_code=9)
    prepared = prepare(settings, {}, make_parts(), cwd=str(tmp_path))
    result = run_command([PY, "-c", "pass"], settings, prepared)
    assert (result.verdict.status, result.exit_code) == (Status.FAIL, 9)


def test_the_commands_failure_comes_before_the_budget(tmp_path: Path) -> None:
    budgets = "  - max_emissions: 1e-12 g\n"
    settings = GateSettings(policy=write_policy(tmp_path, budgets=budgets))
    prepared = prepare(settings, {}, make_parts(), cwd=str(tmp_path))
    result = run_command([PY, "-c", "raise SystemExit(5)"], settings, prepared)
    assert (result.verdict.status, result.exit_code) == (Status.FAIL, 5)


def test_a_command_not_found_is_127_with_a_note(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n")
    result = run_command(["greengate-test-no-such-command"], settings, prepared)
    assert result.exit_code == 127
    assert result.verdict.measurement is not None
    assert "the command did not start: command not found" in result.verdict.measurement.notes
    assert_valid_verdict(verdict_to_dict(result.verdict))


def test_failed_hardware_detection_falls_back_to_codecarbons_default_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FailingDetector:
        def start(self) -> None:
            pass

        def peek(self) -> None:
            return None

        def result(self) -> None:
            raise HardwareDetectionError("codecarbon crashed")

    parts = make_parts(detector=FailingDetector())
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n", parts=parts)
    result = run_command([PY, "-c", "pass"], settings, prepared)
    # The command's result is never lost to a detection failure: the lowest tier stands in.
    assert (result.verdict.status, result.exit_code) == (Status.PASS, 0)
    m = result.verdict.measurement
    assert m is not None
    cpu = m.component(Component.CPU)
    assert cpu is not None and cpu.tier is Tier.DEFAULT
    assert cpu.fallback is not None and "codecarbon crashed" in cpu.fallback
    assert any("codecarbon crashed" in note for note in m.notes)
    assert_valid_verdict(verdict_to_dict(result.verdict))


@pytest.mark.parametrize(("energy", "detects"), [("", True), ("energy:\n  profile: aws\n", False)])
def test_hardware_is_detected_only_when_no_profile_gives_the_power(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, energy: str, detects: bool
) -> None:
    started: list[bool] = []

    class RecordingDetector:
        def start(self) -> None:
            started.append(True)

        def peek(self) -> Hardware:
            return FAKE_HARDWARE

        def result(self) -> Hardware:
            assert started, "result() without start()"
            return FAKE_HARDWARE

    policy = tmp_path / "greengate.yml"
    policy.write_text(
        f"version: 1\ndefaults:\n  intensity: 100\n{energy}budgets:\n  - max_energy: 1\n"
    )
    settings = GateSettings(policy=str(policy))
    prepared = prepare(settings, {}, make_parts(detector=RecordingDetector()), cwd=str(tmp_path))
    result = run_command([PY, "-c", "pass"], settings, prepared)
    assert result.exit_code == 0
    # A profile's curve needs no codecarbon: its detection (1.6 s of CPU) would only load
    # the machine that machine scope measures.
    assert started == ([True] if detects else [])
    m = result.verdict.measurement
    assert m is not None and m.profile == (None if detects else "aws")


def test_a_virtual_machine_gets_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "vm-cache"
    seed_hardware_cache(cache, dataclasses.replace(FAKE_HARDWARE, virtualised=True))
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(cache))
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n")
    m = run_command([PY, "-c", "pass"], settings, prepared).verdict.measurement
    assert m is not None and any("virtual machine" in n for n in m.notes)


class FakeGpu(EnergySource):
    component = Component.GPU
    name = "fake NVML"

    def __init__(self, kwh: float | None) -> None:
        self.kwh = kwh
        self.begun = False

    def begin(self) -> None:
        self.begun = True

    def observe(self, pids: object) -> None:
        pass

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        assert self.begun, "begin() must come before the command"
        if self.kwh is None:
            return ComponentEnergy(Component.GPU, 0.0, "unavailable", "NVML said no")
        return ComponentEnergy(Component.GPU, self.kwh, "nvml-energy-counter", "fake")


def test_a_gpu_is_added_to_the_measurement(tmp_path: Path) -> None:
    parts = make_parts(gpu_counter=lambda scope: FakeGpu(0.25))
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n", parts=parts)
    m = run_command([PY, "-c", "pass"], settings, prepared).verdict.measurement
    assert m is not None
    assert [c.component for c in m.components] == [Component.CPU, Component.MEMORY, Component.GPU]
    gpu = m.component(Component.GPU)
    assert gpu is not None and gpu.kwh == 0.25


@pytest.mark.parametrize(
    "energy, scope", [("", Scope.PROCESS), ("energy:\n  scope: machine\n", Scope.MACHINE)]
)
def test_the_gpu_counter_is_built_for_the_runs_scope(
    tmp_path: Path, energy: str, scope: Scope
) -> None:
    asked: list[Scope] = []

    def counter(scope: Scope) -> FakeGpu:
        asked.append(scope)
        return FakeGpu(0.0)

    (tmp_path / "greengate.yml").write_text(
        f"version: 1\ndefaults:\n  intensity: 100\n{energy}budgets:\n  - max_emissions: 1 kg\n"
    )
    parts = make_parts(gpu_counter=counter)
    settings = GateSettings(policy=str(tmp_path / "greengate.yml"))
    run_command([PY, "-c", "pass"], settings, prepare(settings, {}, parts, cwd=str(tmp_path)))
    assert asked == [scope]


def test_an_unavailable_gpu_is_a_note_not_a_failure(tmp_path: Path) -> None:
    parts = make_parts(gpu_counter=lambda scope: FakeGpu(None))
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n", parts=parts)
    result = run_command([PY, "-c", "pass"], settings, prepared)
    assert result.verdict.status is Status.PASS
    assert result.verdict.measurement is not None
    assert "NVML said no" in result.verdict.measurement.notes


class FakeCpuCounter(EnergySource):
    component = Component.CPU
    name = "FAKE"

    def __init__(self, scope: Scope, broken: str | None = None) -> None:
        self.scope, self.broken, self.observed = scope, broken, 0

    def begin(self) -> None:
        if self.broken is not None:
            raise CounterError(self.broken)

    def observe(self, pids: object) -> None:
        self.observed += 1

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        return ComponentEnergy(Component.CPU, 0.125, "fake-counter", "fake", tier=Tier.COUNTER)


def test_a_cpu_counter_handed_in_is_the_cpus_figure(tmp_path: Path) -> None:
    built: list[FakeCpuCounter] = []

    def counter(scope: Scope) -> FakeCpuCounter:
        built.append(FakeCpuCounter(scope))
        return built[-1]

    parts = make_parts(cpu_counter=counter)
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n", parts=parts)
    m = run_command([PY, "-c", BURN.format(0.3)], settings, prepared).verdict.measurement
    assert m is not None
    cpu = m.component(Component.CPU)
    assert cpu is not None and (cpu.kwh, cpu.tier) == (0.125, Tier.COUNTER)
    (source,) = built
    assert source.scope is m.scope and source.observed > 0  # fed the sampler's readings


def test_an_unreadable_cpu_counter_falls_back_to_the_estimate_and_says_why(
    tmp_path: Path,
) -> None:
    parts = make_parts(cpu_counter=lambda scope: FakeCpuCounter(scope, broken="locked"))
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n", parts=parts)
    m = run_command([PY, "-c", "pass"], settings, prepared).verdict.measurement
    assert m is not None
    cpu = m.component(Component.CPU)
    assert cpu is not None and cpu.tier is Tier.TDP
    assert cpu.fallback == "FAKE counters unreadable: locked"


class RecordingSink:
    def __init__(self) -> None:
        self.updates: list[Progress] = []
        self.closed = 0

    def update(self, progress: Progress) -> None:
        self.updates.append(progress)

    def close(self) -> None:
        self.closed += 1


def test_progress_shows_cpu_energy_so_far(tmp_path: Path) -> None:
    sink = RecordingSink()
    settings, prepared = prepared_for(tmp_path, "intensity: 100\n")
    run_command([PY, "-c", BURN.format(0.5)], settings, prepared, sink)
    assert sink.closed == 1
    assert sink.updates, "samples come at 0.05 s, 0.15 s, 0.35 s..."
    for p in sink.updates:
        assert p.energy_kwh == pytest.approx(
            p.cpu_seconds * FAKE_HARDWARE.watts_per_thread / JOULES_PER_KWH
        )
    elapsed = [p.elapsed_seconds for p in sink.updates]
    assert elapsed == sorted(elapsed)


# --- check_measurement --------------------------------------------------------------------


def test_check_keeps_the_measurements_own_intensity_without_a_grid(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path)
    measurement = make_csv_measurement()
    result = check_measurement(measurement, settings, prepared)
    assert result.verdict.measurement == measurement
    assert result.verdict.command is None
    assert_valid_verdict(verdict_to_dict(result.verdict))


def test_check_applies_a_configured_grid(tmp_path: Path) -> None:
    settings, prepared = prepared_for(tmp_path, "country: FRA\n")
    measurement = make_csv_measurement()
    m = check_measurement(measurement, settings, prepared).verdict.measurement
    assert m is not None
    assert m.intensity == charged(prepared)
    assert m.emissions_kg == pytest.approx(measurement.energy_kwh * offline(country="FRA") / 1000)


def test_check_exit_codes_match_run(tmp_path: Path) -> None:
    measurement = make_csv_measurement()
    limit_g = measurement.emissions_kg * 1000
    for factor, status, code in [
        (2.0, Status.PASS, 0),
        (1.0, Status.WARN, 0),
        (0.5, Status.FAIL, 7),
    ]:
        budgets = f"  - max_emissions: {limit_g * factor!r} g\n"
        path = write_policy(tmp_path, budgets=budgets)
        settings = GateSettings(policy=path, violation_exit_code=7)
        prepared = prepare(settings, {}, make_parts(), str(tmp_path))
        result = check_measurement(measurement, settings, prepared)
        assert (result.verdict.status, result.exit_code) == (status, code), factor


def test_while_running_is_called_once_beside_a_running_command(tmp_path: Path) -> None:
    calls: list[tuple[str, datetime]] = []

    def warm_up() -> None:
        calls.append((threading.current_thread().name, datetime.now(timezone.utc)))

    settings, prepared = prepared_for(tmp_path, "intensity: 100\n")
    sleeper = [PY, "-c", "import time; time.sleep(1)"]
    result = run_command(sleeper, settings, prepared, while_running=warm_up)
    command = result.verdict.command
    assert command is not None
    (name, at), *more = calls
    assert more == [] and name == "greengate-warm-up"  # once, on a thread of its own
    assert command.started_at < at < command.ended_at  # while the command ran
