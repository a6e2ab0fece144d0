"""``greengate profiles``: the built-in profiles and this machine's, through the command group."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from greengate.cli import cli
from greengate.cli.profiles import listing
from greengate.energy.hardware import cpuinfo_fields
from greengate.energy.profiles import builtin_profiles

GITHUB = {"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted", "RUNNER_OS": "Linux"}


EPYC = "AMD EPYC 7763 64-Core"


@pytest.fixture
def dmi(tmp_path: Path) -> Path:
    """DMI identity files that name nothing known."""
    directory = tmp_path / "dmi"
    directory.mkdir()
    (directory / "sys_vendor").write_text("QEMU\n")
    return directory


def listed(
    dmi: Path,
    env: dict[str, str] | None = None,
    *,
    cpu_model: str = EPYC,
    vcpus: int = 4,
    width: int = 250,  # wide enough that each profile's name and reason stay on one line
    as_json: bool = False,
) -> str:
    """What ``greengate profiles`` prints on a 4-vCPU EPYC (by default) with these DMI files."""
    machine = {"GREENGATE_DMI_DIR": str(dmi), **(env or {})}
    return listing(machine, cpu_model, vcpus, width=width, as_json=as_json)


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["profiles", *args], env={"COLUMNS": "250", **(env or {})})


def marked_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("* ")]


def test_the_list_names_every_built_in_profile(dmi: Path) -> None:
    output = listed(dmi) + "\n"
    for profile in builtin_profiles(4):
        assert f"  {profile.name}: {profile.title}\n" in output
    assert "Runner profiles (watts for the whole VM share; * this machine's)" in output
    assert "    4 vCPUs, 1.76 W idle to 8.18 W busy, PUE 1.19; embodied 36 kg CO2e over 4 " in (
        output
    )
    assert (
        "* this machine: none (codecarbon's TDP table): no runner profile fits this machine "
        "(DMI sys_vendor 'QEMU')" in output
    )


def test_the_detected_profile_is_marked_with_the_reason(dmi: Path) -> None:
    output = listed(dmi, GITHUB)
    marked = marked_lines(output)
    assert marked[0] == "* github-linux-4vcpu: GitHub-hosted Linux runner, 4 vCPU"
    assert len(marked) == 2  # the profile, then the line that says why
    assert (
        "* this machine: github-linux-4vcpu: GitHub-hosted runner "
        "(RUNNER_ENVIRONMENT=github-hosted), 4 vCPUs"
    ) in output


def test_a_scaled_profile_gets_its_own_marked_row_and_notes(dmi: Path) -> None:
    output = listed(dmi, GITHUB, cpu_model="", vcpus=6)
    marked = marked_lines(output)
    assert len(marked) == 2 and marked[0].endswith("scaled to 6 vCPUs")
    assert "  note: 6 vCPUs is not a GitHub runner size" in output
    assert "  note: the CPU is unknown, not the AMD EPYC 7763" in output


@pytest.mark.parametrize("env", [GITHUB, {}])
@pytest.mark.parametrize(("cpu_model", "vcpus"), [(EPYC, 4), ("", 6)])
def test_at_80_columns_nothing_is_cut(
    dmi: Path, env: dict[str, str], cpu_model: str, vcpus: int
) -> None:
    output = listed(dmi, env, cpu_model=cpu_model, vcpus=vcpus, width=80)
    lines = output.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in output  # no cell cut short
    words = output.split()
    for profile in builtin_profiles(vcpus):
        # Every word of each profile's title and source is there, wrapped but whole.
        for text in (profile.title, profile.source):
            assert " ".join(text.split()) in " ".join(words)


@pytest.mark.parametrize("env", [GITHUB, {}])
def test_in_a_ci_log_the_command_keeps_to_columns(env: dict[str, str]) -> None:
    # CliRunner's output is no terminal, as a CI log: the width comes from COLUMNS alone.
    result = invoke(env={**env, "COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80
    assert result.output.rstrip("\n") == listed(
        Path(os.environ["GREENGATE_DMI_DIR"]),
        env,
        cpu_model=cpuinfo_fields().get("model name", ""),
        vcpus=os.cpu_count() or 1,
        width=80,
    )


def test_without_columns_or_a_terminal_the_width_is_80() -> None:
    result = CliRunner().invoke(cli, ["profiles"], env={"COLUMNS": None})
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_json_holds_the_same(dmi: Path) -> None:
    data = json.loads(listed(dmi, GITHUB, as_json=True))
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


def test_json_without_a_fit(dmi: Path) -> None:
    data = json.loads(listed(dmi, as_json=True))
    assert data["detected"]["profile"] is None
    assert data["detected"]["reason"].startswith("no runner profile fits this machine")


def test_a_cloud_vm_gets_its_provider_sized_to_the_machine(dmi: Path) -> None:
    (dmi / "sys_vendor").write_text("Amazon EC2\n")
    data = json.loads(listed(dmi, as_json=True))
    assert data["detected"]["profile"]["name"] == "aws"
    assert data["detected"]["profile"]["vcpus"] == 4
    assert data["detected"]["profile"] in data["profiles"]


def test_the_command_reports_this_machine(dmi: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GREENGATE_DMI_DIR", str(dmi))
    result = invoke("--json", env=GITHUB)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["vcpus"] == (os.cpu_count() or 1)
    assert data["cpu_model"] == (cpuinfo_fields().get("model name") or None)
    here = listed(dmi, GITHUB, cpu_model=data["cpu_model"] or "", vcpus=data["vcpus"], as_json=True)
    assert data == json.loads(here)


def test_the_command_is_listed_in_help() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "profiles" in result.output
