"""The run's container accounting: the proxy's news and the cgroups' readings, while it runs.

Nothing happens until the command's tree first starts a container or asks for a build: then
the engine's parent cgroups are read (the baseline), and a thread reads every cgroup below
them a few times a second until the run ends. A run that uses no container costs a socket and
a sleeping thread.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from greengate.containers.engine import LocalEngine, inspect
from greengate.containers.proxy import EngineProxy
from greengate.containers.work import BUILD, MEASURE_JOB, ContainerWork, missing_work
from greengate.energy.interface import ContainerSource

if TYPE_CHECKING:  # the readers load once the run first asks for a container (start-up)
    from greengate.containers.cgroupfs import Hierarchy
    from greengate.containers.tally import ParentSpan, Seen

POLL_SECONDS = 0.2
# Parents the cgroupfs drivers put every container under (Docker, Podman); BuildKit's steps
# go one level further down, in ``buildkit``.
PARENTS = ("docker", "libpod_parent")
NESTED = "buildkit"
# Where the systemd drivers put one container: its own scope among every other service's.
SCOPES = ("system.slice/docker-{id}.scope", "machine.slice/libpod-{id}.scope")
_FULL_ID = re.compile(r"^[0-9a-f]{64}$")


class ContainerAccounting(ContainerSource):
    """Follows the containers one run causes on a local engine (docs/energy.md)."""

    def __init__(
        self,
        engine: LocalEngine,
        find_hierarchies: Callable[[], list[Hierarchy]] | None = None,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._engine = engine
        self._find = find_hierarchies
        self._poll = poll_seconds
        self._lock = threading.Lock()
        self._proxy: EngineProxy | None = None
        self._active = False
        self._hierarchy: Hierarchy | None = None
        self._unreadable: str | None = None
        self._parents: dict[str, ParentSpan] = {}
        self._seen: dict[str, Seen] = {}
        self._pending: list[str] = []  # started refs not yet asked about
        self._ours: dict[str, str] = {}  # full id -> image
        self._refs: set[str] = set()  # every ref the tree started
        self._asked = 0  # containers started and builds asked for
        self._steps: set[str] = set()  # classic build steps' short ids
        self._builds: dict[object, bool] = {}  # open build -> BuildKit
        self._buildkit_seen_at = 0.0  # the last time a BuildKit build of the run was open
        self._buildkit_asked = False
        # Quiet classic builds name no step: containers that appear while one is open are
        # taken for its steps (docs/energy.md).
        self._quiet: set[object] = set()
        self._quiet_seen_at = 0.0
        self._quiet_asked = False
        self._last_tick = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._unfollowed = False  # the proxy could not start: what ran is unknown

    def command_env(self) -> dict[str, str]:
        """Start the proxy; what the command's environment needs to go through it."""
        try:
            self._proxy = EngineProxy(self._engine.socket, self)
        except OSError as e:
            self._active, self._unreadable = True, f"no socket for the engine's proxy: {e}"
            self._unfollowed = True
            return {}
        return {"DOCKER_HOST": f"unix://{self._proxy.path}"}

    # What the proxy tells (its threads) ------------------------------------------------
    def container_started(self, ref: str) -> None:
        with self._lock:
            self._activate()
            self._asked += 1
            self._refs.add(ref)
            self._pending.append(ref)
            if _FULL_ID.match(ref):
                self._ours.setdefault(ref, "")

    def build_began(self, key: object, buildkit: bool, quiet: bool = False) -> None:
        with self._lock:
            self._activate()
            self._asked += 1
            self._builds[key] = buildkit
            if quiet:
                self._quiet.add(key)
                self._quiet_asked = True
            if buildkit:
                self._buildkit_seen_at = time.monotonic()
                self._buildkit_asked = True

    def build_ended(self, key: object) -> None:
        with self._lock:
            if self._builds.pop(key, False):
                self._buildkit_seen_at = time.monotonic()
            if key in self._quiet:
                self._quiet.discard(key)
                self._quiet_seen_at = time.monotonic()

    def build_step(self, short_id: str) -> None:
        with self._lock:
            self._steps.add(short_id)

    # Reading the cgroups -------------------------------------------------------------
    def _activate(self) -> None:
        """The baseline, once, just before the engine is asked for the run's first work."""
        if self._active:
            return
        self._active = True
        from greengate.containers.cgroupfs import hierarchies
        from greengate.containers.tally import ParentSpan, Seen

        found = (self._find or hierarchies)()
        chosen = next((h for h in found if any(h.exists(p) for p in PARENTS)), None)
        if chosen is None:
            chosen = next((h for h in found if h.cpu_ns("") is not None), None)
        if chosen is None:
            self._unreadable = "no readable cgroup hierarchy accounts CPU time here"
            return
        self._hierarchy = chosen
        for name in PARENTS:
            for rel in (name, f"{name}/{NESTED}"):
                reading = chosen.cpu_ns(rel)
                if reading is None:
                    continue
                self._parents[rel] = ParentSpan(rel, reading, reading)
                for child in chosen.children(rel):
                    child_rel = f"{rel}/{child}"
                    value = chosen.cpu_ns(child_rel)
                    if child != NESTED and value is not None:
                        self._seen[child_rel] = Seen(child_rel, rel, value, value)
        self._last_tick = time.monotonic()
        self._thread = threading.Thread(target=self._follow, name="greengate-containers")
        self._thread.daemon = True
        self._thread.start()

    def _follow(self) -> None:
        while not self._stop.wait(self._poll):
            self.read_cgroups()

    def read_cgroups(self, final: bool = False) -> None:
        """One reading of every followed cgroup (the following thread, and the end)."""
        with self._lock:
            pending, self._pending = self._pending, []
        for ref in pending:  # the engine is asked outside the lock: the proxy never waits
            facts = inspect(self._engine.socket, ref)
            with self._lock:
                if facts is not None:
                    self._ours[facts.id] = facts.image
        with self._lock:
            hierarchy = self._hierarchy
            if hierarchy is None:
                return
            now = time.monotonic()
            dt, self._last_tick = now - self._last_tick, now
            done: set[str] = set()
            while len(done) < len(self._parents):  # BuildKit's parent may appear meanwhile
                rel = next(r for r in self._parents if r not in done)
                done.add(rel)
                self._read_children(hierarchy, rel, now, dt, final)
            self._place_scopes(hierarchy)
            for seen in self._seen.values():
                if seen.parent is None and not seen.gone:
                    self._update(hierarchy, seen, hierarchy.cpu_ns(seen.rel), dt)

    def _read_children(
        self, hierarchy: Hierarchy, parent: str, now: float, dt: float, final: bool
    ) -> None:
        from greengate.containers.tally import ParentSpan, Seen

        if final:
            # The parent just before its children, in the baseline's order: a child still
            # running moves between the two reads, by about as much at both ends, so what it
            # adds to the parent's movement cancels out of the tails.
            span = self._parents[parent]
            reading = hierarchy.cpu_ns(parent)
            span.end_ns = reading if reading is not None else span.end_ns
        present = set()
        for child in hierarchy.children(parent):
            rel = f"{parent}/{child}"
            if child == NESTED:
                if rel not in self._parents:  # BuildKit's parent, made during the run
                    self._parents[rel] = ParentSpan(rel, 0, 0)
                continue
            present.add(rel)
            reading = hierarchy.cpu_ns(rel)
            seen = self._seen.get(rel)
            if seen is None:
                if reading is None:
                    continue
                seen = self._seen[rel] = Seen(rel, parent, 0, 0)
                if parent.endswith(f"/{NESTED}"):
                    steps = self._builds_open() or self._buildkit_seen_at >= now - dt
                else:
                    steps = bool(self._quiet) or self._quiet_seen_at >= now - dt
                if steps:
                    seen.ours, seen.image, seen.id = True, BUILD, child
            self._update(hierarchy, seen, reading, dt)
        for rel, seen in self._seen.items():
            if seen.parent == parent and rel not in present:
                seen.gone = True

    def _builds_open(self) -> bool:
        return any(self._builds.values())

    def _update(self, hierarchy: Hierarchy, seen: Seen, reading: int | None, dt: float) -> None:
        if reading is None:
            seen.gone = True
            return
        if reading < seen.last_ns:  # a new cgroup of the same name: the container restarted
            seen.base_ns -= seen.last_ns
        elif dt > 0:
            seen.rate = (reading - seen.last_ns) / dt
        seen.last_ns, seen.gone = reading, False
        self._claim(seen)
        if seen.ours:
            memory = hierarchy.memory_bytes(seen.rel)
            if memory is not None:
                seen.peak_memory = max(seen.peak_memory or 0, memory)
                seen.memory_byte_seconds += memory * dt

    def _claim(self, seen: Seen) -> None:
        """Mark a cgroup the run's once the proxy has named its container."""
        if seen.ours:
            return
        name = seen.rel.rsplit("/", 1)[-1]
        for full_id, image in self._ours.items():
            if full_id in name:
                seen.ours, seen.id, seen.image = True, full_id, image
                return
        if any(name.startswith(step) for step in self._steps):
            seen.ours, seen.id, seen.image = True, name, BUILD

    def _place_scopes(self, hierarchy: Hierarchy) -> None:
        from greengate.containers.tally import Seen

        """The run's containers outside any followed parent (systemd drivers): found by name."""
        placed = {s.id for s in self._seen.values() if s.ours}
        for full_id in self._ours:
            if full_id in placed:
                continue
            for pattern in SCOPES:
                rel = pattern.format(id=full_id)
                if hierarchy.exists(rel):
                    self._seen[rel] = Seen(rel, None, 0, 0)
                    break

    def finish(self) -> ContainerWork | None:
        """Stop following and tally; None where the run caused no container work."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._proxy is not None:
            self._proxy.close()
        if not self._active:
            return None
        if self._unfollowed:
            return missing_work(0, self._unreadable or "")
        self.read_cgroups(final=True)
        with self._lock:
            return self._tally()

    def _tally(self) -> ContainerWork:
        from greengate.containers.tally import NS, tally

        hierarchy = self._hierarchy
        if hierarchy is None:
            return missing_work(self._asked, self._unreadable or "")
        seen = list(self._seen.values())
        placed = {s.id for s in seen if s.ours}
        unseen = [i for i in self._ours if i not in placed]
        top = [p for p in self._parents.values() if "/" not in p.rel]
        if (unseen or self._steps or self._quiet_asked) and top:
            for span in top:  # they ran and stopped between two readings: in the tails
                span.ours_inside = True
        for span in self._parents.values():  # steps of the run's builds in the same way
            if span.rel.endswith(f"/{NESTED}") and self._buildkit_asked:
                span.ours_inside = True
        notes: list[str] = []
        if unseen and not top:
            notes.append(
                f"{len(unseen)} of the run's containers could not be found among the cgroups: "
                f"their work is missing from this figure; {MEASURE_JOB}"
            )
        gone_alone = sum(1 for s in seen if s.ours and s.gone and s.parent is None)
        method = f"cgroup v{hierarchy.version} " + (
            "cpuacct" if hierarchy.version == 1 else "cpu.stat"
        )
        return tally(
            list(self._parents.values()),
            seen,
            method,
            tuple(notes),
            unplaced_gone_high_ns=gone_alone * self._poll * (os.cpu_count() or 1) * NS,
        )
