"""``greengate profiles``: the built-in runner profiles, and which one this machine gets."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from greengate.cli.listing import output_width, wrapped
from greengate.energy.hardware import cpuinfo_fields
from greengate.energy.profiles import RunnerProfile, builtin_profiles
from greengate.energy.runner_detection import ProfileChoice, choose_profile
from greengate.files.json_text import dump_json
from greengate.units import format_count, format_emissions, format_power, significant


def profile_to_dict(profile: RunnerProfile) -> dict[str, Any]:
    """A profile's figures as JSON-ready data."""
    return {
        "name": profile.name,
        "title": profile.title,
        "provider": profile.provider,
        "vcpus": profile.vcpus,
        "idle_watts": profile.curve.idle_watts,
        "max_watts": profile.curve.max_watts,
        "pue": profile.pue,
        "embodied_kg": profile.embodied_kg,
        "lifetime_years": profile.lifetime_years,
        "band": list(profile.band),
        "source": profile.source,
    }


def _describe(profile: RunnerProfile) -> str:
    """The profile's figures in one sentence, each through the one formatter."""
    curve = profile.curve
    embodied = (
        f"embodied {format_emissions(profile.embodied_kg)} over "
        f"{significant(profile.lifetime_years)} years"
        if profile.embodied_kg is not None
        else "embodied unknown"
    )
    low, high = profile.band
    return (
        f"{format_count(profile.vcpus, 'vCPU')}, {format_power(curve.idle_watts)} idle to "
        f"{format_power(curve.max_watts)} busy, PUE {significant(profile.pue)}; {embodied}; "
        f"uncertainty x{significant(low)} to x{significant(high)}"
    )


def render(profiles: tuple[RunnerProfile, ...], choice: ProfileChoice, width: int) -> list[str]:
    """Each profile as a short block, the one this machine gets marked ``*``, then why."""
    chosen = choice.profile
    shown = list(profiles)
    if chosen is not None and chosen not in profiles:
        shown.append(chosen)  # e.g. a GitHub curve scaled to an unlisted size
    lines = ["Runner profiles (watts for the whole VM share; * this machine's)", ""]
    for profile in shown:
        mark = "* " if profile == chosen else "  "
        lines += wrapped(f"{profile.name}: {profile.title}", width, first=mark, rest="    ")
        lines += wrapped(_describe(profile), width, first="    ")
        lines += wrapped(f"source: {profile.source}", width, first="    ")
    name = chosen.name if chosen is not None else "none (codecarbon's TDP table)"
    lines += ["", *wrapped(f"* this machine: {name}: {choice.reason}", width, rest="  ")]
    for note in choice.notes:
        lines += wrapped(f"note: {note}", width, first="  ", rest="    ")
    return lines


def listing(
    env: Mapping[str, str], cpu_model: str, vcpus: int, *, width: int, as_json: bool
) -> str:
    """What ``greengate profiles`` prints on a machine with this CPU model and vCPU count."""
    choice = choose_profile(None, env, cpu_model, vcpus)
    profiles = builtin_profiles(vcpus)
    if not as_json:
        return "\n".join(render(profiles, choice, width))
    detected = choice.profile
    data = {
        "vcpus": vcpus,
        "cpu_model": cpu_model or None,
        "profiles": [profile_to_dict(p) for p in profiles],
        "detected": {
            "profile": profile_to_dict(detected) if detected is not None else None,
            "reason": choice.reason,
            "notes": list(choice.notes),
        },
    }
    return dump_json(data, indent=2)


@click.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON.")
def command(as_json: bool) -> int:
    """List the built-in runner profiles and say which one this machine gets, and why.

    Names go in the policy as energy.profile; without one, greengate detects the profile
    as shown here (no network: CI variables and the machine's DMI identity only).
    """
    cpu_model = cpuinfo_fields().get("model name", "")
    vcpus = os.cpu_count() or 1
    width = output_width()
    click.echo(listing(os.environ, cpu_model, vcpus, width=width, as_json=as_json))
    return 0
