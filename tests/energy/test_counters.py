"""RAPL energy counters against a fake sysfs tree (NVML: test_gpu.py).

No test here needs real hardware or is skipped without it; the one test skipped as root
(chmod 000 means nothing to root) has a twin that fakes the PermissionError instead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from factories import make_usage

from greengate.energy.interface import CounterError
from greengate.energy.rapl import RaplCpu
from greengate.measurement import JOULES_PER_KWH, Component, Scope, Tier

TICKS = os.sysconf("SC_CLK_TCK")
MAX_UJ = 262_143_328_850  # a real max_energy_range_uj (Xeon), about 262 kJ

# --- RAPL through a fake /sys/class/powercap ----------------------------------------------


def zone(root: Path, name: str, label: str | None, uj: int, max_uj: int | None = MAX_UJ) -> Path:
    """One powercap zone directory, as the kernel lays it out."""
    path = root / name
    path.mkdir(parents=True, exist_ok=True)
    if label is not None:
        (path / "name").write_text(f"{label}\n")
    (path / "energy_uj").write_text(f"{uj}\n")
    if max_uj is not None:
        (path / "max_energy_range_uj").write_text(f"{max_uj}\n")
    return path


def set_uj(root: Path, name: str, uj: int) -> None:
    (root / name / "energy_uj").write_text(f"{uj}\n")


@pytest.fixture
def powercap(tmp_path: Path) -> Path:
    """Two packages with their sub-zones, psys and the MMIO view of package 0."""
    root = tmp_path / "powercap"
    (root / "intel-rapl").mkdir(parents=True)  # the control type itself: no counter
    zone(root, "intel-rapl:0", "package-0", 10_000_000)
    zone(root, "intel-rapl:0:0", "core", 5_000_000)
    zone(root, "intel-rapl:0:1", "dram", 7_000_000)
    zone(root, "intel-rapl:1", "package-1", 90_000_000)
    zone(root, "intel-rapl:1:0", "core", 1_000_000)
    zone(root, "intel-rapl:2", "psys", 3_000_000)  # the platform, package included
    zone(root, "intel-rapl-mmio:0", "package-0", 10_000_000)  # package 0 again
    return root


def write_stat(path: Path, busy_seconds: float, idle_seconds: float) -> None:
    """A /proc/stat whose aggregate line holds this busy and idle time."""
    busy, idle = round(busy_seconds * TICKS), round(idle_seconds * TICKS)
    path.write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 {busy} 0 0 {idle} 0 0 0 0 0 0\n")


def test_probe_finds_readable_package_counters(powercap: Path) -> None:
    assert RaplCpu.probe(powercap) is None


@pytest.mark.parametrize("make", [False, True], ids=["missing", "empty"])
def test_probe_without_rapl_says_why(tmp_path: Path, make: bool) -> None:
    root = tmp_path / "powercap"
    if make:
        (root / "intel-rapl:0:0").mkdir(parents=True)  # a sub-zone alone is no package
    assert RaplCpu.probe(root) == f"no RAPL domains under {root} (a VM or not Intel/AMD)"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file anyway")
def test_probe_on_a_root_only_counter_says_permission_denied(powercap: Path) -> None:
    (powercap / "intel-rapl:1" / "energy_uj").chmod(0)
    reason = RaplCpu.probe(powercap)
    assert reason is not None and reason.startswith("energy_uj is root-only: permission denied")


def test_probe_on_a_permission_error_says_so_even_as_root(
    powercap: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Path.read_text

    def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == "energy_uj":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    reason = RaplCpu.probe(powercap)
    assert reason is not None and reason.startswith("energy_uj is root-only: permission denied")
    assert "CVE-2020-8694" in reason


def test_probe_on_garbage_says_what_the_file_holds(powercap: Path) -> None:
    (powercap / "intel-rapl:0" / "energy_uj").write_text("n/a\n")
    assert RaplCpu.probe(powercap) == f"{powercap}/intel-rapl:0/energy_uj holds 'n/a', not a number"


def test_machine_scope_counts_both_packages_and_nothing_else(powercap: Path) -> None:
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 1_800_000_000)  # 1800 J
    set_uj(powercap, "intel-rapl:1", 90_000_000 + 1_800_000_000)
    for sub in ("intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:1:0", "intel-rapl:2"):
        set_uj(powercap, sub, 999_000_000_000)  # sub-zones and psys: never read
    set_uj(powercap, "intel-rapl-mmio:0", 999_000_000_000)
    energy = source.energy(make_usage())
    kwh = 3600 / JOULES_PER_KWH
    assert energy.component is Component.CPU
    assert energy.kwh == pytest.approx(kwh)
    assert (energy.low, energy.high) == (pytest.approx(kwh * 0.9), pytest.approx(kwh * 1.1))
    assert (energy.method, energy.tier, energy.fallback) == (
        "rapl-energy-counter",
        Tier.COUNTER,
        None,
    )
    assert energy.coefficients == (("package_joules", pytest.approx(3600.0)),)
    assert energy.detail == (
        "RAPL package counter(s) (package-0, package-1): 3600 J over the run, "
        "the whole package(s) (machine scope)"
    )


def test_a_counter_that_wrapped_is_counted_through_its_range(powercap: Path) -> None:
    set_uj(powercap, "intel-rapl:0", MAX_UJ - 1_000_000)  # 1 J before the wrap
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    set_uj(powercap, "intel-rapl:0", 4_000_000)  # wrapped, then 4 J more
    energy = source.energy(make_usage())
    assert energy.coefficients[0] == ("package_joules", pytest.approx(5.0))


def test_each_call_folds_in_what_moved_so_two_wraps_are_both_counted(powercap: Path) -> None:
    zone(powercap, "intel-rapl:0", "package-0", 900, max_uj=1000)
    (powercap / "intel-rapl:1" / "name").write_text("package-1\n")
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.begin()
    moves = [(100, 200), (950, 850), (50, 100)]  # (reading, µJ moved since the last one)
    total = 0
    for reading, moved in moves:
        set_uj(powercap, "intel-rapl:0", reading)
        total += moved
        joules = source.energy(make_usage()).coefficients[0][1]
        assert joules == pytest.approx(total / 1e6)


def test_observe_follows_the_counters_between_readings(powercap: Path) -> None:
    zone(powercap, "intel-rapl:0", "package-0", 900, max_uj=1000)
    source = RaplCpu(Scope.MACHINE, powercap, stat_path="/nonexistent")
    source.observe([1])  # before begin: nothing to follow yet
    source.begin()
    for reading in (400, 900, 300):  # 500 + 500 + 400 µJ, through two wraps
        set_uj(powercap, "intel-rapl:0", reading)
        source.observe([1])
    set_uj(powercap, "intel-rapl:0", 500)  # 200 more
    assert source.energy(make_usage()).coefficients[0][1] == pytest.approx(1600 / 1e6)


def test_a_counter_lost_while_observing_is_raised_by_energy(powercap: Path) -> None:
    source = RaplCpu(Scope.MACHINE, powercap)
    source.begin()
    (powercap / "intel-rapl:0" / "energy_uj").unlink()
    source.observe([1])  # on the sampler thread: must not raise
    zone(powercap, "intel-rapl:0", "package-0", 20_000_000)  # back again: too late
    with pytest.raises(CounterError, match=r"cannot read .*intel-rapl:0/energy_uj"):
        source.energy(make_usage())


def test_a_wrap_without_a_known_range_is_a_counter_error(powercap: Path) -> None:
    (powercap / "intel-rapl:0" / "max_energy_range_uj").unlink()
    source = RaplCpu(Scope.MACHINE, powercap)
    source.begin()
    set_uj(powercap, "intel-rapl:0", 1)
    with pytest.raises(CounterError, match="went backwards and its max_energy_range_uj"):
        source.energy(make_usage())


def test_a_counter_unreadable_mid_run_is_a_counter_error_with_the_reason(
    powercap: Path,
) -> None:
    source = RaplCpu(Scope.PROCESS, powercap)
    source.begin()
    (powercap / "intel-rapl:1" / "energy_uj").unlink()
    with pytest.raises(CounterError) as caught:
        source.energy(make_usage())
    assert caught.value.reason.startswith(f"cannot read {powercap}/intel-rapl:1/energy_uj")
    assert str(caught.value) == caught.value.reason


def test_begin_without_counters_and_energy_without_begin_are_counter_errors(
    tmp_path: Path, powercap: Path
) -> None:
    with pytest.raises(CounterError, match="no RAPL domains"):
        RaplCpu(Scope.PROCESS, tmp_path / "nothing").begin()
    with pytest.raises(CounterError, match="not read before the command started"):
        RaplCpu(Scope.PROCESS, powercap).energy(make_usage())


def test_process_scope_charges_the_trees_share_of_the_machines_busy_cpu(
    powercap: Path, tmp_path: Path
) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, busy_seconds=1000.0, idle_seconds=5000.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 1_000_000_000)  # 1000 J
    write_stat(stat, busy_seconds=1000.0 + 494.0, idle_seconds=6000.0)
    usage = make_usage()  # 123.75 CPU-seconds
    energy = source.energy(usage)
    share = usage.cpu_seconds / 494.0
    assert energy.kwh == pytest.approx(1000 * share / JOULES_PER_KWH)
    assert energy.high == pytest.approx(energy.kwh * 1.1)
    assert energy.coefficients == (
        ("package_joules", pytest.approx(1000.0)),
        ("tree_share", pytest.approx(share)),
    )
    assert energy.detail.endswith(
        "1000 J over the run, times the command's share, 25.1% of the machine's busy CPU "
        "time (124 of 494 CPU-seconds)"
    )


def test_the_share_is_clamped_to_the_whole_machine(powercap: Path, tmp_path: Path) -> None:
    stat = tmp_path / "stat"
    write_stat(stat, busy_seconds=10.0, idle_seconds=10.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    write_stat(stat, busy_seconds=20.0, idle_seconds=10.0)  # 10 s busy; the tree says 123.75
    assert dict(source.energy(make_usage()).coefficients)["tree_share"] == 1.0


@pytest.mark.parametrize("stat_text, word", [(None, "unreadable"), ("same", "zero")])
def test_without_the_machines_cpu_time_the_whole_package_is_charged(
    powercap: Path, tmp_path: Path, stat_text: str | None, word: str
) -> None:
    stat = tmp_path / "stat"
    if stat_text is not None:
        write_stat(stat, busy_seconds=10.0, idle_seconds=10.0)
    source = RaplCpu(Scope.PROCESS, powercap, stat_path=str(stat))
    source.begin()
    set_uj(powercap, "intel-rapl:0", 10_000_000 + 360_000_000)
    energy = source.energy(make_usage())
    assert dict(energy.coefficients)["tree_share"] == 1.0
    assert energy.kwh == pytest.approx(360 / JOULES_PER_KWH)
    assert f"times 1.0: the machine's busy CPU time (/proc/stat) was {word}" in energy.detail


def test_a_counter_mirroring_another_is_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", "package-0", 50_000_000)
    zone(root, "intel-rapl:1", "package-1", 50_000_000)  # a second die, same socket counter
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 50_000_000 + 100_000_000)
    set_uj(root, "intel-rapl:1", 50_000_000 + 100_000_000)
    energy = source.energy(make_usage())
    assert energy.coefficients[0] == ("package_joules", pytest.approx(100.0))
    assert "(package-0): 100 J over the run; 1 counter(s) mirroring another left out" in (
        energy.detail
    )


def test_equal_counters_that_then_move_apart_are_both_counted(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", "package-0", 50_000_000)
    zone(root, "intel-rapl:1", "package-1", 50_000_000)
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 50_000_000 + 100_000_000)
    set_uj(root, "intel-rapl:1", 50_000_000 + 30_000_000)
    assert source.energy(make_usage()).coefficients[0][1] == pytest.approx(130.0)


def test_an_unnamed_top_level_zone_counts_as_a_package(tmp_path: Path) -> None:
    root = tmp_path / "powercap"
    zone(root, "intel-rapl:0", None, 0)
    source = RaplCpu(Scope.MACHINE, root)
    source.begin()
    set_uj(root, "intel-rapl:0", 2_000_000)
    energy = source.energy(make_usage())
    assert "(intel-rapl:0): 2 J" in energy.detail
