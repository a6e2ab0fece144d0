"""CPU energy from the RAPL package counters in ``/sys/class/powercap`` (Linux, Intel/AMD).

Reads the same files as codecarbon's ``IntelRAPL`` (``codecarbon/core/cpu.py`` and
``core/rapl.py``), with its semantics: package domains only, ``max_energy_range_uj`` for
wrap-around, and a counter that mirrors another one (a multi-die CPU exposing the socket's
counter once per die, mlco2/codecarbon#1274) counted once. codecarbon's module is not
imported: importing codecarbon costs hundreds of milliseconds of start-up, paid on every
gated command, for a reader of two small files per package.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from greengate.energy.interface import CounterError, CpuCounter, EnergySource
from greengate.energy.procstat import MachineCpu, read_machine_cpu
from greengate.measurement import JOULES_PER_KWH, Component, ComponentEnergy, Scope, Tier, TreeUsage
from greengate.units import significant

POWERCAP = Path("/sys/class/powercap")

# Only the top-level zones: ``intel-rapl:N:M`` (core, uncore, dram) are parts of package N
# and would count it twice. AMD CPUs expose their package counters under the same name.
_PACKAGE_ZONE = re.compile(r"intel-rapl:\d+")

# Two readings of one hardware counter taken one after the other differ by what the package
# used in between; 1 J covers milliseconds at full load, far below what independent packages
# drift apart by (codecarbon's SEQUENTIAL_READ_TOLERANCE_KWH).
_MIRROR_TOLERANCE_UJ = 1_000_000

# Our assumption, not a published figure: RAPL's package counter tracks plug power closely
# on servers (Khan et al., "RAPL in Action", ACM TOMPECS 3(2), 2018), but it is a model
# rather than a meter on some parts, leaves out voltage-regulator losses, and a process's
# share is split from it by CPU time.
LOW_FACTOR = 0.9
HIGH_FACTOR = 1.1

_PERMISSION_HELP = (
    "energy_uj is root-only: permission denied (Linux 5.10+ restricts it since the "
    "Platypus attack, CVE-2020-8694; run as root or `sudo chmod a+r "
    "/sys/class/powercap/intel-rapl:*/energy_uj`)"
)


@dataclass(frozen=True)
class _Package:
    """One RAPL package zone's energy counter."""

    name: str  # "package-0", or the zone's directory name when it has no name file
    energy_path: Path
    max_uj: int | None  # the counter wraps to zero past this; None: unknown


def package_zones(root: Path = POWERCAP) -> list[Path]:
    """The package zones under ``root`` (``intel-rapl:N``, named ``package-*`` or unnamed)."""
    try:
        entries = sorted(root.iterdir(), key=lambda p: p.name)
    except OSError:
        return []
    zones = []
    for zone in entries:
        if not _PACKAGE_ZONE.fullmatch(zone.name) or not zone.is_dir():
            continue
        # ``psys`` (the whole platform, on some laptops) is a top-level zone too and
        # includes the package: left out, as codecarbon does when packages exist.
        name = _read_text(zone / "name")
        if name is None or name.startswith("package"):
            zones.append(zone)
    return zones


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _read_uj(path: Path) -> int:
    """One counter in microjoules; CounterError with the reason in words otherwise."""
    try:
        text = path.read_text(encoding="ascii")
    except PermissionError:
        raise CounterError(_PERMISSION_HELP) from None
    except (OSError, UnicodeDecodeError) as e:
        raise CounterError(f"cannot read {path}: {e}") from None
    try:
        return int(text.strip())
    except ValueError:
        raise CounterError(f"{path} holds {text.strip()!r}, not a number") from None


def _read_max_uj(path: Path) -> int | None:
    text = _read_text(path)
    try:
        value = int(text) if text is not None else 0
    except ValueError:
        return None
    return value if value > 0 else None


class RaplCpu(EnergySource):
    """CPU energy = the change in every RAPL package counter, for the tree's share of the CPU.

    Contract with the caller: ``begin`` and ``energy`` raise :class:`CounterError` when a
    counter cannot be read (it vanished, its permissions changed, it went backwards with no
    known range); the caller then falls back to an estimate and records ``reason`` as the
    component's ``fallback``. Call :meth:`probe` first to learn whether to try at all.

    Each ``observe`` and ``energy`` call folds the counters' movement since the previous
    reading into a running total: a counter wraps every ``max_energy_range_uj`` (about 22
    minutes for a Xeon package at 200 W, less on parts with a smaller range), and only a
    run read at least once per wrap is followed through several wraps.
    """

    component = Component.CPU
    name = "RAPL"

    def __init__(self, scope: Scope, root: Path = POWERCAP, stat_path: str = "/proc/stat") -> None:
        self.scope = scope
        self._root = root
        self._stat_path = stat_path
        # energy() may run on a progress thread and on the main thread at the end.
        self._lock = threading.Lock()
        self._packages: list[_Package] = []
        self._first: list[int] = []  # readings at begin(), for spotting mirrored counters
        self._last: list[int] = []
        self._total_uj: list[int] = []
        self._machine_start: MachineCpu | None = None
        self._error: str | None = None  # a failed observe(), raised by the next energy()

    @classmethod
    def probe(cls, root: Path = POWERCAP) -> str | None:
        """None when the package counters are readable, else why not, in words."""
        zones = package_zones(root)
        if not zones:
            return f"no RAPL domains under {root} (a VM or not Intel/AMD)"
        try:
            for zone in zones:
                _read_uj(zone / "energy_uj")
        except CounterError as e:
            return e.reason
        return None

    def begin(self) -> None:
        """Read every package counter and the machine's CPU time."""
        zones = package_zones(self._root)
        if not zones:
            raise CounterError(f"no RAPL domains under {self._root} (a VM or not Intel/AMD)")
        packages = [
            _Package(
                _read_text(z / "name") or z.name,
                z / "energy_uj",
                _read_max_uj(z / "max_energy_range_uj"),
            )
            for z in zones
        ]
        readings = [_read_uj(p.energy_path) for p in packages]
        with self._lock:
            self._packages = packages
            self._first = readings
            self._last = list(readings)
            self._total_uj = [0] * len(packages)
            self._machine_start = read_machine_cpu(self._stat_path)
            self._error = None

    def observe(self, pids: Collection[int]) -> None:
        """Fold in what the counters moved (sampler thread; never raises).

        ``pids`` is unused: the counters are package-wide. It keeps the signature of
        ``NvmlGpu.observe`` so the sampler calls both alike.
        """
        with self._lock:
            if not self._packages or self._error is not None:
                return
            try:
                self._advance()
            except CounterError as e:
                self._error = e.reason

    def _advance(self) -> None:
        """Fold each counter's movement since the last reading into its total."""
        for i, package in enumerate(self._packages):
            now = _read_uj(package.energy_path)
            moved = now - self._last[i]
            if moved < 0:
                if package.max_uj is None:
                    raise CounterError(
                        f"{package.energy_path} went backwards and its "
                        "max_energy_range_uj is unknown, so the wrap cannot be undone"
                    )
                moved += package.max_uj
            self._total_uj[i] += moved
            self._last[i] = now

    def _mirrors(self) -> set[int]:
        """Packages whose counter repeats an earlier one's, at begin() and since."""
        mirrored: set[int] = set()
        for j in range(len(self._packages)):
            for i in range(j):
                if i in mirrored:
                    continue
                if (
                    self._first[j] > 0
                    and _same(self._first[j], self._first[i])
                    and self._total_uj[j] > 0
                    and _same(self._total_uj[j], self._total_uj[i])
                ):
                    mirrored.add(j)
                    break
        return mirrored

    def energy(self, usage: TreeUsage) -> ComponentEnergy:
        """Package energy since ``begin``, times the tree's CPU share in process scope."""
        with self._lock:
            if not self._packages:
                raise CounterError("RAPL counters were not read before the command started")
            if self._error is not None:
                raise CounterError(self._error)
            self._advance()
            mirrored = self._mirrors()
            counted = [i for i in range(len(self._packages)) if i not in mirrored]
            joules = sum(self._total_uj[i] for i in counted) / 1e6
            machine_end = read_machine_cpu(self._stat_path)
            names = ", ".join(self._packages[i].name for i in counted)
            machine_start = self._machine_start
        what = f"RAPL package counter(s) ({names}): {significant(joules)} J over the run"
        if mirrored:
            what += f"; {len(mirrored)} counter(s) mirroring another left out"
        coefficients: tuple[tuple[str, float], ...] = (("package_joules", joules),)
        if self.scope is Scope.MACHINE:
            share, why = 1.0, "the whole package(s) (machine scope)"
        else:
            share, why = _tree_share(usage.cpu_seconds, machine_start, machine_end)
            coefficients += (("tree_share", share),)
        kwh = joules * share / JOULES_PER_KWH
        return ComponentEnergy(
            Component.CPU,
            kwh,
            "rapl-energy-counter",
            f"{what}, {why}",
            tier=Tier.COUNTER,
            low_kwh=kwh * LOW_FACTOR,
            high_kwh=kwh * HIGH_FACTOR,
            coefficients=coefficients,
        )


def rapl_counter(root: Path = POWERCAP) -> CpuCounter:
    """The CPU counter of a machine whose RAPL domains are under ``root``; None without any."""

    def build(scope: Scope) -> RaplCpu | None:
        # No domains at all (most VMs): the estimate is simply the best tier, no fallback.
        return RaplCpu(scope, root) if package_zones(root) else None

    return build


def _same(a: int, b: int) -> bool:
    return abs(a - b) <= max(1e-6 * max(a, b), _MIRROR_TOLERANCE_UJ)


def _tree_share(
    tree_seconds: float, start: MachineCpu | None, end: MachineCpu | None
) -> tuple[float, str]:
    """The tree's share of the machine's busy CPU time over the run, and that in words."""
    busy = (end - start).busy_seconds if start is not None and end is not None else 0.0
    if busy <= 0:
        missing = "unreadable" if start is None or end is None else "zero"
        return 1.0, (
            f"times 1.0: the machine's busy CPU time (/proc/stat) was {missing}, "
            "so the whole package is charged to the command"
        )
    share = min(max(tree_seconds / busy, 0.0), 1.0)
    return share, (
        f"times the command's share, {share:.1%} of the machine's busy CPU time "
        f"({significant(tree_seconds)} of {significant(busy)} CPU-seconds)"
    )
