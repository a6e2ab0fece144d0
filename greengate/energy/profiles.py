"""Runner profiles: the power curve of the share of a machine a CI job runs on.

A profile gives watts for the whole VM share at a utilisation, scaled to the vCPUs the
machine really has, never a whole socket's TDP for a 4-vCPU slice (REFERENCE.md section 4).
Sources, per profile, in ``source``; the curve points of the GitHub and GitLab profiles are
Eco CI's SPECpower-trained tables (green-coding-solutions/eco-ci-energy-estimation,
``machine-power-data/``), which it interpolates linearly between 5 % steps, as we do.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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


def github_profile(vcpus: int) -> RunnerProfile:
    """Eco CI's GitHub-hosted 4-vCPU curve, for a runner of ``vcpus`` vCPUs."""
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


def gitlab_profile(name: str, vcpus: int) -> RunnerProfile:
    """Eco CI's GitLab.com saas-linux-small curve, as the runner ``name`` of ``vcpus`` vCPUs."""
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


def provider_title(provider: str) -> str:
    """A cloud provider's name in words: ``aws`` is "Amazon Web Services"."""
    return _CCF[provider][3]


def cloud_profile(provider: str, vcpus: int) -> RunnerProfile:
    """Cloud Carbon Footprint's per-vCPU coefficients of ``provider``, for ``vcpus`` vCPUs."""
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
        *(github_profile(n) for n in GITHUB_SIZES),
        *(gitlab_profile(name, n) for name, n in GITLAB_SIZES.items()),
        *(cloud_profile(p, vcpus) for p in _CCF),
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
