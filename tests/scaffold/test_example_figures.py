"""The comments of examples/greengate.yml say what the example really measures (issue 19: they
said "a few mWh" and "10-40x" the usage, where a run measured 0.6 mWh, about 1 % of the limit).

Runs ``make demo``'s command for real and reads the figures its comments state back from the
file, so a comment and the measurement cannot drift apart unnoticed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from conftest import Greengate

from greengate.intensity.offline import OfflineIntensity
from greengate.policy.loader import load_policy
from greengate.policy.model import GridSetting
from greengate.units import parse_emissions, parse_energy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "examples/greengate.yml"


def stated(pattern: str) -> re.Match[str]:
    found = re.search(pattern, POLICY.read_text(), re.S)
    assert found, f"examples/greengate.yml no longer says {pattern!r}"
    return found


def test_the_examples_comments_state_what_the_demo_measures(greengate: Greengate) -> None:
    demo = greengate(
        "run",
        "--policy",
        str(POLICY),
        "--job",
        "train",
        "--branch",
        "main",
        "--quiet",
        "--",
        sys.executable,
        str(ROOT / "examples/train.py"),
        timeout=180,
    )
    assert demo.returncode == 0, demo.stderr
    measured = demo.verdict()["measurement"]
    kwh, cpu_s = measured["energy_kwh"], measured["usage"]["cpu_s"]
    low, high = stated(r"charges ([\d.]+) to ([\d.]+) mWh").groups()
    assert parse_energy(f"{low} mWh") <= kwh <= parse_energy(f"{high} mWh"), kwh
    fewest, most = stated(r"# (\d+) to (\d+) times what the example uses").groups()
    rule = load_policy(str(POLICY)).budgets[0]
    assert rule.name == "train on main" and rule.max_energy_kwh is not None
    assert int(fewest) <= rule.max_energy_kwh / kwh <= int(most)
    cpu_low, cpu_high = stated(r"# ([\d.]+) to ([\d.]+) CPU-seconds").groups()
    assert float(cpu_low) <= cpu_s <= float(cpu_high), cpu_s
    failing = stated(r"To watch it fail, set max_energy: ([\d.]+ mWh)")[1]
    assert parse_energy(failing) < kwh
    grams = stated(r"50 mWh on the French grid \((\d+) g/kWh\) is about (\d+) mg")
    france = OfflineIntensity().lookup(GridSetting(country="FRA")).g_per_kwh
    assert round(france) == int(grams[1])
    assert round(parse_energy("50 mWh") * france / 1000 * 1e6) == int(grams[2])
    assert rule.max_emissions_kg == parse_emissions("10 mg")
