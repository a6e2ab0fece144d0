"""The issue's examples end to end, in processes: whatever a grid server does, the command's
own exit code and its verdict survive, and the grid timeout bounds ``when`` and ``run``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from conftest import Greengate
from grid_server import GridServer, Reply, grid_server

TOKEN = "em-cli-token-31337"
PY = sys.executable


def _policy(server: GridServer, provider: str = "electricitymaps", zone: str = "DE") -> str:
    return (
        "version: 1\ndefaults:\n  country: DEU\nbudgets:\n  - max_emissions: 1 kg\n"
        f"grid:\n  provider: {provider}\n  zone: {zone}\n  url: {server.url}\n  timeout: 2 s\n"
    )


@pytest.mark.parametrize(
    ("provider", "zone", "body"),
    [
        ("uk-carbon-intensity", "national", {"data": []}),
        ("electricitymaps", "DE", {"data": []}),
        ("electricitymaps", "DE", b"[" * 100_000 + b"]" * 100_000),
        ("electricitymaps", "DE", {"carbonIntensity": "302", "datetime": "2026-12-01T10:00Z"}),
    ],
)
def test_any_provider_answer_keeps_the_commands_exit_code(
    greengate: Greengate, tmp_path: Path, provider: str, zone: str, body: object
) -> None:
    with grid_server() as server:
        server.default = Reply(body=body)
        (tmp_path / "greengate.yml").write_text(_policy(server, provider, zone))
        env = {"GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN}
        for code in (0, 5):
            result = greengate("run", "--", PY, "-c", f"raise SystemExit({code})", env=env)
            assert result.returncode == code, result.stderr
            assert "internal error" not in result.stderr
            live = result.verdict()["measurement"]["intensity"]["live"]
            assert live["fallback_reason"].startswith(("malformed", "no data"))


def test_when_against_a_dripping_server_ends_at_its_timeout(
    greengate: Greengate, tmp_path: Path
) -> None:
    with grid_server() as server:
        server.default = Reply(body={"forecast": [], "pad": "x" * 400}, drip_s=0.05)
        (tmp_path / "greengate.yml").write_text(_policy(server))
        began = time.monotonic()
        result = greengate(
            "when",
            "--duration",
            "45m",
            "--within",
            "8h",
            env={"GREENGATE_ELECTRICITYMAPS_TOKEN": TOKEN},
        )
        took = time.monotonic() - began
    assert result.returncode != 0 and "internal error" not in result.stderr
    assert "2 s" in result.stderr
    assert took < 10  # the 2 s timeout and the process's start-up, not the 20 s of dripping
    assert TOKEN not in result.stderr
