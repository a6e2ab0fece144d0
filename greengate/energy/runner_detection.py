"""Which runner profile this machine gets: the policy's, else the hosted CI runner or cloud
VM it is, from CI variables and DMI identity files. Offline: never the network, never a
cloud metadata service. The profiles themselves are in greengate.energy.profiles.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from greengate.energy.profiles import (
    GITHUB_SIZES,
    GITLAB_SIZES,
    RunnerProfile,
    cloud_profile,
    custom_profile,
    github_profile,
    gitlab_profile,
    profile_by_name,
    provider_title,
)
from greengate.policy.model import CustomProfile

DMI_DIR = Path("/sys/class/dmi/id")  # where this machine's identity is read


@dataclass(frozen=True)
class ProfileChoice:
    """The runner profile for this machine and why; no profile when none fits."""

    profile: RunnerProfile | None  # None: nothing fits; the caller uses codecarbon's TDP table
    reason: str  # in words: why this profile, e.g. "GitHub-hosted runner (...), 4 vCPUs"
    notes: tuple[str, ...] = ()  # caveats, e.g. a CPU other than the one the curve is for


def choose_profile(
    setting: str | CustomProfile | None,
    env: Mapping[str, str],
    cpu_model: str,
    vcpus: int,
    dmi_dir: Path | None = None,
) -> ProfileChoice:
    """The policy's profile, else the hosted CI runner or cloud VM this is; never the network.

    DMI files are read from ``dmi_dir``, else GREENGATE_DMI_DIR (containers that bind-mount
    the host's /sys elsewhere, and tests), else /sys/class/dmi/id.
    """
    vcpus = max(vcpus, 1)
    if isinstance(setting, CustomProfile):
        profile = custom_profile(setting, vcpus)
        reason = (
            f"energy.profile coefficients in the policy ({profile.name}), {profile.vcpus} vCPUs"
        )
        return ProfileChoice(profile.scaled(vcpus), reason, _size_notes(profile, vcpus))
    if setting is not None:
        profile = profile_by_name(setting, vcpus)
        return ProfileChoice(
            profile.scaled(vcpus),
            f"energy.profile {setting} in the policy",
            _size_notes(profile, vcpus),
        )
    seen: list[str] = []
    for detect in (_github_runner, _gitlab_runner):
        choice = detect(env, cpu_model, vcpus, seen)
        if choice is not None:
            return choice
    dmi = read_dmi(dmi_dir or Path(env.get("GREENGATE_DMI_DIR") or DMI_DIR))
    choice = _cloud_vm(dmi, vcpus)
    if choice is not None:
        return choice
    named = [f"{key} {value!r}" for key, value in dmi.items() if key in _DMI_SHOWN]
    seen.append(f"DMI {', '.join(named)}" if named else "no DMI identity readable")
    return ProfileChoice(None, f"no runner profile fits this machine ({'; '.join(seen)})")


def _size_notes(profile: RunnerProfile, vcpus: int) -> tuple[str, ...]:
    # Scaled, not used as is: machine scope reads this machine's utilisation, and a fully
    # busy 2-vCPU machine on a 4-vCPU curve would be charged the whole 4-vCPU share.
    if profile.vcpus == vcpus:
        return ()
    return (
        f"the profile {profile.name} is for {profile.vcpus} vCPUs and this machine has {vcpus}; "
        "its curve and embodied share are scaled to the vCPUs here (per-vCPU figures kept)",
    )


def _epyc_notes(cpu_model: str, trained_on: str) -> tuple[str, ...]:
    if "EPYC" in cpu_model.upper():
        return ()
    cpu = repr(cpu_model) if cpu_model else "unknown"
    return (f"the CPU is {cpu}, not the {trained_on} the power curve was measured on",)


def _github_runner(
    env: Mapping[str, str], cpu_model: str, vcpus: int, seen: list[str]
) -> ProfileChoice | None:
    # GitHub's default variables (docs.github.com, "Variables reference"): RUNNER_ENVIRONMENT
    # is github-hosted or self-hosted; RUNNER_OS is Linux, Windows or macOS.
    if env.get("GITHUB_ACTIONS") != "true" or env.get("RUNNER_ENVIRONMENT") != "github-hosted":
        return None
    runner_os = env.get("RUNNER_OS") or "Linux"
    if runner_os != "Linux":
        seen.append(f"a GitHub-hosted {runner_os} runner; the GitHub profiles are for Linux")
        return None
    notes = _epyc_notes(cpu_model, "AMD EPYC 7763")
    if vcpus in GITHUB_SIZES:
        profile = github_profile(vcpus)
    else:
        profile = github_profile(4).scaled(vcpus)
        sizes = ", ".join(str(n) for n in GITHUB_SIZES)
        notes += (
            f"{vcpus} vCPUs is not a GitHub runner size ({sizes}); the 4-vCPU curve is scaled "
            f"to {vcpus}",
        )
    reason = f"GitHub-hosted runner (RUNNER_ENVIRONMENT=github-hosted), {vcpus} vCPUs"
    return ProfileChoice(profile, reason, notes)


# GitLab's predefined variables (docs.gitlab.com/ci/variables/predefined_variables):
# CI_SERVER_HOST is the instance's host name; CI_RUNNER_TAGS the runner's tags (a list, written
# comma-separated or as JSON by different versions); CI_RUNNER_DESCRIPTION its description.
# Hosted runners are tagged saas-linux-SIZE-amd64 (docs.gitlab.com/ci/runners/hosted_runners/linux)
# and described like "...saas-linux-small-amd64.runners-manager.gitlab.com/default".
_GITLAB_SIZE = re.compile(r"saas-linux-(small|medium|large)-amd64")
_GITLAB_HOSTED = re.compile(r"saas-linux-|runners-manager\.gitlab\.com")


def _gitlab_runner(
    env: Mapping[str, str], cpu_model: str, vcpus: int, seen: list[str]
) -> ProfileChoice | None:
    if env.get("GITLAB_CI") != "true" or env.get("CI_SERVER_HOST") != "gitlab.com":
        return None
    said = f"{env.get('CI_RUNNER_TAGS', '')} {env.get('CI_RUNNER_DESCRIPTION', '')}"
    size = _GITLAB_SIZE.search(said)
    if size is None and not _GITLAB_HOSTED.search(said):
        seen.append("a GitLab.com job on a runner that is not a GitLab-hosted one")
        return None
    notes = _epyc_notes(cpu_model, "AMD EPYC 7B12")
    if size is not None:
        name = f"gitlab-saas-{size.group(1)}"
        profile = gitlab_profile(name, GITLAB_SIZES[name])
        reason = f"GitLab.com hosted runner ({size.group(0)}), {vcpus} vCPUs"
        return ProfileChoice(profile, reason, notes + _size_notes(profile, vcpus))
    profile = gitlab_profile("gitlab-saas-small", 2).scaled(vcpus)
    notes += (
        "the runner's tags and description name no size (saas-linux-small|medium|large-amd64); "
        f"the small runner's curve is used, for {vcpus} vCPUs",
    )
    reason = f"GitLab.com hosted runner (CI_SERVER_HOST=gitlab.com), {vcpus} vCPUs"
    return ProfileChoice(profile, reason, notes)


_DMI_FILES = ("sys_vendor", "bios_vendor", "board_vendor", "product_name", "chassis_asset_tag")
_DMI_SHOWN = ("sys_vendor", "product_name")
# Azure's chassis asset tag, the test cloud-init's ds-identify uses (dscheck_Azure); a Hyper-V
# VM elsewhere also says "Microsoft Corporation" / "Virtual Machine".
_AZURE_ASSET_TAG = "7783-7084-3265-9085-8269-3286-77"


def read_dmi(dmi_dir: Path) -> dict[str, str]:
    """The DMI identity files that could be read; an unreadable or absent file is left out."""
    found: dict[str, str] = {}
    for name in _DMI_FILES:
        try:
            value = (dmi_dir / name).read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            continue
        if value:
            found[name] = value[:200]
    return found


def _cloud_vm(dmi: Mapping[str, str], vcpus: int) -> ProfileChoice | None:
    vendors = [
        (key, dmi[key]) for key in ("sys_vendor", "bios_vendor", "board_vendor") if key in dmi
    ]
    product = dmi.get("product_name", "")
    for key, value in vendors:
        if value.startswith("Amazon EC2"):
            return _cloud_choice("aws", f"{key} {value!r}", vcpus)
    for key, value in vendors:
        if value == "Google":
            return _cloud_choice("gcp", f"{key} {value!r}", vcpus)
    if product == "Google Compute Engine":
        return _cloud_choice("gcp", f"product_name {product!r}", vcpus)
    if dmi.get("sys_vendor") == "Microsoft Corporation" and product == "Virtual Machine":
        notes: tuple[str, ...] = ()
        if dmi.get("chassis_asset_tag") != _AZURE_ASSET_TAG:
            notes = ("without Azure's DMI asset tag this may be a Hyper-V VM outside Azure",)
        evidence = "sys_vendor 'Microsoft Corporation', product_name 'Virtual Machine'"
        return replace(_cloud_choice("azure", evidence, vcpus), notes=notes)
    return None


def _cloud_choice(provider: str, evidence: str, vcpus: int) -> ProfileChoice:
    profile = cloud_profile(provider, vcpus)
    return ProfileChoice(profile, f"{provider_title(provider)} VM (DMI {evidence}), {vcpus} vCPUs")
