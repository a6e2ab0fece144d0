"""Live grid figures (issue 12): what a live provider adds to a run, and `greengate when`.

1. Added wall of ``greengate run`` with ``grid:`` (Electricity Maps on a loopback server that
   answers at once, a fresh cache each round so every run makes its call) over the same run
   offline, rounds alternating, medians. Target: <= 50 ms.
2. ``greengate when --duration 45m --within 8h --json`` on a 48 h WattTime forecast of
   5-minute points (576), loopback, fresh cache each round: median wall.

    .venv/bin/python bench/grid.py [--rounds 15]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import GREENGATE, cleanup, median, timed, workdir
from grid_server import Reply, grid_server

# A command that runs 0.3 s (the lookup overlaps it, as designed) and one that does nothing
# (the lookup's own cost shows, since nothing hides it).
COMMANDS = {
    "0.3 s command": [sys.executable, "-c", "import time; time.sleep(0.3)"],
    "empty command": [sys.executable, "-c", "pass"],
}


def _policy(url: str, provider: str, zone: str) -> str:
    return (
        "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        f"grid:\n  provider: {provider}\n  zone: {zone}\n  url: {url}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    d = workdir()
    env = {
        **__import__("os").environ,
        "GREENGATE_ELECTRICITYMAPS_TOKEN": "bench-token",
        "GREENGATE_WATTTIME_USERNAME": "bench",
        "GREENGATE_WATTTIME_PASSWORD": "bench-password",
        "GREENGATE_LEDGER": "off",
    }
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with grid_server() as server:
        server.routes["/v3/carbon-intensity/latest"] = Reply(
            body={"zone": "DE", "carbonIntensity": 300, "datetime": hour.isoformat()}
        )
        server.routes["/login"] = Reply(body={"token": "bench-bearer-token"})
        points = [
            {"point_time": (now + timedelta(minutes=5 * i)).isoformat(), "value": 800 + (i % 97)}
            for i in range(576)
        ]
        server.routes["/v3/forecast"] = Reply(
            body={
                "data": points,
                "meta": {"units": "lbs_co2_per_mwh", "data_point_period_seconds": 300},
            }
        )
        live_policy, offline_policy = d / "live.yml", d / "offline.yml"
        live_policy.write_text(_policy(server.url, "electricitymaps", "DE"))
        offline_policy.write_text(
            "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        )
        (d / "when.yml").write_text(_policy(server.url, "watttime", "CAISO_NORTH"))
        walls: dict[tuple[str, str], list[float]] = {}
        cpus: dict[tuple[str, str], list[float]] = {}
        when: list[float] = []
        for _ in range(rounds + 1):  # the first round warms the page cache, not counted
            for label, cmd in COMMANDS.items():
                for kind, policy in (("offline", offline_policy), ("live", live_policy)):
                    shutil.rmtree(d / "cache" / "grid", ignore_errors=True)
                    argv = [GREENGATE, "run", "--quiet", "--policy", str(policy), "--", *cmd]
                    wall, cpu, code = timed(argv, d, env)
                    assert code == 0, argv
                    walls.setdefault((label, kind), []).append(wall)
                    cpus.setdefault((label, kind), []).append(cpu)
            shutil.rmtree(d / "cache" / "grid", ignore_errors=True)
            argv = [
                GREENGATE,
                "when",
                "--policy",
                str(d / "when.yml"),
                "--duration",
                "45m",
                "--within",
                "8h",
                "--json",
            ]
            wall, _, code = timed(argv, d, env)
            assert code == 0, argv
            when.append(wall)
        calls = len(server.seen)
    print(f"rounds: {rounds} (alternating; medians; a fresh grid cache each run)")
    for label in COMMANDS:
        offline = median(walls[(label, "offline")][1:])
        live = median(walls[(label, "live")][1:])
        added = live - offline
        verdict = "met" if added <= 0.050 else "NOT met"
        print(
            f"{label}: offline {offline * 1000:7.1f} ms, live (loopback) {live * 1000:7.1f} ms, "
            f"added {added * 1000:6.1f} ms (target <= 50 ms: {verdict})"
        )
        cpu_added = median(cpus[(label, "live")][1:]) - median(cpus[(label, "offline")][1:])
        print(
            f"  CPU (greengate and the command) added by the live lookup: {cpu_added * 1000:.1f} ms"
        )
    when = when[1:]
    print(f"when, 48 h / 5-min forecast (576 points): {median(when) * 1000:7.1f} ms")
    print(f"provider requests served: {calls}")
    cleanup(d)


if __name__ == "__main__":
    main()
