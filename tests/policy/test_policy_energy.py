"""The policy's ``energy:`` section: the settings it builds and a located error for each mistake."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from greengate.energy.profiles import builtin_profiles
from greengate.errors import PolicyError
from greengate.measurement import Scope
from greengate.policy.energy_settings import builtin_profile_names
from greengate.policy.loader import load_policy_text
from greengate.policy.model import CustomProfile, EnergySettings

BUDGETS = "budgets:\n  - max_energy: 1\n"
ROOT = Path(__file__).parent.parent.parent
SCHEMA = ROOT / "greengate/schemas/policy.schema.json"


def energy_of(section: str) -> EnergySettings:
    return load_policy_text("version: 1\n" + textwrap.dedent(section) + BUDGETS, "p.yml").energy


def error_of(section: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy_text("version: 1\n" + textwrap.dedent(section) + BUDGETS, "p.yml")
    return caught.value


def test_without_the_section_everything_is_detected() -> None:
    assert energy_of("") == EnergySettings(profile=None, scope=None, include_embodied=False)
    assert energy_of("energy:\n") == EnergySettings()
    assert energy_of("energy: {profile: null, scope: null}\n") == EnergySettings()


def test_a_named_profile_scope_and_embodied() -> None:
    settings = energy_of(
        """\
        energy:
          profile: github-linux-4vcpu
          scope: machine
          include_embodied: true
        """
    )
    assert settings == EnergySettings("github-linux-4vcpu", Scope.MACHINE, include_embodied=True)
    assert energy_of("energy: {scope: process}\n").scope is Scope.PROCESS


@pytest.mark.parametrize("name", builtin_profile_names())
def test_every_built_in_name_is_accepted(name: str) -> None:
    assert energy_of(f"energy: {{profile: {name}}}\n").profile == name


def test_custom_coefficients_become_a_custom_profile() -> None:
    settings = energy_of(
        """\
        energy:
          profile:
            idle_watts_per_vcpu: 0.74
            max_watts_per_vcpu: 3.5
            vcpus: 4
            embodied_kg_per_vcpu: 9
            lifetime_years: 4
            pue: 1.135
            name: my-runners
        """
    )
    assert settings.profile == CustomProfile(
        idle_watts_per_vcpu=0.74,
        max_watts_per_vcpu=3.5,
        vcpus=4,
        embodied_kg_per_vcpu=9.0,
        lifetime_years=4.0,
        pue=1.135,
        name="my-runners",
    )


def test_custom_coefficients_need_only_the_two_powers() -> None:
    profile = energy_of("energy:\n  profile: {idle_watts_per_vcpu: 0, max_watts_per_vcpu: 2}\n")
    assert profile.profile == CustomProfile(0.0, 2.0)
    assert isinstance(profile.profile, CustomProfile)
    assert (profile.profile.vcpus, profile.profile.pue, profile.profile.name) == (
        None,
        None,
        "custom",
    )
    # Equal idle and full-load power is a flat curve, not a mistake.
    assert energy_of("energy:\n  profile: {idle_watts_per_vcpu: 2, max_watts_per_vcpu: 2}\n")


def test_the_schema_offers_editors_the_built_in_names() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["$defs"]["profile"]["examples"] == [p.name for p in builtin_profiles(1)]


def test_the_examples_in_the_reference_load() -> None:
    text = (ROOT / "docs/policy.md").read_text()
    blocks = re.findall(r"```yaml\n(energy:\n.*?)```", text, re.S)
    assert len(blocks) == 2
    loaded = [energy_of(block) for block in blocks]
    assert loaded[0] == EnergySettings("github-linux-4vcpu", Scope.MACHINE, include_embodied=True)
    assert isinstance(loaded[1].profile, CustomProfile) and loaded[1].profile.name == "my-runners"


def test_defaults_pue_stays_optional() -> None:
    policy = load_policy_text("version: 1\n" + BUDGETS, "p.yml")
    assert policy.defaults.pue is None
    policy = load_policy_text("version: 1\ndefaults:\n  pue: null\n" + BUDGETS, "p.yml")
    assert policy.defaults.pue is None


# --- mistakes --------------------------------------------------------------------------------

COEFFICIENTS = (
    "energy:\n  profile:\n    idle_watts_per_vcpu: {idle}\n    max_watts_per_vcpu: {full}\n"
)


def custom(extra: str = "", idle: str = "0.5", full: str = "3.5") -> str:
    return COEFFICIENTS.format(idle=idle, full=full) + "".join(
        f"    {line}\n" for line in extra.splitlines()
    )


@pytest.mark.parametrize(
    ("section", "line", "column", "key_path", "words"),
    [
        (
            "energy:\n  profile: github-linux-4cpu\n",
            3,
            12,
            "energy.profile",
            "unknown energy profile 'github-linux-4cpu' (did you mean 'github-linux-4vcpu'?)",
        ),
        (
            "energy:\n  profile: raspberry-pi\n",
            3,
            12,
            "energy.profile",
            "(built-in profiles: github-linux-2vcpu, github-linux-4vcpu",
        ),
        ("energy:\n  profile: ''\n", 3, 12, "energy.profile", "expected a built-in profile name"),
        (
            "energy:\n  profile: 4\n",
            3,
            12,
            "energy.profile",
            "got 4 (quote it if you mean the text)",
        ),
        ("energy:\n  profile: [aws]\n", 3, 12, "energy.profile", "or a mapping of coefficients"),
        (
            custom(idle="-0.5"),
            4,
            26,
            "energy.profile.idle_watts_per_vcpu",
            "expected the watts of one vCPU's share at 0 % load, from 0 to 50, e.g. 0.74, got -0.5",
        ),
        (
            custom(full="0"),
            5,
            25,
            "energy.profile.max_watts_per_vcpu",
            "expected the watts of one vCPU's share at 100 % load, above 0 and up to 50",
        ),
        (custom(full="-3"), 5, 25, "energy.profile.max_watts_per_vcpu", "got -3"),
        (
            custom(full="350"),
            5,
            25,
            "energy.profile.max_watts_per_vcpu",
            "up to 50, e.g. 3.5, got 350",
        ),
        (custom(idle="51", full="52"), 4, 26, "energy.profile.idle_watts_per_vcpu", "got 51"),
        (
            custom(idle="5", full="3.5"),
            4,
            26,
            "energy.profile.idle_watts_per_vcpu",
            "expected idle power at most the full-load power: idle_watts_per_vcpu 5 W is above "
            "max_watts_per_vcpu 3.5 W (line 5)",
        ),
        (custom("vcpus: 0"), 6, 12, "energy.profile.vcpus", "from 1 to 1024, got 0"),
        (custom("vcpus: 2048"), 6, 12, "energy.profile.vcpus", "got 2048"),
        (custom("vcpus: 2.5"), 6, 12, "energy.profile.vcpus", "a whole number of vCPUs"),
        (custom("lifetime_years: 0.5"), 6, 21, "energy.profile.lifetime_years", "from 1 to 15"),
        (custom("lifetime_years: 40"), 6, 21, "energy.profile.lifetime_years", "got 40"),
        (
            custom("embodied_kg_per_vcpu: 5000"),
            6,
            27,
            "energy.profile.embodied_kg_per_vcpu",
            "from 0 to 1000, e.g. 9, got 5000",
        ),
        (
            custom("embodied_kg_per_vcpu: -1"),
            6,
            27,
            "energy.profile.embodied_kg_per_vcpu",
            "got -1",
        ),
        (
            custom("pue: 0.9"),
            6,
            10,
            "energy.profile.pue",
            "expected a power usage effectiveness from 1.0 to 3.0, e.g. 1.2, got 0.9",
        ),
        (custom("pue: 3.5"), 6, 10, "energy.profile.pue", "got 3.5"),
        (custom("name: ''"), 6, 11, "energy.profile.name", "expected a non-empty string"),
        (
            custom("idle_watts_per_vcpu2: 1"),
            6,
            5,
            "energy.profile.idle_watts_per_vcpu2",
            "unknown key 'idle_watts_per_vcpu2' (did you mean 'idle_watts_per_vcpu'?)",
        ),
        (
            "energy:\n  profile:\n    idle_watts_per_vcpu: 1\n",
            4,
            5,
            "energy.profile",
            "missing required key 'max_watts_per_vcpu'",
        ),
        (custom(idle="'1 W'"), 4, 26, "energy.profile.idle_watts_per_vcpu", "got '1 W'"),
        (custom(idle="true"), 4, 26, "energy.profile.idle_watts_per_vcpu", "got true"),
        (custom(idle=".nan"), 4, 26, "energy.profile.idle_watts_per_vcpu", "not a finite number"),
        (
            "energy:\n  scope: proces\n",
            3,
            10,
            "energy.scope",
            "expected one of process, machine, got 'proces' (did you mean 'process'?)",
        ),
        (
            "energy:\n  include_embodied: yes\n",
            3,
            21,
            "energy.include_embodied",
            "expected true or false, got 'yes'",
        ),
        (
            "energy:\n  profle: aws\n",
            3,
            3,
            "energy.profle",
            "unknown key 'profle' (did you mean 'profile'?)",
        ),
        (
            "energy: aws\n",
            2,
            9,
            "energy",
            "expected a mapping of settings: profile, scope, include_embodied, got 'aws'",
        ),
    ],
)
def test_mistakes_are_located_and_say_what_was_expected(
    section: str, line: int, column: int, key_path: str, words: str
) -> None:
    e = error_of(section)
    assert (e.file, e.line, e.column, e.key_path) == ("p.yml", line, column, key_path)
    assert str(e).startswith(f"p.yml:{line}:{column}: {key_path}: ")
    assert words in str(e)


def test_an_out_of_range_idle_power_is_not_also_compared_with_the_full_power() -> None:
    e = error_of(custom(idle="60", full="3.5"))
    assert "got 60" in str(e)
    assert "full-load" not in str(e)


def test_several_energy_mistakes_are_listed_together() -> None:
    e = error_of(custom("vcpus: 0\npue: 9") + "  scope: all\n")
    lines = str(e).splitlines()
    assert lines[0].startswith("p.yml:6:12: energy.profile.vcpus: ")
    assert lines[1].startswith("  also p.yml:7:10: energy.profile.pue: ")
    assert lines[2].startswith("  also p.yml:8:10: energy.scope: ")
