"""A run's energy end to end: tiers chosen, scope, embodied/SCI, bands, timeline, --unit."""

from __future__ import annotations

import gc
import io
import json
import os
import sys
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult
from factories import (
    assert_valid_verdict,
    make_measurement,
    make_policy,
    make_rule,
    make_verdict,
)

from greengate.energy.estimate import GB, profile_model, tdp_model
from greengate.energy.meter import TIMELINE_BUCKETS, Meter
from greengate.energy.procstat import MachineCpu, read_machine_cpu
from greengate.energy.profiles import profile_by_name
from greengate.energy.runner_detection import ProfileChoice
from greengate.energy.session import choose_scope
from greengate.gate.judge import judge
from greengate.measurement import (
    Component,
    ComponentEnergy,
    Embodied,
    FunctionalUnit,
    Measurement,
    PowerTimeline,
    Scope,
    Tier,
)
from greengate.policy.model import Budget
from greengate.reporters.console import ConsoleReporter
from greengate.reporters.interface import ReportTarget
from greengate.reporters.markdown import verdict_markdown
from greengate.verdict import Status, Verdict
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict

PY = sys.executable
GITHUB = profile_by_name("github-linux-4vcpu", 4)

# --- /proc/stat ------------------------------------------------------------------------------


def test_machine_cpu_reads_the_aggregate_line(tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n")
    cpu = read_machine_cpu(str(stat))
    assert cpu is not None
    ticks = 100.0  # the kernel's USER_HZ on Linux
    assert cpu.busy_seconds == pytest.approx(150 / ticks)
    assert cpu.total_seconds == pytest.approx(1000 / ticks)
    assert (cpu - MachineCpu(0.0, 0.0)).utilisation == pytest.approx(0.15)


@pytest.mark.parametrize("text", ["", "intr 1 2 3\n", "cpu x y z w\n"])
def test_an_unreadable_proc_stat_is_none(tmp_path: Path, text: str) -> None:
    stat = tmp_path / "stat"
    stat.write_text(text)
    assert read_machine_cpu(str(stat)) is None
    assert read_machine_cpu(str(tmp_path / "missing")) is None


# --- the meter: machine scope on the curve, and a bounded timeline ---------------------------


def test_machine_scope_integrates_the_curve_per_interval() -> None:
    model = profile_model(GITHUB)
    meter = Meter(MachineCpu(0.0, 0.0), model)
    # 10 s at 50 % of 4 vCPUs, then 10 s idle: the curve is concave, so this is not P(25 %).
    meter.observe(10.0, 20.0, 0, MachineCpu(20.0, 40.0))
    run = meter.finish(20.0, 20.0, MachineCpu(20.0, 80.0))
    expected = model.curve.watts(0.5) * 10 + model.curve.watts(0.0) * 10
    assert run.machine_joules(model, 20.0) == pytest.approx(expected)
    assert run.machine_joules(model, 20.0) != pytest.approx(model.curve.watts(0.25) * 20)


def test_without_a_profile_machine_scope_uses_the_runs_mean_utilisation() -> None:
    from conftest import FAKE_HARDWARE

    model = tdp_model(FAKE_HARDWARE)
    meter = Meter(MachineCpu(0.0, 0.0), None)  # the TDP model is only known at the end
    run = meter.finish(10.0, 5.0, MachineCpu(5.0, 20.0))
    # A linear curve: the mean utilisation gives the exact integral.
    assert run.machine_joules(model, 10.0) == pytest.approx(model.curve.watts(0.25) * 10)


def test_no_proc_stat_means_no_machine_figure() -> None:
    meter = Meter(None, None)
    run = meter.finish(10.0, 5.0, None)
    assert run.machine_joules(profile_model(GITHUB), 10.0) is None


def test_the_timeline_stays_bounded_and_keeps_the_mean_power() -> None:
    """Ten hours sampled every second: at most 60 buckets, memory flat, power preserved."""
    model = profile_model(GITHUB)
    meter = Meter(MachineCpu(0.0, 0.0), model)
    tracemalloc.start()
    for t in range(1, 36001):
        busy = 4.0 * t * 0.5  # 50 % of 4 vCPUs all along
        meter.observe(float(t), t * 2.0, 0, MachineCpu(busy, 4.0 * t))
        if t == 3600:
            gc.collect()
            at_one_hour = tracemalloc.get_traced_memory()[0]
    gc.collect()
    at_ten_hours = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    run = meter.finish(36000.0, 72000.0, MachineCpu(72000.0, 144000.0))
    timeline = run.timeline(model, Scope.MACHINE, 0.0, memory_counted=False)
    assert len(timeline.watts) <= TIMELINE_BUCKETS
    assert timeline.interval_s * len(timeline.watts) >= 36000
    assert all(w == pytest.approx(model.curve.watts(0.5), rel=1e-3) for w in timeline.watts)
    assert at_ten_hours - at_one_hour < 4096  # no per-sample growth


def test_the_meter_takes_samples_from_another_thread() -> None:
    meter = Meter(MachineCpu(0.0, 0.0), None)
    threads = [
        threading.Thread(
            target=lambda k=k: [
                meter.observe(k * 100 + i * 0.1, 0.0, 0, None) for i in range(1, 500)
            ]
        )
        for k in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run = meter.finish(1000.0, 0.0, None)
    assert len(run.buckets[1]) <= TIMELINE_BUCKETS


# --- scope --------------------------------------------------------------------------------


def test_a_detected_hosted_runner_is_charged_for_the_whole_vm() -> None:
    hosted = ProfileChoice(GITHUB, "GitHub-hosted runner")
    assert choose_scope(None, hosted, configured=False) is Scope.MACHINE
    # Named in the policy (a self-hosted fleet on the same hardware, say): the tree's share.
    assert choose_scope(None, hosted, configured=True) is Scope.PROCESS
    assert choose_scope(None, ProfileChoice(None, "nothing fits"), configured=False) is (
        Scope.PROCESS
    )
    assert choose_scope(Scope.MACHINE, ProfileChoice(None, "x"), configured=False) is (
        Scope.MACHINE
    )
    cloud = ProfileChoice(profile_by_name("aws", 4), "DMI says Amazon EC2")
    assert choose_scope(None, cloud, configured=False) is Scope.PROCESS


# --- bands, embodied and SCI in the measurement and the judge ------------------------------


def banded(**overrides: Any) -> Any:
    cpu = ComponentEnergy(Component.CPU, 0.010, "profile-curve:x", "d", Tier.PROFILE, 0.008, 0.0125)
    memory = ComponentEnergy(
        Component.MEMORY, 0.002, "rss-x-watts-per-gb", "d", Tier.COEFFICIENT, 0.001, 0.004
    )
    embodied = Embodied(36.0, 4.0, 1e-6, 1.0, "profile x")
    fields: dict[str, Any] = {
        "components": (cpu, memory),
        "pue": 1.0,
        "scope": Scope.MACHINE,
        "profile": "github-linux-4vcpu",
        "embodied": embodied,
        "timeline": PowerTimeline(2.0, (1.0, 4.0, 8.0, 2.0)),
    }
    return make_measurement(**{**fields, **overrides})


def test_the_band_is_the_sum_of_the_components_bands_times_pue() -> None:
    m = banded(pue=1.2)
    assert m.energy_low_kwh == pytest.approx((0.008 + 0.001) * 1.2)
    assert m.energy_high_kwh == pytest.approx((0.0125 + 0.004) * 1.2)
    g = m.intensity.g_per_kwh / 1000
    assert m.emissions_low_kg == pytest.approx(m.energy_low_kwh * g)


def test_embodied_counts_in_budgets_only_when_the_policy_says_so() -> None:
    m = banded()
    assert m.embodied_kg == pytest.approx(36.0 * 1e-6)
    assert m.emissions_kg == pytest.approx(m.operational_kg)
    counted = banded(include_embodied=True)
    assert counted.emissions_kg == pytest.approx(m.operational_kg + 36e-6)
    assert counted.emissions_high_kg > m.emissions_high_kg


def test_sci_is_e_times_i_plus_m_per_functional_unit() -> None:
    m = banded(functional_unit=FunctionalUnit("tests", 412))
    e_times_i = m.energy_kwh * m.intensity.g_per_kwh
    assert m.sci_g == pytest.approx(e_times_i + 36e-6 * 1000)
    assert m.sci_per_unit_g == pytest.approx(m.sci_g / 412)
    assert banded().sci_per_unit_g is None


def decide(rule: Budget, m: Measurement) -> Verdict:
    """The judge's verdict on ``m`` under a policy of just ``rule``."""
    return judge(
        policy=make_policy(rule),
        rule=rule,
        context=make_verdict().context,
        measurement=m,
        command=None,
    )


def test_a_band_straddling_the_limit_is_said_and_the_central_figure_decides() -> None:
    m = banded()
    rule = make_rule(max_energy_kwh=0.0125, max_emissions_kg=None)  # central 0.012 < limit
    v = judge(
        policy=make_policy(rule),
        rule=rule,
        context=make_verdict().context,
        measurement=m,
        command=None,
    )
    (check,) = v.checks
    assert check.straddles
    assert v.status is Status.WARN  # 96 % of the limit, under it: warn, not fail
    assert "straddles the limit" in v.reasons[0]
    clear = make_rule(max_energy_kwh=1.0, max_emissions_kg=None)
    v2 = judge(
        policy=make_policy(clear), rule=clear, context=v.context, measurement=m, command=None
    )
    assert not v2.checks[0].straddles
    assert "straddles" not in v2.reasons[0]


def test_the_new_fields_round_trip_through_the_verdict_file() -> None:
    m = banded(functional_unit=FunctionalUnit("samples", 5e4), include_embodied=True)
    rule = make_rule(max_energy_kwh=0.0125, max_emissions_kg=None)
    v = judge(
        policy=make_policy(rule),
        rule=rule,
        context=make_verdict().context,
        measurement=m,
        command=None,
    )
    data = verdict_to_dict(v)
    assert_valid_verdict(data)
    assert data["schema_version"] == "1.2"
    assert data["limits"][0]["straddles"] is True
    assert data["measurement"]["sci"]["per_unit_g"] == pytest.approx(m.sci_per_unit_g)
    assert data["measurement"]["components"][0]["tier"] == "profile"
    assert verdict_from_dict(json.loads(json.dumps(data))) == v


def test_the_summaries_show_band_method_carbon_and_the_power_sparkline() -> None:
    m = banded(functional_unit=FunctionalUnit("tests", 412))
    rule = make_rule(max_energy_kwh=0.0125, max_emissions_kg=None)
    v = judge(
        policy=make_policy(rule),
        rule=rule,
        context=make_verdict().context,
        measurement=m,
        command=None,
    )
    md = verdict_markdown(v)
    assert "| Power | `▂▅█▃` peak 8 W, 2 s per step |" in md, md
    assert (
        "| Method | machine scope (the whole machine while it ran, idle power and other work "
        "included; greengate run in process scope charges the command's share, so it reads "
        "less), profile github-linux-4vcpu; cpu by runner profile" in md
    )
    assert "range 9 Wh to 16.5 Wh" in md
    assert "per test" in md
    assert "(band straddles the limit)" in md

    err = io.StringIO()
    ConsoleReporter(ReportTarget(io.StringIO(), err, {"NO_COLOR": "1"}), width=100).report(v)
    out = err.getvalue()
    assert "range 9 Wh to 16.5 Wh" in out
    assert "uncertainty band straddles the limit" in out
    method = " ".join(out[out.index("method    ") :].split())
    assert method.startswith("method machine scope (the whole machine while it ran,")
    assert "so it reads less), profile github-linux-4vcpu; cpu by runner profile" in method


# --- the real CLI -------------------------------------------------------------------------

POLICY = """\
version: 1
defaults:
  intensity: 100 g/kWh
energy:
  profile: github-linux-4vcpu
  scope: {scope}
budgets:
  - max_energy: 1 kWh
"""


def verdict_of(result: CliResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((result.cwd / "greengate-verdict.json").read_text())
    assert_valid_verdict(data)
    return data


@pytest.mark.parametrize("scope", ["process", "machine"])
def test_a_policy_profile_is_the_cpu_tier_and_its_memory_is_inside_the_curve(
    greengate: Any, tmp_path: Path, scope: str
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY.format(scope=scope))
    result = greengate("run", "--quiet", "--", PY, "-c", "sum(range(3 * 10**6))")
    assert result.returncode == 0, result.stderr
    m = verdict_of(result)["measurement"]
    cpu, memory = m["components"][:2]
    assert (cpu["tier"], m["profile"], m["scope"]) == ("profile", "github-linux-4vcpu", scope)
    assert memory["method"] == "included-in-profile" and memory["kwh"] == 0
    assert cpu["low_kwh"] < cpu["kwh"] < cpu["high_kwh"]
    assert m["pue"] == pytest.approx(1.185)  # the profile's provider (Azure), none in the policy
    # The named 4-vCPU profile, scaled to the vCPUs here: 9.0 kg per vCPU.
    assert m["embodied"]["total_kg"] == pytest.approx(1151.7 / 128 * (os.cpu_count() or 1))
    assert m["timeline"]["watts"] and len(m["timeline"]["watts"]) <= 60
    if scope == "machine":
        # The whole VM for the run, idle included: at least its idle power for the wall time.
        scaled = GITHUB.scaled(os.cpu_count() or 1)
        idle_kwh = scaled.curve.idle_watts * m["usage"]["wall_s"] / 3.6e6
        assert cpu["kwh"] >= idle_kwh * 0.99
        assert m["embodied"]["resource_share"] == 1.0


def test_unit_gives_sci_per_unit(greengate: Any, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY.format(scope="process"))
    result = greengate("run", "--quiet", "--unit", "tests=412", "--", PY, "-c", "pass")
    assert result.returncode == 0, result.stderr
    sci = verdict_of(result)["measurement"]["sci"]
    assert sci["unit"] == {"name": "tests", "count": 412}
    assert sci["per_unit_g"] == pytest.approx(sci["sci_g"] / 412)


@pytest.mark.parametrize("bad", ["tests", "tests=0", "tests=-3", "=4", "tests=many", "t=nan"])
def test_a_bad_unit_is_a_usage_error_and_the_command_does_not_run(
    greengate: Any, tmp_path: Path, bad: str
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY.format(scope="process"))
    result = greengate("run", "--unit", bad, "--", PY, "-c", "open('ran', 'w')")
    assert result.returncode == 2
    assert "NAME=COUNT" in result.stderr or "positive number" in result.stderr
    assert not (tmp_path / "ran").exists()


def test_machine_scope_memory_is_the_machines_ram_as_psutil_counts_it(
    greengate: Any, tmp_path: Path
) -> None:
    # With a profile there is no hardware detection: the RAM total comes from sysconf, and
    # must be the figure psutil reads from /proc/meminfo (MemTotal) without costing psutil.
    import psutil

    (tmp_path / "greengate.yml").write_text(CUSTOM_MACHINE_POLICY)
    result = greengate("run", "--quiet", "--", PY, "-c", "pass")
    assert result.returncode == 0, result.stderr
    memory = verdict_of(result)["measurement"]["components"][1]
    assert memory["method"] == "ram-x-watts-per-gb"
    assert memory["coefficients"]["gb"] == pytest.approx(psutil.virtual_memory().total / GB)


CUSTOM_MACHINE_POLICY = """\
version: 1
defaults:
  intensity: 100 g/kWh
energy:
  profile:
    idle_watts_per_vcpu: 0.74
    max_watts_per_vcpu: 3.5
  scope: machine
budgets:
  - max_energy: 1 kWh
"""
