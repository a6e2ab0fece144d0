"""``greengate run`` with a live grid provider (a loopback server), end to end in processes."""

from __future__ import annotations

import json
import os
import shutil
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, Greengate
from factories import assert_valid_verdict
from grid_server import HANG, GridServer, Reply, grid_server

PY = sys.executable
TOKEN = "em-token-never-written-4242"


def _policy(server: GridServer, fallback: str = "bundled", timeout: str = "2 s") -> str:
    return (
        "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        f"grid:\n  provider: electricitymaps\n  zone: DE\n  url: {server.url}\n"
        f"  timeout: {timeout}\n  fallback: {fallback}\n"
    )


def _latest(server: GridServer, g: float = 123.0) -> None:
    hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
    server.routes["/v3/carbon-intensity/latest"] = Reply(
        body={
            "zone": "DE",
            "carbonIntensity": g,
            "datetime": hour.isoformat(),
            "isEstimated": False,
        }
    )


def _run(greengate: Greengate, tmp_path: Path, policy: str, *cmd: str, **kw: Any) -> CliResult:
    (tmp_path / "greengate.yml").write_text(policy)
    env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN, **kw.pop("env", {})}
    return greengate("run", *kw.pop("options", ()), "--", *(cmd or (PY, "-c", "pass")), env=env)


def _everything_written(result: CliResult, tmp_path: Path) -> str:
    files = [p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    return "\n".join([result.out, result.stderr, *files])


def test_the_run_is_charged_the_live_figure_and_the_verdict_says_where_it_came_from(
    greengate: Greengate, tmp_path: Path
) -> None:
    with grid_server() as server:
        _latest(server, 123.0)
        result = _run(greengate, tmp_path, _policy(server))
    assert result.returncode == 0, result.stderr
    verdict = result.verdict()
    assert_valid_verdict(verdict)
    intensity = verdict["measurement"]["intensity"]
    assert intensity["g_per_kwh"] == 123.0
    live = intensity["live"]
    assert (live["provider"], live["zone"], live["signal"]) == ("electricitymaps", "DE", "average")
    assert live["fallback_reason"] is None and not live["forecast"]
    assert len(live["data"]) == 1 and live["data"][0]["g_per_kwh"] == 123.0
    assert TOKEN not in _everything_written(result, tmp_path)


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(401, {"error": "Invalid auth-token"}), "HTTP 401"),
        (Reply(500, b"boom"), "HTTP 500"),
        (Reply(200, b"{broken"), "malformed"),
        (HANG, "timeout"),
    ],
)
def test_a_failing_provider_falls_back_to_the_bundled_figure_with_the_reason(
    greengate: Greengate, tmp_path: Path, reply: Reply, reason: str
) -> None:
    with grid_server() as server:
        server.routes["/v3/carbon-intensity/latest"] = reply
        result = _run(greengate, tmp_path, _policy(server, timeout="0.5 s"))
    assert result.returncode == 0, result.stderr
    verdict = result.verdict()
    assert_valid_verdict(verdict)
    intensity = verdict["measurement"]["intensity"]
    assert intensity["zone"] == "DEU" and intensity["live"]["data"] == []
    assert intensity["live"]["fallback_reason"].startswith(reason)
    assert any("gave no figure" in note for note in verdict["measurement"]["notes"])
    assert "gave no figure" in result.stderr + result.out
    assert TOKEN not in _everything_written(result, tmp_path)


def test_fallback_error_is_a_greengate_error_but_never_hides_the_commands_own_code(
    greengate: Greengate, tmp_path: Path
) -> None:
    with grid_server() as server:
        server.routes["/v3/carbon-intensity/latest"] = Reply(401, {"error": "Invalid auth-token"})
        failed = _run(greengate, tmp_path, _policy(server, "error"))
        own = _run(greengate, tmp_path, _policy(server, "error"), PY, "-c", "raise SystemExit(5)")
    assert failed.returncode == 3, failed.stderr
    verdict = failed.verdict()
    assert verdict["status"] == "error"
    assert any("grid.fallback is error" in r for r in verdict["reasons"]), verdict["reasons"]
    # the figures are kept, on the bundled yearly figure
    assert verdict["measurement"]["intensity"]["live"]["fallback_reason"].startswith("HTTP 401")
    assert own.returncode == 5
    assert TOKEN not in _everything_written(failed, tmp_path)


def test_the_lookup_overlaps_the_command(greengate: Greengate, tmp_path: Path) -> None:
    # The provider takes 1 s and the command 1.5 s. The lookup must be asked for while the
    # command runs, not after it: the order of the two moments is asserted, not the run's
    # wall time, which a loaded machine stretches.
    with grid_server() as server:
        hour = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0)
        server.routes["/v3/carbon-intensity/latest"] = Reply(
            body={"carbonIntensity": 50, "datetime": hour.isoformat()}, delay_s=1.0
        )
        command = (
            "import pathlib, time; time.sleep(1.5); "
            "pathlib.Path('ended').write_text(repr(time.time()))"
        )
        result = _run(greengate, tmp_path, _policy(server), PY, "-c", command)
    assert result.returncode == 0, result.stderr
    assert result.verdict()["measurement"]["intensity"]["g_per_kwh"] == 50
    [lookup] = [s for s in server.seen if s.path == "/v3/carbon-intensity/latest"]
    assert lookup.at < float((tmp_path / "ended").read_text())


def test_cli_overrides_switch_live_data_off_and_on(greengate: Greengate, tmp_path: Path) -> None:
    with grid_server() as server:
        _latest(server, 77.0)
        off = _run(greengate, tmp_path, _policy(server), options=("--grid-provider", "offline"))
        assert "live" not in off.verdict()["measurement"]["intensity"]
        (tmp_path / "greengate-verdict.json").unlink()
        plain = "version: 1\nbudgets:\n  - max_emissions: 1 kg\n"
        on = _run(
            greengate,
            tmp_path,
            plain,
            env={
                "GREENGATE_GRID_PROVIDER": "electricitymaps",
                "GREENGATE_GRID_ZONE": "DE",
                "GREENGATE_GRID_URL": server.url,
            },
        )
    assert on.returncode == 0, on.stderr
    assert on.verdict()["measurement"]["intensity"]["g_per_kwh"] == 77.0


AUDIT = """
import atexit, runpy, sys
seen = []
def hook(event, args):
    if event.startswith("socket.") and event not in ("socket.__new__",):
        seen.append(event)
    if event == "socket.__new__" and args[1:2] != (1,):  # AF_UNIX is a local pipe, not network
        seen.append(event)
sys.addaudithook(hook)
sys.argv = ["greengate", *sys.argv[1:]]
# At exit: greengate's __main__ ends the process itself, after the atexit handlers.
atexit.register(lambda: open("sockets.json", "w").write(__import__("json").dumps(seen)))
runpy.run_module("greengate", run_name="__main__")
"""


def _audited(tmp_path: Path, policy: str, env: dict[str, str]) -> list[str]:
    import subprocess

    (tmp_path / "greengate.yml").write_text(policy)
    (tmp_path / "audit.py").write_text(AUDIT)
    subprocess.run(
        [PY, "audit.py", "run", "--", PY, "-c", "pass"],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        timeout=60,
        check=False,
    )
    seen: list[str] = json.loads((tmp_path / "sockets.json").read_text())
    return seen


def test_the_default_path_opens_no_socket(tmp_path: Path) -> None:
    policy = "version: 1\ndefaults:\n  country: FRA\nbudgets:\n  - max_emissions: 1 kg\n"
    assert _audited(tmp_path, policy, {}) == []
    # the hook does see a live provider's connection, so the empty list above means something
    with grid_server() as server:
        _latest(server)
        seen = _audited(tmp_path, _policy(server), {"GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN})
    assert "socket.connect" in seen


def test_check_uses_the_live_grid_and_its_fallback_too(
    greengate: Greengate, tmp_path: Path
) -> None:
    with grid_server() as server:
        _latest(server, 222.0)
        first = _run(greengate, tmp_path, _policy(server))
        assert first.returncode == 0, first.stderr
        (tmp_path / "m.json").write_bytes((tmp_path / "greengate-verdict.json").read_bytes())
        env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN}
        checked = greengate("check", "--measurement", "m.json", "--verdict", "c.json", env=env)
        server.routes["/v3/carbon-intensity/latest"] = Reply(401, {"error": "Invalid auth-token"})
        (tmp_path / "greengate.yml").write_text(_policy(server, "error"))
        # the answer above is cached for its hour (one call per slot): forget it
        shutil.rmtree(Path(os.environ["GREENGATE_CACHE_DIR"]) / "grid")
        failed = greengate("check", "--measurement", "m.json", env=env)
    assert checked.returncode == 0, checked.stderr
    assert checked.verdict("c.json")["measurement"]["intensity"]["g_per_kwh"] == 222.0
    assert failed.returncode == 3, failed.stderr
    assert failed.verdict()["status"] == "error"
