"""Container work counted by ``greengate run``, and what following containers costs.

    GREENGATE_TEST_DOCKER_HOST=unix:///... python bench/containers.py [--rounds 3] [--bytes N]

Needs a Docker engine with the image gg-busybox:1 (``.ci/start-dockerd`` starts one and
prints its DOCKER_HOST) and Debian's client at /usr/bin/docker.

1. Share counted: each round is ONE greengate run whose command burns the same work twice,
   once directly (``busybox sh -c 'yes | head -c N | sha256sum'``, its CPU from the child's
   rusage) and once in ``docker run --rm`` / a classic ``docker build`` step / a BuildKit
   step. Printed: the container's CPU-seconds greengate counted, as a share of the direct
   burn's, and of the engine's parent cgroup's movement read by hand (the kernel's figure).
2. Cost without containers: ``greengate run -- sleep 0.2`` with the engine reachable (the
   proxy starts) against ``GREENGATE_CONTAINERS=off``, interleaved; medians of wall time and
   of greengate's own CPU (wait4 rusage). ``--cost-only`` runs this part alone.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DOCKER = "/usr/bin/docker"
IMAGE = "gg-busybox:1"
POLICY = "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - max_energy: 1 kWh\n"
# The command greengate wraps: the direct burn, timed by its own rusage, then the container.
WRAPPED = """
import resource, subprocess, sys
burn, out, container = sys.argv[1], sys.argv[2], sys.argv[3:]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run(["busybox", "sh", "-c", burn], check=True, stdout=subprocess.DEVNULL)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
open(out, "w").write(repr(cpu))
subprocess.run(container, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""


def engine_ns() -> int:
    for path in (
        "/sys/fs/cgroup/cpuacct/docker/cpuacct.usage",
        "/sys/fs/cgroup/cpu,cpuacct/docker/cpuacct.usage",
    ):
        if os.path.exists(path):
            return int(Path(path).read_text())
    stat = Path("/sys/fs/cgroup/docker/cpu.stat").read_text().split()
    return int(stat[stat.index("usage_usec") + 1]) * 1000


def greengate(directory: Path, argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run greengate; its wall time and its own CPU (the whole run's less the tree's)."""
    verdict = directory / "v.json"
    command = [sys.executable, "-m", "greengate", "run", "--quiet", "--verdict", str(verdict)]
    started = time.perf_counter()
    child = subprocess.Popen([*command, "--", *argv], cwd=directory, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"greengate run failed ({status}): {argv}")
    tree = float(json.loads(verdict.read_text())["measurement"]["usage"]["cpu_s"])
    return wall, usage.ru_utime + usage.ru_stime - tree


def share_round(directory: Path, env: dict[str, str], kind: str, burn: str) -> tuple[float, ...]:
    """One run: (direct burn CPU-s, counted container CPU-s, engine parent's CPU-s)."""
    direct_file = directory / "direct"
    if kind == "docker run":
        container = [DOCKER, "run", "--rm", "--network", "none", IMAGE, "sh", "-c", burn]
        run_env = env
    else:
        context = directory / "context"
        context.mkdir(exist_ok=True)
        (context / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN {burn} > /sum\n")
        container = [DOCKER, "build", "--no-cache", "--network", "none", "-q", str(context)]
        run_env = {**env, "DOCKER_BUILDKIT": "1" if kind == "BuildKit build" else "0"}
    before = engine_ns()
    greengate(
        directory, [sys.executable, "-c", WRAPPED, burn, str(direct_file), *container], run_env
    )
    engine = (engine_ns() - before) / 1e9
    counted = json.loads((directory / "v.json").read_text())["measurement"]["containers"]
    return float(direct_file.read_text()), float(counted["cpu_s"]), engine


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bytes", type=int, default=200_000_000, help="the burn's size")
    parser.add_argument("--cost-rounds", type=int, default=15)
    parser.add_argument("--cost-only", action="store_true")
    args = parser.parse_args()
    host = os.environ.get("GREENGATE_TEST_DOCKER_HOST")
    if not host:
        raise SystemExit("set GREENGATE_TEST_DOCKER_HOST (.ci/start-dockerd prints it)")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DOCKER_HOST=host, GREENGATE_LEDGER="off")
    burn = f"yes | head -c {args.bytes} | sha256sum"
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "greengate.yml").write_text(POLICY)
        print(f"burn: {burn}; {args.rounds} round(s) each")
        kinds = () if args.cost_only else ("docker run", "classic build", "BuildKit build")
        for kind in kinds:
            rows = [share_round(directory, env, kind, burn) for _ in range(args.rounds)]
            for direct, counted, engine in rows:
                print(
                    f"  {kind:15} direct {direct:6.2f} CPU-s  counted {counted:6.2f} CPU-s "
                    f"= {100 * counted / direct:5.1f} % of direct, "
                    f"{100 * counted / engine:5.1f} % of the engine's parent cgroup"
                )
            shares = [counted / direct for direct, counted, _ in rows]
            print(
                f"  {kind:15} median share of the direct burn: "
                f"{100 * statistics.median(shares):.1f} %"
            )
        walls: dict[str, list[float]] = {"proxy on": [], "off": []}
        cpus: dict[str, list[float]] = {"proxy on": [], "off": []}
        for _ in range(args.cost_rounds):
            for name, extra in (("proxy on", {}), ("off", {"GREENGATE_CONTAINERS": "off"})):
                wall, cpu = greengate(directory, ["sleep", "0.2"], {**env, **extra})
                walls[name].append(wall)
                cpus[name].append(cpu)
        print(f"run -- sleep 0.2, {args.cost_rounds} interleaved rounds, medians:")
        for name in walls:
            print(
                f"  {name:9} wall {1000 * statistics.median(walls[name]):6.1f} ms, "
                f"greengate CPU {1000 * statistics.median(cpus[name]):6.1f} ms"
            )


if __name__ == "__main__":
    main()
