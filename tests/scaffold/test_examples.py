"""The README's demo: the example workload under the example policy passes, as shipped.

Runs with an empty hardware cache, so codecarbon's real detection runs beside the command
exactly as on a user's first run; the budget must hold for this machine's real figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from conftest import Greengate
from factories import assert_valid_verdict

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def test_the_demo_passes(greengate: Greengate, tmp_path: Path) -> None:
    cache = tmp_path / "first-run-cache"
    result = greengate(
        "run",
        "--policy",
        str(EXAMPLES / "greengate.yml"),
        "--job",
        "train",
        "--branch",
        "main",
        "--verdict",
        str(tmp_path / "verdict.json"),
        "--",
        sys.executable,
        str(EXAMPLES / "train.py"),
        # The README's demo runs from the repository root; its ledger goes to tmp_path, not
        # into the developer's own .greengate/ledger.db.
        env={"GREENGATE_CACHE_DIR": str(cache), "GREENGATE_LEDGER": str(tmp_path / "l.db")},
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    epochs = [line for line in result.out.splitlines() if line.startswith("epoch")]
    assert epochs, "the workload printed its progress on stdout"
    verdict = result.verdict(str(tmp_path / "verdict.json"))
    assert_valid_verdict(verdict)
    assert (verdict["status"], verdict["rule"]["name"]) == ("pass", "train on main")
    m = verdict["measurement"]
    assert m["energy_kwh"] > 0
    assert m["intensity"]["zone"] == "FRA"  # the policy's grid
    assert m["usage"]["cpu_s"] > 0
    assert any(cache.iterdir()), "the first run cached the detected hardware"
    assert verdict["history"]["ledger"] == str(tmp_path / "l.db")
    # The demo's point: a real budget with room, not one that passes by being huge.
    assert verdict["limits"] and verdict["usage_ratio"] < 0.8, verdict["limits"]
