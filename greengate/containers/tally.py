"""From cgroup readings to the run's container work, tails included.

A container's cgroup is read while it runs, but it is removed when the container stops, so
the CPU time between the last reading and the end is not in any reading of its own. It is in
its parent's counter, which keeps what removed children used: the parent's movement over the
run, less what every child (the run's and anyone else's) is known to have used, is the sum
of those tails. Where only the run's containers stopped under that parent, the sum is
theirs, exactly; where another client's container stopped too, it is split by how fast each
was using CPU when last read, and the band spans all to none of it.
"""

from __future__ import annotations

from dataclasses import dataclass

from greengate.containers.work import ContainerUse, ContainerWork

NS = 1e9


@dataclass
class Seen:
    """One cgroup below an engine's parent, followed during the run."""

    rel: str  # its path below the hierarchy's root
    parent: str | None  # the engine's parent it was found under; None: located on its own
    base_ns: int  # its CPU time when first read (0: it appeared during the run)
    last_ns: int
    rate: float = 0.0  # ns of CPU per second over its last interval: how tails are split
    gone: bool = False
    ours: bool = False
    id: str = ""
    image: str = ""
    peak_memory: int | None = None
    memory_byte_seconds: float = 0.0

    @property
    def used_ns(self) -> int:
        return max(self.last_ns - self.base_ns, 0)


@dataclass
class ParentSpan:
    """An engine's parent cgroup (``docker``, ``docker/buildkit``): its counter over the run."""

    rel: str
    base_ns: int
    end_ns: int
    ours_inside: bool = False  # the run caused work here (a container, a build step)

    @property
    def moved_ns(self) -> int:
        return max(self.end_ns - self.base_ns, 0)


def tally(
    parents: list[ParentSpan],
    seen: list[Seen],
    method: str,
    notes: tuple[str, ...] = (),
    unplaced_gone_high_ns: float = 0.0,
) -> ContainerWork:
    """The run's containers with their tails; ``unplaced_gone_high_ns``: the most the run's
    stopped containers outside any followed parent could have used unseen (the band)."""
    extra: dict[int, float] = {}  # index in seen -> tail ns charged to it
    low_ns = high_ns = 0.0
    orphan_tail = 0.0  # the run's tail with no followed container to give it to
    for parent in parents:
        children = [i for i, s in enumerate(seen) if s.parent == parent.rel]
        nested = [p for p in parents if _is_child(p.rel, parent.rel)]
        known = sum(seen[i].used_ns for i in children) + sum(p.moved_ns for p in nested)
        tail = max(parent.moved_ns - known, 0)
        if not tail or not (parent.ours_inside or any(seen[i].ours for i in children)):
            continue
        ours = [i for i in children if seen[i].gone and seen[i].ours]
        foreign = [i for i in children if seen[i].gone and not seen[i].ours]
        if foreign:
            total_rate = sum(seen[i].rate for i in ours + foreign)
            ours_rate = sum(seen[i].rate for i in ours)
            if total_rate > 0:
                share = ours_rate / total_rate
            else:
                share = len(ours) / (len(ours) + len(foreign))
            charged = tail * share
            low_ns -= charged
            high_ns += tail - charged
        else:
            charged = tail
        if not ours:
            orphan_tail += charged
            continue
        _spread(charged, ours, seen, extra)
    used = [
        ContainerUse(
            id=s.id or s.rel.rsplit("/", 1)[-1],
            image=s.image,
            cpu_seconds=(s.used_ns + extra.get(i, 0.0)) / NS,
            peak_memory_bytes=s.peak_memory,
            memory_byte_seconds=s.memory_byte_seconds,
        )
        for i, s in enumerate(seen)
        if s.ours
    ]
    if orphan_tail > 0:
        used.append(ContainerUse("(exited between readings)", "", orphan_tail / NS, None, 0.0))
    cpu = sum(c.cpu_seconds for c in used)
    return ContainerWork(
        containers=tuple(used),
        cpu_seconds=cpu,
        cpu_low_seconds=max(cpu + low_ns / NS, 0.0),
        cpu_high_seconds=cpu + (high_ns + unplaced_gone_high_ns) / NS,
        memory_byte_seconds=sum(c.memory_byte_seconds for c in used),
        method=method,
        notes=notes,
    )


def _is_child(rel: str, parent: str) -> bool:
    return rel.startswith(parent + "/") and "/" not in rel[len(parent) + 1 :]


def _spread(tail: float, ours: list[int], seen: list[Seen], extra: dict[int, float]) -> None:
    """Give ``tail`` to the run's stopped containers by their last rate (evenly without one)."""
    total = sum(seen[i].rate for i in ours)
    for i in ours:
        weight = seen[i].rate / total if total > 0 else 1 / len(ours)
        extra[i] = extra.get(i, 0.0) + tail * weight
