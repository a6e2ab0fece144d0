"""One run's energy, best tier first: counters, then a profile's curve, then the TDP table.

The gate opens a session before the command starts, feeds it the sampler's readings while
the command runs and closes it with the tree's exact usage. Nothing here blocks the command:
profiles come from environment variables and local files, hardware detection from the cache
or a detached process (``hardware.HardwareDetector``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from greengate.containers.work import ContainerWork
from greengate.energy.container_energy import container_band, with_containers
from greengate.energy.embodied import embodied_share
from greengate.energy.estimate import (
    GB,
    WATTS_PER_GB_MEMORY,
    CpuModel,
    memory_energy,
    profile_model,
    tdp_model,
)
from greengate.energy.hardware import (
    Hardware,
    HardwareDetectionError,
    HardwareDetector,
    cpuinfo_fields,
)
from greengate.energy.interface import (
    Containers,
    ContainerSource,
    CounterError,
    CpuCounter,
    EnergySource,
    GpuCounter,
    RunEnergy,
)
from greengate.energy.meter import MachineIntegral, Meter
from greengate.energy.procstat import MachineCpu, read_machine_cpu
from greengate.energy.runner_detection import ProfileChoice, choose_profile
from greengate.measurement import (
    JOULES_PER_KWH,
    ComponentEnergy,
    EnergyResult,
    Scope,
    TreeUsage,
)
from greengate.policy.model import EnergySettings
from greengate.process.supervisor import TreeSample
from greengate.units import format_duration, format_power, significant

HOSTED_PROVIDERS = ("github", "gitlab")


def choose_scope(setting: Scope | None, choice: ProfileChoice, configured: bool) -> Scope:
    """The policy's scope, else machine on a detected hosted CI runner, else process.

    A hosted runner's VM exists for this job alone, so its idle power is the job's cost; on a
    developer's machine or a shared self-hosted runner only the command's own share is.
    """
    if setting is not None:
        return setting
    profile = choice.profile
    if profile is not None and not configured and profile.provider in HOSTED_PROVIDERS:
        return Scope.MACHINE
    return Scope.PROCESS


class EnergySession(RunEnergy):
    """One run's energy: the counters it is handed, else the estimate, and the meter.

    ``cpu_counter`` and ``gpu_counter`` build the hardware counters (RAPL and NVML in a real
    run, chosen in ``cli/parts.py``); a counter that cannot be read falls back to the
    estimate with its reason.
    """

    def __init__(
        self,
        settings: EnergySettings,
        env: Mapping[str, str],
        detector: HardwareDetector,
        pue: float | None,
        *,
        cpu_counter: CpuCounter,
        gpu_counter: GpuCounter,
        containers: Containers | None = None,
    ) -> None:
        self._detector = detector
        self._containers_for = containers
        self._containers: ContainerSource | None = None
        self._cpu_counter = cpu_counter
        self._gpu_counter = gpu_counter
        vcpus = os.cpu_count() or 1
        self._cpu_model = cpuinfo_fields().get("model name", "")
        self.choice = choose_profile(settings.profile, env, self._cpu_model, vcpus)
        self.scope = choose_scope(settings.scope, self.choice, settings.profile is not None)
        profile = self.choice.profile
        self.pue = pue if pue is not None else (profile.pue if profile is not None else 1.0)
        self._profile_model = profile_model(profile) if profile is not None else None
        self._gpu: EnergySource | None = None
        self._rapl: EnergySource | None = None  # the CPU counter, once begun
        self._rapl_fallback: str | None = None  # a CPU counter is there but unusable: why
        self._meter: Meter | None = None
        self._progress_model: CpuModel | None = self._profile_model

    def begin(self) -> None:
        """Take the starting readings, just before the command starts."""
        if self._profile_model is None:
            # Only the TDP tier needs codecarbon's detection. With a profile it would be 1.6 s
            # of CPU for nothing, on the very machine that machine scope measures.
            self._detector.start()
            known = self._detector.peek()
            self._progress_model = tdp_model(known) if known is not None else None
        self._begin_rapl()
        self._gpu = self._gpu_counter(self.scope)
        if self._gpu is not None:
            self._gpu.begin()
        self._meter = Meter(self._machine_cpu(), self._profile_model)
        if self._containers_for is not None:
            self._containers = self._containers_for(self.scope)

    def command_env(self) -> dict[str, str]:
        """What the command needs to reach its container engine through the accounting."""
        return self._containers.command_env() if self._containers is not None else {}

    def _machine_cpu(self) -> MachineCpu | None:
        # Only machine scope reads the whole machine's utilisation: process scope charges the
        # tree's own CPU time, so the sampler skips the file read there.
        return read_machine_cpu() if self.scope is Scope.MACHINE else None

    def _begin_rapl(self) -> None:
        counter = self._cpu_counter(self.scope)
        if counter is None:
            return  # no counters at all (most VMs): the estimate is simply the best tier here
        try:
            counter.begin()
        except CounterError as e:
            self._rapl_fallback = f"{counter.name} counters unreadable: {e.reason}"
            return
        self._rapl = counter

    def observe(self, sample: TreeSample) -> float:
        """Fold in one sample (sampler thread); the CPU energy so far in kWh, for progress."""
        if self._meter is not None:
            self._meter.observe(
                sample.elapsed_seconds, sample.cpu_seconds, sample.rss_bytes, self._machine_cpu()
            )
        if self._gpu is not None:
            self._gpu.observe(sample.pids)
        if self._rapl is not None:
            self._rapl.observe(sample.pids)
        model = self._progress_model
        if model is None:
            return 0.0
        return model.process_joules(sample.cpu_seconds, sample.elapsed_seconds) / JOULES_PER_KWH

    def finish(self, usage: TreeUsage, machine: MachineIntegral | None = None) -> EnergyResult:
        """The run's components, embodied term and timeline.

        ``machine``: the machine's side measured elsewhere (a job's laps, greengate.job), in
        place of this session's own meter.
        """
        if machine is None:
            assert self._meter is not None, "begin() first"
            machine = self._meter.finish(usage.wall_seconds, usage.cpu_seconds, self._machine_cpu())
        work = self._containers.finish() if self._containers is not None else None
        tree_usage, usage = usage, with_containers(usage, work)
        notes = list(self.choice.notes)
        fallback = self._rapl_fallback
        hardware: Hardware | None = None
        if self._profile_model is not None:
            model = self._profile_model
        else:
            try:
                hardware = self._detector.result()
            except HardwareDetectionError as e:
                failed = f"codecarbon's hardware detection failed ({e})"
                fallback = f"{fallback}; {failed}" if fallback else failed
                hardware = _unknown_hardware(self._cpu_model)
            model = tdp_model(hardware)
            if hardware.virtualised and hardware.tdp_watts is not None:
                notes.append(
                    "virtual machine without a runner profile: the TDP table's per-thread "
                    "power assumes the host's socket; set energy.profile for a better figure"
                )
        if work is not None:
            notes.extend(work.notes)
        return self._result(
            usage, machine, model, hardware, fallback, tuple(notes), work, tree_usage
        )

    def live(self, sample: TreeSample) -> EnergyResult | None:
        """What ``finish`` would make of the run had it ended at ``sample`` (after
        ``observe``): the same counters, model and PUE, without the timeline. None until
        the model is known (codecarbon's detection still running on a first run)."""
        meter = self._meter
        if meter is None:
            return None
        hardware: Hardware | None = None
        if self._profile_model is not None:
            model = self._profile_model
        else:
            hardware = self._detector.poll()
            if hardware is None:
                return None
            model = tdp_model(hardware)
        machine, rss_byte_seconds = meter.so_far()
        wall = sample.elapsed_seconds
        usage = TreeUsage(
            wall_seconds=wall,
            user_seconds=sample.cpu_seconds,
            system_seconds=0.0,
            processes=len(sample.pids),
            lingering=0,
            peak_rss_bytes=sample.rss_bytes,
            mean_rss_bytes=rss_byte_seconds / wall if wall > 0 else float(sample.rss_bytes),
        )
        return self._result(usage, machine, model, hardware, self._rapl_fallback, ())

    def _result(
        self,
        usage: TreeUsage,
        machine_run: MachineIntegral,
        model: CpuModel,
        hardware: Hardware | None,
        fallback: str | None,
        notes: tuple[str, ...],
        work: ContainerWork | None = None,
        tree_usage: TreeUsage | None = None,
    ) -> EnergyResult:
        """The result for ``usage`` (the tree's, with ``work``'s containers added where there
        are some; ``tree_usage``: the tree's own)."""
        profile = self.choice.profile
        counter = self._rapl_energy(usage)
        machine_joules = machine_run.machine_joules(model, usage.wall_seconds)
        cpu = counter or self._cpu_component(model, usage, machine_joules, fallback)
        if work is not None:
            cpu = container_band(cpu, model, tree_usage or usage, work)
        ram_bytes = hardware.ram_total_bytes if hardware else _ram_total_bytes()
        included = profile.name if profile is not None and profile.includes_memory else None
        memory = memory_energy(
            self.scope, usage.wall_seconds, usage.mean_rss_bytes, ram_bytes, included
        )
        components = [cpu, memory]
        if self._gpu is not None:
            components.append(self._gpu.energy(usage))
        timeline = machine_run.timeline(
            model, self.scope, ram_bytes / GB * WATTS_PER_GB_MEMORY, included is None
        )
        return EnergyResult(
            tuple(components),
            self.scope,
            profile.name if profile else None,
            self.pue,
            embodied_share(self.scope, profile, model, usage),
            timeline if timeline.watts else None,
            notes,
            work,
        )

    def _rapl_energy(self, usage: TreeUsage) -> ComponentEnergy | None:
        if self._rapl is None:
            return None
        try:
            return self._rapl.energy(usage)
        except CounterError as e:
            self._rapl_fallback = f"{self._rapl.name} failed during the run: {e.reason}"
            return None

    def _cpu_component(
        self, model: CpuModel, usage: TreeUsage, machine_joules: float | None, fallback: str | None
    ) -> ComponentEnergy:
        if self.scope is Scope.MACHINE:
            if machine_joules is not None:
                detail = (
                    f"the whole machine ({model.vcpus} vCPUs) for "
                    f"{format_duration(usage.wall_seconds)} on the curve {_curve(model)}; "
                    f"{model.source}"
                )
                return model.component(machine_joules, detail, fallback)
            fallback = "no /proc/stat on this system: machine scope measured as process scope"
        joules = model.process_joules(usage.cpu_seconds, usage.wall_seconds)
        detail = (
            f"{significant(usage.cpu_seconds)} CPU-s of the tree on {model.vcpus} vCPUs, on the "
            f"curve {_curve(model)}; {model.source}"
        )
        return model.component(joules, detail, fallback)


def _curve(model: CpuModel) -> str:
    """The power curve in words, e.g. ``1.76 W idle to 8.18 W busy``."""
    curve = model.curve
    return f"{format_power(curve.idle_watts)} idle to {format_power(curve.max_watts)} busy"


def _ram_total_bytes() -> int:
    """The machine's RAM: MemTotal, from sysconf where there is one (psutil costs 15 ms)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        import psutil

        return int(psutil.virtual_memory().total)


def _unknown_hardware(cpu_model: str) -> Hardware:
    """What is known without codecarbon: the threads here, codecarbon's default power."""
    threads = os.cpu_count() or 1
    return Hardware(
        cpu_model=cpu_model or "unknown",
        threads=threads,
        socket_threads=threads,
        tdp_watts=None,
        tdp_match=None,
        virtualised=False,
        ram_total_bytes=_ram_total_bytes(),
        rapl=False,
    )
