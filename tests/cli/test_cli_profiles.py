"""``greengate profiles``: the built-in profiles and this machine's, through the command group."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from greengate.cli import cli
from greengate.cli import profiles as profiles_command
from greengate.energy.profiles import builtin_profiles

GITHUB = {"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted", "RUNNER_OS": "Linux"}


@pytest.fixture
def machine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 4-vCPU EPYC whose DMI says nothing known; returns its DMI directory."""
    dmi = tmp_path / "dmi"
    dmi.mkdir()
    (dmi / "sys_vendor").write_text("QEMU\n")
    monkeypatch.setenv("GREENGATE_DMI_DIR", str(dmi))
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(
        profiles_command, "cpuinfo_fields", lambda: {"model name": "AMD EPYC 7763 64-Core"}
    )
    return dmi


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    # Wide enough that each profile's name and reason stay on one line.
    return CliRunner().invoke(cli, ["profiles", *args], env={"COLUMNS": "250", **(env or {})})


def marked_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("* ")]


def test_the_list_names_every_built_in_profile(machine: Path) -> None:
    result = invoke()
    assert result.exit_code == 0, result.output
    for profile in builtin_profiles(4):
        assert f"  {profile.name}: {profile.title}\n" in result.output
    assert "Runner profiles (watts for the whole VM share; * this machine's)" in result.output
    assert "    4 vCPUs, 1.76 W idle to 8.18 W busy, PUE 1.19; embodied 36 kg CO2e over 4 " in (
        result.output
    )
    assert (
        "* this machine: none (codecarbon's TDP table): no runner profile fits this machine "
        "(DMI sys_vendor 'QEMU')" in result.output
    )


def test_the_detected_profile_is_marked_with_the_reason(machine: Path) -> None:
    result = invoke(env=GITHUB)
    assert result.exit_code == 0, result.output
    marked = marked_lines(result.output)
    assert marked[0] == "* github-linux-4vcpu: GitHub-hosted Linux runner, 4 vCPU"
    assert len(marked) == 2  # the profile, then the line that says why
    assert (
        "* this machine: github-linux-4vcpu: GitHub-hosted runner "
        "(RUNNER_ENVIRONMENT=github-hosted), 4 vCPUs"
    ) in result.output


def test_a_scaled_profile_gets_its_own_marked_row_and_notes(
    machine: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 6)
    monkeypatch.setattr(profiles_command, "cpuinfo_fields", lambda: {})
    result = invoke(env=GITHUB)
    assert result.exit_code == 0, result.output
    marked = marked_lines(result.output)
    assert len(marked) == 2 and marked[0].endswith("scaled to 6 vCPUs")
    assert "  note: 6 vCPUs is not a GitHub runner size" in result.output
    assert "  note: the CPU is unknown, not the AMD EPYC 7763" in result.output


@pytest.mark.parametrize("env", [GITHUB, {}])
def test_at_80_columns_in_a_ci_log_nothing_is_cut(machine: Path, env: dict[str, str]) -> None:
    # CliRunner's output is no terminal, as a CI log: the width comes from COLUMNS alone.
    result = invoke(env={**env, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.output  # no cell cut short
    words = result.output.split()
    for profile in builtin_profiles(4):
        # Every word of each profile's title and source is there, wrapped but whole.
        for text in (profile.title, profile.source):
            assert " ".join(text.split()) in " ".join(words)


def test_without_columns_or_a_terminal_the_width_is_80(machine: Path) -> None:
    result = CliRunner().invoke(cli, ["profiles"], env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_json_holds_the_same(machine: Path) -> None:
    result = invoke("--json", env=GITHUB)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["vcpus"] == 4
    assert data["cpu_model"] == "AMD EPYC 7763 64-Core"
    assert [p["name"] for p in data["profiles"]] == [p.name for p in builtin_profiles(4)]
    four = data["profiles"][1]
    assert four["name"] == "github-linux-4vcpu"
    assert four["idle_watts"] == pytest.approx(1.7586, abs=1e-4)
    assert four["max_watts"] == pytest.approx(8.1796, abs=1e-4)
    assert (four["pue"], four["band"], four["lifetime_years"]) == (1.185, [0.8, 1.25], 4.0)
    assert four["embodied_kg"] == pytest.approx(35.99, abs=0.01)
    assert data["detected"] == {
        "profile": four,
        "reason": "GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted), 4 vCPUs",
        "notes": [],
    }


def test_json_without_a_fit(machine: Path) -> None:
    data = json.loads(invoke("--json").output)
    assert data["detected"]["profile"] is None
    assert data["detected"]["reason"].startswith("no runner profile fits this machine")


def test_a_cloud_vm_gets_its_provider_sized_to_the_machine(machine: Path) -> None:
    (machine / "sys_vendor").write_text("Amazon EC2\n")
    data = json.loads(invoke("--json").output)
    assert data["detected"]["profile"]["name"] == "aws"
    assert data["detected"]["profile"]["vcpus"] == 4
    assert data["detected"]["profile"] in data["profiles"]


def test_the_command_is_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "profiles" in result.output
