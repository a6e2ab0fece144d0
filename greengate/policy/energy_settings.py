"""The policy's ``energy:`` section into EnergySettings, with the checks a schema cannot make.

The schema bounds each coefficient on its own; here: a profile name must be a built-in one
(with a did-you-mean), and a custom profile's idle power must not exceed its full-load power.
Data given to ``energy_settings`` has passed every check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from greengate.energy.profiles import builtin_profiles
from greengate.measurement import Scope
from greengate.policy.document import Document
from greengate.policy.model import CustomProfile, EnergySettings
from greengate.policy.problems import Problem

_PROFILE = ("energy", "profile")
MAX_WATTS_PER_VCPU = 50.0  # the schema's bound; published per-vCPU figures are under 10 W


def builtin_profile_names() -> tuple[str, ...]:
    """The names ``energy.profile`` may take; the cloud ones do not depend on the vCPUs."""
    return tuple(profile.name for profile in builtin_profiles(1))


def energy_problems(document: Document, data: dict[str, Any]) -> Iterator[Problem]:
    """What is wrong with ``energy.profile`` beyond its shape; tolerant of shapes it refuses."""
    energy = data.get("energy")
    profile = energy.get("profile") if isinstance(energy, dict) else None
    if isinstance(profile, str) and profile:
        yield from _name_problems(profile)
    elif isinstance(profile, dict):
        idle, full = (
            _number(profile.get("idle_watts_per_vcpu")),
            _number(profile.get("max_watts_per_vcpu")),
        )
        # Only in-range figures: one out of range already has its own message.
        if idle is not None and full is not None and 0 < full < idle <= MAX_WATTS_PER_VCPU:
            line = document.locate((*_PROFILE, "max_watts_per_vcpu")).line
            yield Problem(
                (*_PROFILE, "idle_watts_per_vcpu"),
                f"expected idle power at most the full-load power: idle_watts_per_vcpu "
                f"{idle:g} W is above max_watts_per_vcpu {full:g} W (line {line})",
            )


def _number(value: object) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _name_problems(name: str) -> Iterator[Problem]:
    names = builtin_profile_names()
    if name in names:
        return
    import difflib  # only on a mistake: start-up time

    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"built-in profiles: {', '.join(names)}"
    yield Problem(
        _PROFILE,
        f"unknown energy profile {name!r} ({hint}); expected a built-in profile name "
        "(greengate profiles lists them) or a mapping of coefficients",
    )


def energy_settings(data: dict[str, Any]) -> EnergySettings:
    """EnergySettings from validated data; defaults for an absent or empty section."""
    raw = data.get("energy") or {}
    scope = raw.get("scope")
    return EnergySettings(
        profile=_profile(raw.get("profile")),
        scope=None if scope is None else Scope(scope),
        include_embodied=bool(raw.get("include_embodied", False)),
    )


def _profile(raw: str | dict[str, Any] | None) -> str | CustomProfile | None:
    if raw is None or isinstance(raw, str):
        return raw
    base = CustomProfile(0.0, 0.0)
    vcpus, embodied, pue = raw.get("vcpus"), raw.get("embodied_kg_per_vcpu"), raw.get("pue")
    return CustomProfile(
        idle_watts_per_vcpu=float(raw["idle_watts_per_vcpu"]),
        max_watts_per_vcpu=float(raw["max_watts_per_vcpu"]),
        vcpus=None if vcpus is None else int(vcpus),
        embodied_kg_per_vcpu=None if embodied is None else float(embodied),
        lifetime_years=float(raw.get("lifetime_years", base.lifetime_years)),
        pue=None if pue is None else float(pue),
        name=str(raw.get("name", base.name)),
    )
