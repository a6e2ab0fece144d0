"""Units as a user reads and writes them: what greengate prints, it takes back (issue 19)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Greengate

# A figure with its unit, as the console summary prints them.
FIGURE = re.compile(r"(-?\d+(?:\.\d+)?) (nWh|µWh|mWh|Wh|kWh|MWh|GWh|ng|µg|mg|g|kg|t)\b")


def test_the_units_of_the_summary_are_limits_a_policy_and_the_cli_take(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    run = greengate("run", "--intensity", "0.35 kg/kWh", "--", "true")
    assert run.returncode == 0, run.stderr
    assert run.verdict()["measurement"]["intensity"]["g_per_kwh"] == 350.0
    energy = next(line for line in run.stderr.splitlines() if line.strip().startswith("energy"))
    emissions = next(line for line in run.stderr.splitlines() if "emissions" in line)
    figures = FIGURE.findall(energy) + FIGURE.findall(emissions)
    assert len(figures) >= 5, energy  # total, cpu, memory, the range's two ends
    for number, unit in figures:
        # Three significant digits in a scaled unit: never "memory 0.0000638 mWh".
        assert not number.startswith("0.0"), (number, unit, energy)
    # Every figure printed, read back as a limit, is accepted and keeps its size.
    limits = "".join(
        f"  - job: j{i}\n    max_{'energy' if unit.endswith('Wh') else 'emissions'}: "
        f"{number} {unit}\n"
        for i, (number, unit) in enumerate(figures)
        if float(number) > 0
    )
    (tmp_path / "printed.yml").write_text(f"version: 1\nbudgets:\n{limits}  - max_energy: 1\n")
    valid = greengate("validate", "printed.yml")
    assert valid.returncode == 0, valid.stderr
    for number, unit in figures:
        if float(number) > 0:
            assert f"{number} {unit}" in valid.out


def test_one_range_of_grid_intensity_on_the_command_line_and_in_a_policy(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    for good in ("0", "2000", "1306 g/kWh"):
        run = greengate("run", "--quiet", "--intensity", good, "--", "true")
        assert run.returncode == 0, (good, run.stderr)
        policy = f"version: 1\ndefaults:\n  intensity: {good}\nbudgets:\n  - max_energy: 1\n"
        (tmp_path / "p.yml").write_text(policy)
        assert greengate("validate", "p.yml").returncode == 0, good
    for bad in ("2001", "2.5 kg/kWh", "5000"):
        run = greengate("run", "--quiet", "--intensity", bad, "--", "true")
        assert run.returncode == 2, (bad, run.stderr)
        assert "from 0 to 2000 g CO2e/kWh" in run.stderr
        policy = f"version: 1\ndefaults:\n  intensity: {bad}\nbudgets:\n  - max_energy: 1\n"
        (tmp_path / "p.yml").write_text(policy)
        refused = greengate("validate", "p.yml")
        assert refused.returncode == 2 and "from 0 to 2000 g CO2e/kWh" in refused.stderr
    hint = greengate("run", "--help").out
    assert "0 to 2000 g CO2e/kWh" in " ".join(hint.split())


def test_a_bundled_figure_of_zero_is_said_so(greengate: Greengate, tmp_path: Path) -> None:
    # issue 19: --country CAF gave 0 emissions without a word.
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    run = greengate("run", "--country", "CAF", "--", "true")
    assert run.returncode == 0, run.stderr
    said = " ".join(run.stderr.split())
    assert "codecarbon's bundled figure for CAF is 0 g CO2e/kWh" in said
    assert any("bundled figure for CAF" in n for n in run.verdict()["measurement"]["notes"])
    (tmp_path / "caf.yml").write_text(
        "version: 1\ndefaults:\n  country: CAF\nbudgets:\n  - max_emissions: 1 kg\n"
    )
    valid = greengate("validate", "caf.yml")
    assert (
        valid.returncode == 0 and "warning: grid: codecarbon's bundled figure for CAF" in valid.out
    )
    france = greengate("run", "--country", "FRA", "--", "true")
    assert "bundled figure" not in france.stderr
