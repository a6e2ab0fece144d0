"""Which runner profile a machine gets: the policy's, else the hosted runner or cloud VM it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from greengate.energy.profiles import UnknownProfileError, profile_by_name
from greengate.energy.runner_detection import choose_profile, read_dmi
from greengate.policy.model import CustomProfile

EPYC = "AMD EPYC 7763 64-Core Processor"
GITHUB = {"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted", "RUNNER_OS": "Linux"}
GITLAB = {
    "GITLAB_CI": "true",
    "CI_SERVER_HOST": "gitlab.com",
    "CI_RUNNER_TAGS": '["saas-linux-medium-amd64"]',
    "CI_RUNNER_DESCRIPTION": "3-green.saas-linux-medium-amd64.runners-manager.gitlab.com/default",
}


def dmi(tmp_path: Path, **files: str) -> Path:
    """A fake /sys/class/dmi/id holding ``files``."""
    directory = tmp_path / "dmi"
    directory.mkdir(exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text + "\n")
    return directory


@pytest.fixture
def bare(tmp_path: Path) -> Path:
    """A DMI directory of a desktop no cloud rule matches."""
    return dmi(tmp_path, sys_vendor="LENOVO", product_name="20XW0055GE")


# --- the policy's setting wins ----------------------------------------------------------------


def test_a_named_profile_is_scaled_to_the_vcpus_here(bare: Path) -> None:
    choice = choose_profile("github-linux-4vcpu", GITHUB, EPYC, 8, bare)
    named = profile_by_name("github-linux-4vcpu", 8)
    assert choice.profile == named.scaled(8)
    assert choice.profile is not None and choice.profile.vcpus == 8
    assert choice.profile.name == "github-linux-4vcpu"
    # Per vCPU the same hardware: a fully busy machine costs twice the 4-vCPU share.
    assert choice.profile.curve.max_watts == pytest.approx(2 * named.curve.max_watts)
    assert choice.reason == "energy.profile github-linux-4vcpu in the policy"
    assert choice.notes == (
        "the profile github-linux-4vcpu is for 4 vCPUs and this machine has 8; "
        "its curve and embodied share are scaled to the vCPUs here (per-vCPU figures kept)",
    )


def test_a_named_cloud_profile_is_sized_to_the_machine(bare: Path) -> None:
    choice = choose_profile("aws", {}, "", 16, bare)
    assert choice.profile is not None and choice.profile.vcpus == 16
    assert choice.profile.curve.max_watts == pytest.approx(3.5 * 16)
    assert choice.notes == ()


def test_an_unknown_name_is_an_error_naming_the_choices(bare: Path) -> None:
    with pytest.raises(UnknownProfileError, match="unknown energy profile 'githb-linux-4vcpu'"):
        choose_profile("githb-linux-4vcpu", {}, "", 4, bare)


def test_custom_coefficients_are_used_even_on_a_hosted_runner(bare: Path) -> None:
    custom = CustomProfile(0.5, 4.0, vcpus=None, embodied_kg_per_vcpu=9.0, name="ours")
    choice = choose_profile(custom, GITHUB, EPYC, 4, bare)
    assert choice.profile is not None and choice.profile.name == "ours"
    assert (choice.profile.curve.idle_watts, choice.profile.curve.max_watts) == (2.0, 16.0)
    assert choice.reason == "energy.profile coefficients in the policy (ours), 4 vCPUs"
    pinned = choose_profile(CustomProfile(0.5, 4.0, vcpus=8), {}, "", 4, bare)
    assert pinned.profile is not None and pinned.profile.vcpus == 4  # scaled to the 4 here
    assert pinned.profile.curve.max_watts == pytest.approx(16.0)  # 4.0 W per vCPU kept
    assert "is for 8 vCPUs and this machine has 4" in pinned.notes[0]


# --- GitHub-hosted runners --------------------------------------------------------------------


@pytest.mark.parametrize("vcpus", [2, 4, 8, 16, 32, 64])
def test_a_github_runner_gets_its_size(vcpus: int, bare: Path) -> None:
    choice = choose_profile(None, GITHUB, EPYC, vcpus, bare)
    assert choice.profile is not None and choice.profile.name == f"github-linux-{vcpus}vcpu"
    assert choice.reason == (
        f"GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted), {vcpus} vCPUs"
    )
    assert choice.notes == ()


def test_an_unlisted_github_size_scales_the_4_vcpu_curve(bare: Path) -> None:
    choice = choose_profile(None, GITHUB, EPYC, 6, bare)
    four = profile_by_name("github-linux-4vcpu", 6)
    assert choice.profile is not None and choice.profile.vcpus == 6
    assert choice.profile.curve.max_watts == pytest.approx(four.curve.max_watts * 6 / 4)
    assert choice.notes == (
        "6 vCPUs is not a GitHub runner size (2, 4, 8, 16, 32, 64); the 4-vCPU curve is "
        "scaled to 6",
    )


def test_a_cpu_other_than_epyc_is_noted(bare: Path) -> None:
    choice = choose_profile(None, GITHUB, "Intel(R) Xeon(R) Platinum 8370C", 4, bare)
    assert choice.profile is not None and choice.profile.name == "github-linux-4vcpu"
    assert choice.notes == (
        "the CPU is 'Intel(R) Xeon(R) Platinum 8370C', not the AMD EPYC 7763 the power curve "
        "was measured on",
    )
    unknown = choose_profile(None, GITHUB, "", 4, bare)
    assert unknown.notes == (
        "the CPU is unknown, not the AMD EPYC 7763 the power curve was measured on",
    )


def test_runner_os_may_be_absent(bare: Path) -> None:
    env = {k: v for k, v in GITHUB.items() if k != "RUNNER_OS"}
    assert choose_profile(None, env, EPYC, 4, bare).profile is not None


@pytest.mark.parametrize(
    "env",
    [
        {**GITHUB, "RUNNER_ENVIRONMENT": "self-hosted"},
        {**GITHUB, "GITHUB_ACTIONS": "false"},
        {"RUNNER_ENVIRONMENT": "github-hosted"},
    ],
)
def test_self_hosted_or_outside_actions_is_not_a_github_runner(
    env: dict[str, str], bare: Path
) -> None:
    choice = choose_profile(None, env, EPYC, 4, bare)
    assert choice.profile is None
    assert choice.reason == (
        "no runner profile fits this machine (DMI sys_vendor 'LENOVO', product_name '20XW0055GE')"
    )


def test_a_github_macos_runner_gets_no_profile(bare: Path) -> None:
    choice = choose_profile(None, {**GITHUB, "RUNNER_OS": "macOS"}, "Apple M1", 3, bare)
    assert choice.profile is None
    assert "a GitHub-hosted macOS runner; the GitHub profiles are for Linux" in choice.reason


# --- GitLab.com hosted runners ------------------------------------------------------------------


@pytest.mark.parametrize(("size", "vcpus"), [("small", 2), ("medium", 4), ("large", 8)])
def test_a_gitlab_runner_is_known_by_its_tag(size: str, vcpus: int, bare: Path) -> None:
    env = {**GITLAB, "CI_RUNNER_TAGS": f"saas-linux-{size}-amd64", "CI_RUNNER_DESCRIPTION": ""}
    choice = choose_profile(None, env, "AMD EPYC 7B12", vcpus, bare)
    assert choice.profile is not None and choice.profile.name == f"gitlab-saas-{size}"
    assert choice.reason == f"GitLab.com hosted runner (saas-linux-{size}-amd64), {vcpus} vCPUs"
    assert choice.notes == ()


def test_a_gitlab_runner_is_known_by_its_description(bare: Path) -> None:
    env = {**GITLAB, "CI_RUNNER_TAGS": ""}
    choice = choose_profile(None, env, "AMD EPYC 7B12", 4, bare)
    assert choice.profile is not None and choice.profile.name == "gitlab-saas-medium"


def test_a_hosted_gitlab_runner_without_a_size_gets_the_small_curve(bare: Path) -> None:
    env = {
        **GITLAB,
        "CI_RUNNER_TAGS": "",
        "CI_RUNNER_DESCRIPTION": "blue-2.runners-manager.gitlab.com",
    }
    choice = choose_profile(None, env, "AMD EPYC 7B12", 2, bare)
    assert choice.profile is not None and choice.profile.name == "gitlab-saas-small"
    assert choice.reason == "GitLab.com hosted runner (CI_SERVER_HOST=gitlab.com), 2 vCPUs"
    assert choice.notes[-1].startswith("the runner's tags and description name no size")


def test_a_gitlab_size_that_does_not_fit_the_machine_is_noted(bare: Path) -> None:
    choice = choose_profile(None, GITLAB, "AMD EPYC 7B12", 2, bare)
    assert choice.profile is not None and choice.profile.name == "gitlab-saas-medium"
    assert "is for 4 vCPUs and this machine has 2" in choice.notes[-1]


@pytest.mark.parametrize(
    "env",
    [
        {**GITLAB, "CI_SERVER_HOST": "gitlab.example.com"},  # a self-managed instance
        {**GITLAB, "CI_RUNNER_TAGS": "docker", "CI_RUNNER_DESCRIPTION": "our runner"},
        {**GITLAB, "GITLAB_CI": "false"},
    ],
)
def test_other_gitlab_runners_are_not_hosted_ones(env: dict[str, str], bare: Path) -> None:
    assert choose_profile(None, env, "AMD EPYC 7B12", 4, bare).profile is None


def test_a_larger_unlisted_gitlab_size_is_not_mistaken_for_large(bare: Path) -> None:
    env = {**GITLAB, "CI_RUNNER_TAGS": "saas-linux-xlarge-amd64", "CI_RUNNER_DESCRIPTION": ""}
    choice = choose_profile(None, env, "AMD EPYC 7B12", 16, bare)
    assert choice.profile is not None and choice.profile.name == "gitlab-saas-small"
    assert choice.profile.vcpus == 16


# --- cloud VMs from DMI -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "provider", "evidence"),
    [
        (
            {"sys_vendor": "Amazon EC2", "product_name": "m6i.large"},
            "aws",
            "sys_vendor 'Amazon EC2'",
        ),
        ({"bios_vendor": "Amazon EC2"}, "aws", "bios_vendor 'Amazon EC2'"),
        (
            {"sys_vendor": "Google", "product_name": "Google Compute Engine"},
            "gcp",
            "sys_vendor 'Google'",
        ),
        ({"product_name": "Google Compute Engine"}, "gcp", "product_name 'Google Compute Engine'"),
        ({"board_vendor": "Google"}, "gcp", "board_vendor 'Google'"),
        (
            {
                "sys_vendor": "Microsoft Corporation",
                "product_name": "Virtual Machine",
                "chassis_asset_tag": "7783-7084-3265-9085-8269-3286-77",
            },
            "azure",
            "sys_vendor 'Microsoft Corporation', product_name 'Virtual Machine'",
        ),
    ],
)
def test_a_cloud_vm_is_known_from_dmi(
    tmp_path: Path, files: dict[str, str], provider: str, evidence: str
) -> None:
    choice = choose_profile(None, {}, "", 4, dmi(tmp_path, **files))
    assert choice.profile is not None and choice.profile.name == provider
    assert choice.profile.vcpus == 4
    assert f"(DMI {evidence}), 4 vCPUs" in choice.reason
    assert choice.notes == ()


def test_a_microsoft_vm_without_azure_s_tag_may_be_local_hyper_v(tmp_path: Path) -> None:
    files = {"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}
    choice = choose_profile(None, {}, "", 4, dmi(tmp_path, **files))
    assert choice.profile is not None and choice.profile.name == "azure"
    assert choice.notes == ("without Azure's DMI asset tag this may be a Hyper-V VM outside Azure",)


def test_a_microsoft_desktop_is_not_azure(tmp_path: Path) -> None:
    files = {"sys_vendor": "Microsoft Corporation", "product_name": "Surface Laptop 5"}
    assert choose_profile(None, {}, "", 4, dmi(tmp_path, **files)).profile is None


def test_ci_variables_win_over_dmi(tmp_path: Path) -> None:
    azure = dmi(tmp_path, sys_vendor="Microsoft Corporation", product_name="Virtual Machine")
    choice = choose_profile(None, GITHUB, EPYC, 4, azure)
    assert choice.profile is not None and choice.profile.name == "github-linux-4vcpu"


def test_missing_or_unreadable_dmi_is_unknown(tmp_path: Path) -> None:
    choice = choose_profile(None, {}, "", 4, tmp_path / "absent")
    assert choice.profile is None
    assert choice.reason == "no runner profile fits this machine (no DMI identity readable)"
    odd = dmi(tmp_path)
    (odd / "sys_vendor").mkdir()  # reading it fails: treated like an absent file
    (odd / "product_name").write_bytes(b"\xff\xfe Box\n")
    assert read_dmi(odd) == {"product_name": "\ufffd\ufffd Box"}


def test_no_vcpus_counts_as_one(bare: Path) -> None:
    choice = choose_profile(None, GITHUB, EPYC, 0, bare)
    assert choice.profile is not None and choice.profile.vcpus == 1
