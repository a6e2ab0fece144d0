"""Runner profiles: the power curve of the share of a machine a CI job runs on.

A profile gives watts for the whole VM share at a utilisation, scaled to the vCPUs the
machine really has, never a whole socket's TDP for a 4-vCPU slice (REFERENCE.md section 4).
Sources, per profile, in ``source``; the curve points of the GitHub and GitLab profiles are
Eco CI's SPECpower-trained tables (green-coding-solutions/eco-ci-energy-estimation,
``machine-power-data/``), which it interpolates linearly between 5 % steps, as we do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from greengate.errors import GreengateError
from greengate.policy.model import CustomProfile

# Cloud Carbon Footprint's per-vCPU coefficients (min, max watts) and PUE per provider.
_CCF = {
    "aws": (0.74, 3.5, 1.135, "Amazon Web Services"),
    "gcp": (0.71, 4.26, 1.1, "Google Cloud"),
    "azure": (0.78, 3.76, 1.185, "Microsoft Azure"),
}
_CCF_SOURCE = "Cloud Carbon Footprint per-vCPU min/max watts and provider PUE"
# Eco CI's embodied share of GitHub's EPYC 7763 host (Boavizta: 1151.7 kg for the server,
# 448 GB disk) split 4/128 for the 4-vCPU runner: 35.99 kg over 4 years. Per vCPU: 9.0 kg,
# used for every scaled and generic cloud profile.
EMBODIED_KG_PER_VCPU = 1151.7 / 128
LIFETIME_YEARS = 4.0
_STEPS = tuple(i / 20 for i in range(21))  # 0 %, 5 %, ... 100 %

# Eco CI: github_EPYC_7763_4_CPU_shared.sh, watts of the 4-vCPU VM share at 0, 5, ... 100 %.
_GITHUB_4VCPU_WATTS = (
    1.7586170434951782, 3.442734718322754, 3.617241621017456, 3.791748523712158,
    3.9246811866760254, 4.057613849639893, 4.236300706863403, 4.414987564086914,
    4.658504247665405, 4.9020209312438965, 5.16406512260437, 5.426109313964844,
    5.698791742324829, 5.9714741706848145, 6.288223028182983, 6.604971885681152,
    6.969252347946167, 7.333532810211182, 7.756580591201782, 8.179628372192383,
    8.179628372192383,
)  # fmt: skip
# Eco CI: gitlab_EPYC_7B12_saas-linux-small-amd64.sh, the 2-vCPU VM share.
_GITLAB_SMALL_WATTS = (
    1.0641099214553833, 1.7770942449569702, 1.8654894828796387, 1.9538847208023071,
    2.049953877925873, 2.1460230350494385, 2.259389877319336, 2.3727567195892334,
    2.463669180870056, 2.554581642150879, 2.6808667182922363, 2.8071517944335938,
    2.942853331565857, 3.07855486869812, 3.362687587738037, 3.646820306777954,
    3.8735207319259644, 4.100221157073975, 4.2547547817230225, 4.40928840637207,
    4.40928840637207,
)  # fmt: skip


class UnknownProfileError(GreengateError):
    """A profile name that no built-in profile has."""


@dataclass(frozen=True)
class PowerCurve:
    """Watts of a whole VM share against its CPU utilisation (0..1), linear between points."""

    points: tuple[tuple[float, float], ...]  # (utilisation, watts), ascending from 0 to 1

    def watts(self, utilisation: float) -> float:
        """Power at ``utilisation``, clamped to the curve's ends."""
        u = min(max(utilisation, 0.0), 1.0)
        points = self.points
        for i in range(1, len(points)):
            u1, w1 = points[i]
            if u <= u1:
                u0, w0 = points[i - 1]
                t = (u - u0) / (u1 - u0) if u1 > u0 else 1.0
                return w0 + t * (w1 - w0)
        return points[-1][1]

    def scaled(self, factor: float) -> PowerCurve:
        return PowerCurve(tuple((u, w * factor) for u, w in self.points))

    @property
    def idle_watts(self) -> float:
        return self.points[0][1]

    @property
    def max_watts(self) -> float:
        return self.points[-1][1]


@dataclass(frozen=True)
class RunnerProfile:
    """A machine (or VM share) whose power curve and embodied carbon are known."""

    name: str
    title: str
    provider: str | None  # "github", "gitlab", "aws", "gcp", "azure"; None: unknown
    vcpus: int  # the vCPUs ``curve`` is for
    curve: PowerCurve
    pue: float
    embodied_kg: float | None  # embodied emissions of the hardware share ``curve`` covers
    lifetime_years: float
    band: tuple[float, float]  # low and high factors of the CPU estimate
    source: str
    # SPECpower curves are wall power of the whole server share, memory included; Cloud
    # Carbon Footprint's per-vCPU figures are CPU only and count memory separately.
    includes_memory: bool = False

    def scaled(self, vcpus: int) -> RunnerProfile:
        """The same hardware, for a VM with ``vcpus`` vCPUs: curve and embodied scaled."""
        if vcpus == self.vcpus:
            return self
        factor = vcpus / self.vcpus
        return replace(
            self,
            vcpus=vcpus,
            curve=self.curve.scaled(factor),
            embodied_kg=self.embodied_kg * factor if self.embodied_kg is not None else None,
            title=f"{self.title}, scaled to {vcpus} vCPUs",
        )


def _table(watts: tuple[float, ...]) -> PowerCurve:
    return PowerCurve(tuple(zip(_STEPS, watts, strict=True)))


def _linear(idle: float, full: float) -> PowerCurve:
    return PowerCurve(((0.0, idle), (1.0, full)))


def _github(vcpus: int) -> RunnerProfile:
    base = RunnerProfile(
        name="github-linux-4vcpu",
        title="GitHub-hosted Linux runner, 4 vCPU (AMD EPYC 7763)",
        provider="github",
        vcpus=4,
        curve=_table(_GITHUB_4VCPU_WATTS),
        pue=_CCF["azure"][2],
        embodied_kg=EMBODIED_KG_PER_VCPU * 4,
        lifetime_years=LIFETIME_YEARS,
        band=(0.8, 1.25),
        source="Eco CI's SPECpower model of the 4-vCPU EPYC 7763 share; Azure PUE (CCF); "
        "embodied from Boavizta via Eco CI",
        includes_memory=True,
    )
    scaled = base.scaled(vcpus)
    return replace(
        scaled, name=f"github-linux-{vcpus}vcpu", title=f"GitHub-hosted Linux runner, {vcpus} vCPU"
    )


def _gitlab(name: str, vcpus: int) -> RunnerProfile:
    base = RunnerProfile(
        name="gitlab-saas-small",
        title="GitLab.com hosted runner saas-linux-small-amd64, 2 vCPU (AMD EPYC 7B12)",
        provider="gitlab",
        vcpus=2,
        curve=_table(_GITLAB_SMALL_WATTS),
        pue=_CCF["gcp"][2],
        embodied_kg=1173.7 / 64,  # Eco CI: the host's 1173.7 kg split 1/64
        lifetime_years=LIFETIME_YEARS,
        band=(0.8, 1.25),
        source="Eco CI's SPECpower model of the saas-linux-small-amd64 share; GCP PUE (CCF); "
        "embodied from Boavizta via Eco CI",
        includes_memory=True,
    )
    scaled = base.scaled(vcpus)
    return replace(
        scaled, name=name, title=f"GitLab.com hosted runner {name.removeprefix('gitlab-saas-')}"
    )


def _cloud(provider: str, vcpus: int) -> RunnerProfile:
    idle, full, pue, title = _CCF[provider]
    return RunnerProfile(
        name=provider,
        title=f"{title} VM, {vcpus} vCPU (Cloud Carbon Footprint coefficients)",
        provider=provider,
        vcpus=vcpus,
        curve=_linear(idle * vcpus, full * vcpus),
        pue=pue,
        embodied_kg=EMBODIED_KG_PER_VCPU * vcpus,
        lifetime_years=LIFETIME_YEARS,
        band=(0.7, 1.4),
        source=_CCF_SOURCE,
    )


GITHUB_SIZES = (2, 4, 8, 16, 32, 64)
GITLAB_SIZES = {"gitlab-saas-small": 2, "gitlab-saas-medium": 4, "gitlab-saas-large": 8}


def builtin_profiles(vcpus: int) -> tuple[RunnerProfile, ...]:
    """Every built-in profile; the generic cloud ones sized to ``vcpus`` (this machine's)."""
    return (
        *(_github(n) for n in GITHUB_SIZES),
        *(_gitlab(name, n) for name, n in GITLAB_SIZES.items()),
        *(_cloud(p, vcpus) for p in _CCF),
    )


def profile_by_name(name: str, vcpus: int) -> RunnerProfile:
    """The built-in profile called ``name``; raises UnknownProfileError naming the choices."""
    profiles = {p.name: p for p in builtin_profiles(vcpus)}
    if name in profiles:
        return profiles[name]
    import difflib  # only on a mistake: start-up time

    close = difflib.get_close_matches(name, profiles, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise UnknownProfileError(
        f"unknown energy profile {name!r}",
        hint=f"{hint}`greengate profiles` lists them: {', '.join(profiles)}",
    )


def custom_profile(custom: CustomProfile, vcpus: int) -> RunnerProfile:
    """A profile from the policy's own coefficients (validated by the policy loader)."""
    n = custom.vcpus or vcpus
    embodied = custom.embodied_kg_per_vcpu
    return RunnerProfile(
        name=custom.name,
        title=f"policy coefficients, {n} vCPU",
        provider=None,
        vcpus=n,
        curve=_linear(custom.idle_watts_per_vcpu * n, custom.max_watts_per_vcpu * n),
        pue=custom.pue if custom.pue is not None else 1.0,
        embodied_kg=embodied * n if embodied is not None else None,
        lifetime_years=custom.lifetime_years,
        band=(0.7, 1.4),
        source="energy.profile coefficients in the policy",
    )


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
    dmi_dir: Path = Path("/sys/class/dmi/id"),
) -> ProfileChoice:
    """The policy's profile, else the hosted CI runner or cloud VM this is; never the network."""
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
    dmi = read_dmi(dmi_dir)
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
        profile = _github(vcpus)
    else:
        profile = _github(4).scaled(vcpus)
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
        profile = _gitlab(name, GITLAB_SIZES[name])
        reason = f"GitLab.com hosted runner ({size.group(0)}), {vcpus} vCPUs"
        return ProfileChoice(profile, reason, notes + _size_notes(profile, vcpus))
    profile = _gitlab("gitlab-saas-small", 2).scaled(vcpus)
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
    profile = _cloud(provider, vcpus)
    return ProfileChoice(profile, f"{_CCF[provider][3]} VM (DMI {evidence}), {vcpus} vCPUs")
