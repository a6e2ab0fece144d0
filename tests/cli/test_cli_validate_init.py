"""``greengate validate`` and ``greengate init`` through the command group and as a process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from greengate import __version__
from greengate.cli import cli
from greengate.errors import UsageError
from greengate.policy.loader import load_policy, load_policy_text
from greengate.policy.model import CustomProfile, EnergySettings
from greengate.scaffold.starter import NewFile, schema_path, starter_policy, write_new_file

VALID = """\
version: 1
budgets:
  - name: main
    branch: main
    max_emissions: 10 g
  - max_emissions: 50 g
"""
INVALID = "version: 1\nbudgets:\n  - max_emissions: 5 kgs\n"
ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GREENGATE_POLICY", raising=False)
    return tmp_path


def test_validate_describes_a_valid_policy(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text(VALID)
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "policy greengate.yml (version 1) is valid"
    assert "  1. 'main' (line 3): any job, branch main -> max 10 g CO2e" in result.output
    assert "on branch" not in result.output  # no match asked for


def test_validate_describes_the_energy_settings(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text(VALID + "energy:\n  profile: aws\n  scope: machine\n")
    result = invoke("validate")
    assert result.exit_code == 0, result.output
    assert "energy profile: aws (built-in; greengate profiles shows its figures)" in result.output
    assert "scope: machine (the whole machine for the run's duration" in result.output
    assert "embodied emissions: reported, not counted in budgets" in result.output


def test_validate_refuses_an_unknown_energy_profile_by_line(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text(VALID + "energy:\n  profile: github-linux-5vcpu\n")
    result = invoke("validate")
    assert result.exit_code == 2
    assert "greengate.yml:8:12: energy.profile: unknown energy profile 'github-linux-5vcpu'" in (
        result.output
    )


def test_validate_says_which_rule_a_run_would_get(in_tmp: Path) -> None:
    (in_tmp / "p.yml").write_text(VALID)
    result = invoke("validate", "p.yml", "--job", "test", "--branch", "feature/x")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == (
        "job 'test' on branch 'feature/x': rule 2 budgets[1] (line 6), mode enforce"
    )


def test_validate_reads_the_path_from_the_environment(in_tmp: Path) -> None:
    (in_tmp / "ci.yml").write_text(VALID)
    result = invoke("validate", env={"GREENGATE_POLICY": "ci.yml"})
    assert result.exit_code == 0, result.output
    assert "policy ci.yml (version 1) is valid" in result.output


def test_an_invalid_policy_exits_2_with_a_located_message(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text(INVALID)
    result = invoke("validate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "greengate: error: greengate.yml:3:20: budgets[0].max_emissions: expected a positive "
        "amount with a unit: ng, µg, mg, g, kg or t (bare number = kg), got '5 kgs'"
    )
    assert "Traceback" not in result.output


def test_a_missing_policy_exits_2_and_suggests_init() -> None:
    result = invoke("validate", "nope.yml")
    assert result.exit_code == 2
    assert "greengate: error: nope.yml: no such policy file" in result.stderr
    assert "hint: run `greengate init`" in result.stderr


def test_init_writes_a_starter_that_validates(in_tmp: Path) -> None:
    result = invoke("init")
    assert result.exit_code == 0, result.output
    assert "wrote starter policy greengate.yml" in result.output
    text = (in_tmp / "greengate.yml").read_text()
    assert text == starter_policy("greengate.yml")
    assert load_policy("greengate.yml").version == 1
    assert invoke("validate").exit_code == 0


def test_the_starter_s_commented_energy_example_validates_when_uncommented(in_tmp: Path) -> None:
    text = starter_policy("greengate.yml")
    assert load_policy_text(text, "greengate.yml").energy == EnergySettings()
    named = re.sub(r"^# (energy:|  (profile|scope|include_embodied):)", r"\1", text, flags=re.M)
    assert load_policy_text(named, "named.yml").energy.profile == "github-linux-4vcpu"
    coefficients = named.replace("  profile: github-linux-4vcpu", "#").replace(
        "#   # profile:", "  profile:"
    )
    custom = load_policy_text(coefficients, "custom.yml").energy.profile
    assert isinstance(custom, CustomProfile) and custom.name == "my-runners"


def test_the_starter_points_editors_at_this_versions_published_schema(in_tmp: Path) -> None:
    # issue 19: the starter named /…/site-packages/greengate/schemas/…: right on the machine
    # that ran init, wrong for everyone the policy is committed for; and docs/policy.md,
    # which pip users do not have.
    text = starter_policy(str(in_tmp / "greengate.yml"))
    first = text.splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert first.startswith(prefix)
    schema = first.removeprefix(prefix)
    raw = "https://raw.githubusercontent.com/greengate/greengate/"
    assert schema == f"{raw}v{__version__}/greengate/schemas/policy.schema.json"
    # The URL's path is where the installed schema sits in the repository.
    assert Path(schema_path()).resolve() == (ROOT / schema.removeprefix(raw).split("/", 1)[1])
    assert str(Path(schema_path()).parent) not in text  # no path of this machine
    page = f"https://github.com/greengate/greengate/blob/v{__version__}/docs/policy.md"
    assert f"# Reference: {page}\n" in text
    assert "Reference: docs/policy.md" not in text and "__" not in text
    assert (ROOT / "docs/policy.md").is_file()


def test_a_project_with_greengate_installed_inside_keeps_a_relative_schema() -> None:
    installed = Path(schema_path()).resolve()
    project = installed.parents[2]  # greengate/schemas/policy.schema.json under the checkout
    first = starter_policy(str(project / "greengate.yml")).splitlines()[0]
    assert first == "# yaml-language-server: $schema=greengate/schemas/policy.schema.json"


def test_init_refuses_to_overwrite(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text("mine\n")
    result = invoke("init")
    assert result.exit_code == 2
    assert "greengate: error: greengate.yml already exists; not overwriting it" in result.stderr
    assert "remove it, or give another path" in result.stderr
    assert (in_tmp / "greengate.yml").read_text() == "mine\n"


def test_init_creates_missing_directories(in_tmp: Path) -> None:
    result = invoke("init", "ci/policy.yml")
    assert result.exit_code == 0, result.output
    assert load_policy("ci/policy.yml").budgets


def test_a_file_created_after_the_check_is_still_not_overwritten(in_tmp: Path) -> None:
    # write_new_file is what init ends in; the target appearing first must win.
    (in_tmp / "greengate.yml").write_text("theirs\n")
    with pytest.raises(UsageError, match="already exists"):
        write_new_file(NewFile("greengate.yml", "ours\n", "starter policy"))
    assert (in_tmp / "greengate.yml").read_text() == "theirs\n"
    assert sorted(os.listdir(in_tmp)) == ["greengate.yml"]  # no temporary file left


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anything")
def test_init_into_a_read_only_directory_exits_2(in_tmp: Path) -> None:
    (in_tmp / "ro").mkdir(mode=0o500)
    result = invoke("init", "ro/greengate.yml")
    assert result.exit_code == 2
    assert "cannot write ro/greengate.yml: Permission denied" in result.stderr


def test_init_under_a_file_exits_2(in_tmp: Path) -> None:
    (in_tmp / "notes.txt").write_text("")
    result = invoke("init", "notes.txt/greengate.yml")
    assert result.exit_code == 2
    assert "cannot create the directory for notes.txt/greengate.yml" in result.stderr


def test_the_installed_command_exits_2_without_a_traceback(in_tmp: Path) -> None:
    (in_tmp / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emmisions: 5 g\n")
    done = subprocess.run(
        [sys.executable, "-m", "greengate", "validate"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert "did you mean 'max_emissions'?" in done.stderr
    assert "Traceback" not in done.stderr
