"""Containers run through a real Docker engine inside ``greengate run`` (.ci/start-dockerd).

Each figure greengate counts is compared with the engine's own parent cgroup, read by hand
before and after: with no other container running, its movement is exactly what the run's
containers used.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import Greengate
from engine_fixtures import (
    BURN,
    DOCKER,
    IMAGE,
    container_cpu_ns,
    containers_of,
    docker,
    engine_cpu_ns,
    require_engine,
)

POLICY = "version: 1\ndefaults: {country: FRA}\nbudgets:\n  - max_emissions: 1 kg\n"
FULL_ID = re.compile(r"^[0-9a-f]{64}$")


@pytest.fixture
def engine(tmp_path: Path) -> str:
    host = require_engine()
    (tmp_path / "greengate.yml").write_text(POLICY)
    return host


def gated(greengate: Greengate, host: str, *argv: str, **env: str) -> tuple[dict, float]:
    """Run ``argv`` under greengate with the test engine; its containers section and the
    engine's CPU-seconds over the same stretch, read by hand."""
    before = engine_cpu_ns()
    result = greengate("run", "--quiet", "--", *argv, env={"DOCKER_HOST": host, **env}, timeout=300)
    engine_seconds = (engine_cpu_ns() - before) / 1e9
    assert result.returncode == 0, result.stderr
    return containers_of(result.cwd / "greengate-verdict.json"), engine_seconds


def test_docker_run_rm_is_counted_from_the_engines_cgroup(
    greengate: Greengate, engine: str
) -> None:
    burn = BURN.format(n=60_000_000)
    work, engine_seconds = gated(
        greengate, engine, DOCKER, "run", "--rm", "--network", "none", IMAGE, "sh", "-c", burn
    )
    assert engine_seconds > 0.2  # the burn really ran in the container
    assert work["cpu_s"] == pytest.approx(engine_seconds, rel=0.02)
    (container,) = work["containers"]
    assert FULL_ID.match(container["id"])
    assert container["image"] == IMAGE
    assert work["method"].startswith("cgroup v")


@pytest.mark.parametrize(
    ("buildkit", "quiet"),
    [("0", ()), ("0", ("-q",)), ("1", ())],
    ids=["classic", "classic-quiet", "buildkit"],
)
def test_docker_build_steps_are_counted(
    greengate: Greengate, engine: str, tmp_path: Path, buildkit: str, quiet: tuple[str, ...]
) -> None:
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM {IMAGE}\nRUN {BURN.format(n=60_000_000)} > /sum\n")
    work, engine_seconds = gated(
        greengate,
        engine,
        DOCKER,
        "build",
        *quiet,  # -q: the classic builder names no step in its answer
        "--no-cache",
        "--network",
        "none",
        "-t",
        f"gg-built-{buildkit}",
        str(context),
        DOCKER_BUILDKIT=buildkit,
    )
    assert engine_seconds > 0.2
    assert work["cpu_s"] == pytest.approx(engine_seconds, rel=0.02)
    assert work["containers"] and {c["image"] for c in work["containers"]} == {"build"}


def test_two_containers_at_once(greengate: Greengate, engine: str) -> None:
    burn = BURN.format(n=40_000_000)
    run = f"{DOCKER} run --rm --network none {IMAGE} sh -c '{burn}'"
    work, engine_seconds = gated(greengate, engine, "sh", "-c", f"{run} & {run}; wait")
    assert len(work["containers"]) == 2
    assert work["cpu_s"] == pytest.approx(engine_seconds, rel=0.02)


def test_a_container_still_running_at_the_end_counts_up_to_the_end(
    greengate: Greengate, engine: str
) -> None:
    burn = BURN.format(n=40_000_000)
    name = "gg-left-running"
    docker("rm", "-f", name, check=False)
    try:
        script = (
            f"{DOCKER} run -d --name {name} --network none {IMAGE} sh -c '{burn}; sleep 600' "
            f"&& until [ \"$({DOCKER} inspect -f '{{{{.State.Running}}}}' {name})\" = true ]; "
            "do sleep 0.1; done && sleep 3"
        )
        work, _ = gated(greengate, engine, "sh", "-c", script)
        container_id = docker("inspect", "-f", "{{.Id}}", name)
        used = container_cpu_ns(container_id) / 1e9  # still running: its own cgroup is there
        (container,) = work["containers"]
        assert container["id"] == container_id
        assert used > 0.1
        # It was burning or done by the end: counted up to then, never more than it used.
        assert 0.5 * used <= container["cpu_s"] <= used * 1.01
    finally:
        docker("rm", "-f", name, check=False)


def test_another_processs_container_is_not_charged(greengate: Greengate, engine: str) -> None:
    name = "gg-foreign"
    docker("rm", "-f", name, check=False)
    foreign_burn = BURN.format(n=80_000_000)
    own_burn = BURN.format(n=30_000_000)
    started: list[str] = []

    def foreign() -> None:  # started beside the run, on the engine's own socket
        time.sleep(0.5)
        started.append(
            docker(
                "run",
                "-d",
                "--name",
                name,
                "--network",
                "none",
                IMAGE,
                "sh",
                "-c",
                f"{foreign_burn}; sleep 600",
            )
        )

    thread = threading.Thread(target=foreign)
    before = engine_cpu_ns()
    thread.start()
    try:
        script = f"sleep 1; {DOCKER} run --rm --network none {IMAGE} sh -c '{own_burn}'; sleep 1"
        result = greengate(
            "run", "--quiet", "--", "sh", "-c", script, env={"DOCKER_HOST": engine}, timeout=300
        )
        thread.join()
        # The foreign container may still be burning: read it on both sides of the engine's
        # parent, so that the run's own share is the parent's movement less the foreign's.
        first = container_cpu_ns(started[0])
        engine_seconds = (engine_cpu_ns() - before) / 1e9
        foreign_seconds = (first + container_cpu_ns(started[0])) / 2e9
        assert result.returncode == 0, result.stderr
        work = containers_of(result.cwd / "greengate-verdict.json")
        own_seconds = engine_seconds - foreign_seconds
        assert foreign_seconds > 0.2 and own_seconds > 0.1
        (container,) = work["containers"]
        assert container["id"] != started[0]
        assert work["cpu_s"] == pytest.approx(own_seconds, rel=0.05, abs=0.02)
    finally:
        thread.join()
        docker("rm", "-f", name, check=False)


def test_a_remote_engine_is_named_as_missing(greengate: Greengate, tmp_path: Path) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY)
    result = greengate("run", "--quiet", "--", "true", env={"DOCKER_HOST": "tcp://127.0.0.1:9"})
    assert result.returncode == 0, result.stderr
    notes = json.loads((tmp_path / "greengate-verdict.json").read_text())["measurement"]["notes"]
    (note,) = [n for n in notes if "DOCKER_HOST=tcp://127.0.0.1:9" in n]
    assert "missing from this figure" in note and "greengate start / lap / stop" in note


def test_machine_scope_counts_containers_once(
    greengate: Greengate, engine: str, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY + "energy:\n  scope: machine\n")
    burn = BURN.format(n=20_000_000)
    result = greengate(
        "run",
        "--quiet",
        "--",
        DOCKER,
        "run",
        "--rm",
        "--network",
        "none",
        IMAGE,
        "sh",
        "-c",
        burn,
        env={"DOCKER_HOST": engine},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    measurement = json.loads((result.cwd / "greengate-verdict.json").read_text())["measurement"]
    # The machine's own figure already holds the container's work: nothing is added to it.
    assert "containers" not in measurement
    assert measurement["scope"] == "machine"


def test_a_container_created_before_and_started_by_name_is_the_runs(
    greengate: Greengate, engine: str
) -> None:
    name = "gg-named"
    docker("rm", "-f", name, check=False)
    try:
        burn = BURN.format(n=30_000_000)
        container_id = docker(
            "create", "--name", name, "--network", "none", IMAGE, "sh", "-c", burn
        )
        work, engine_seconds = gated(greengate, engine, DOCKER, "start", "-a", name)
        (container,) = work["containers"]
        assert container["id"] == container_id  # the name resolved through the engine
        assert container["image"] == IMAGE
        assert work["cpu_s"] == pytest.approx(engine_seconds, rel=0.02)
    finally:
        docker("rm", "-f", name, check=False)


def test_the_proxy_is_transparent_to_the_client(engine: str, tmp_path: Path) -> None:
    """Attached stdin with its end (a half-close through the proxy), stdout and the exit code
    reach the client as they would without greengate."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "greengate",
            "run",
            "--quiet",
            "--",
            DOCKER,
            "run",
            "-i",
            "--rm",
            "--network",
            "none",
            IMAGE,
            "sh",
            "-c",
            "cat; exit 7",
        ],
        input=b"through the proxy\n",
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "DOCKER_HOST": engine},
        timeout=300,
        check=False,
    )
    assert proc.stdout == b"through the proxy\n"
    assert proc.returncode == 7
