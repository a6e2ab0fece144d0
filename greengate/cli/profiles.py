"""``greengate profiles``: the built-in runner profiles, and which one this machine gets."""

from __future__ import annotations

import json
import os
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from greengate.energy.hardware import cpuinfo_fields
from greengate.energy.profiles import RunnerProfile, builtin_profiles
from greengate.energy.runner_detection import ProfileChoice, choose_profile


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


def _row(profile: RunnerProfile, chosen: bool) -> tuple[str, ...]:
    embodied = (
        f"{profile.embodied_kg:.1f} over {profile.lifetime_years:g} y"
        if profile.embodied_kg is not None
        else "unknown"
    )
    return (
        "*" if chosen else "",
        profile.name,
        profile.title,
        str(profile.vcpus),
        f"{profile.curve.idle_watts:.2f}",
        f"{profile.curve.max_watts:.2f}",
        f"{profile.pue:g}",
        embodied,
        f"x{profile.band[0]:g} to x{profile.band[1]:g}",
        profile.source,
    )


def render(profiles: tuple[RunnerProfile, ...], choice: ProfileChoice, console: Console) -> None:
    """The profiles as a table, the one this machine gets marked, then why."""
    table = Table(title="Runner profiles (watts for the whole VM share)")
    for column in ("", "name", "title", "vCPUs", "idle W", "max W", "PUE", "embodied kg"):
        numeric = column in ("vCPUs", "idle W", "max W", "PUE")
        table.add_column(column, justify="right" if numeric else "left", no_wrap=column == "name")
    table.add_column("band")
    table.add_column("source")
    chosen = choice.profile
    for profile in profiles:
        table.add_row(*_row(profile, profile == chosen))
    if chosen is not None and chosen not in profiles:
        table.add_row(*_row(chosen, True))  # e.g. a GitHub curve scaled to an unlisted size
    console.print(table)
    name = chosen.name if chosen is not None else "none (codecarbon's TDP table)"
    console.print(f"* this machine: {name}: {choice.reason}", highlight=False, markup=False)
    for note in choice.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)


@click.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Print the same as JSON.")
def command(as_json: bool) -> int:
    """List the built-in runner profiles and say which one this machine gets, and why.

    Names go in the policy as energy.profile; without one, greengate detects the profile
    as shown here (no network: CI variables and the machine's DMI identity only).
    """
    vcpus = os.cpu_count() or 1
    cpu_model = cpuinfo_fields().get("model name", "")
    choice = choose_profile(None, os.environ, cpu_model, vcpus)
    profiles = builtin_profiles(vcpus)
    if not as_json:
        render(profiles, choice, Console())
        return 0
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
    click.echo(json.dumps(data, indent=2))
    return 0
