"""Options shared by ``run`` and ``check``, each also read from a GREENGATE_* variable."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from greengate.cli.ascii_numbers import AsciiIntRange
from greengate.cli.grid_options import GRID_OPTIONS, pop_grid_override
from greengate.context import job_key_text
from greengate.errors import UsageError
from greengate.gate.flow import GateSettings
from greengate.measurement import FunctionalUnit
from greengate.units import GRID_INTENSITY_RANGE, UnitError, parse_grid_intensity

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class GateOptions:
    """The parsed options of a gating command: the core's settings, and what the CLI does
    with the verdict (where to write it, which reporters, how loud)."""

    settings: GateSettings
    verdict: str
    quiet: bool
    reports: tuple[str, ...]


def parse_unit(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> FunctionalUnit | None:
    """``NAME=COUNT``: a word and a positive number, e.g. ``tests=412``, ``samples=5e4``."""
    if value is None:
        return None
    name, sep, count = value.partition("=")
    if not sep or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]{0,63}", name.strip()):
        raise click.BadParameter(f"{value!r} is not NAME=COUNT, e.g. tests=412")
    try:
        number = float(count)
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise click.BadParameter(f"{value!r}: the count must be a positive number, e.g. tests=412")
    return FunctionalUnit(name.strip(), number)


def parse_intensity_option(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> float | None:
    """``--intensity``: a grid intensity as a policy takes it (``350``, ``0.35 kg/kWh``)."""
    if value is None:
        return None
    try:
        return parse_grid_intensity(value)
    except UnitError as e:
        raise UsageError(f"--intensity: {e}") from None


def parse_job_key(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A matrix leg's key: ``os=ubuntu, python=3.12`` from the matrix's JSON, else the text."""
    if value is None or not value.strip():
        return None
    try:
        key = job_key_text(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None
    return key


def gate_options(f: F) -> F:
    """Decorate a click command with the options every gating command takes."""
    decorators = [
        click.option(
            "--policy",
            default="greengate.yml",
            show_default=True,
            envvar="GREENGATE_POLICY",
            help="Budget policy file.",
        ),
        click.option(
            "--job", envvar="GREENGATE_JOB", help="Job name (default: from CI, else none)."
        ),
        click.option(
            "--branch", envvar="GREENGATE_BRANCH", help="Branch (default: from CI, else git)."
        ),
        click.option(
            "--job-key",
            callback=parse_job_key,
            envvar="GREENGATE_JOB_KEY",
            metavar="KEY",
            help="A matrix leg's identity beside the job (text, or the matrix as JSON).",
        ),
        click.option(
            "--verdict",
            default="greengate-verdict.json",
            show_default=True,
            envvar="GREENGATE_VERDICT",
            help="Where to write the verdict JSON.",
        ),
        click.option(
            "--country",
            envvar="GREENGATE_COUNTRY",
            help="Grid country as ISO 3166 alpha-3 (overrides the policy).",
        ),
        click.option(
            "--intensity",
            callback=parse_intensity_option,
            envvar="GREENGATE_INTENSITY",
            metavar="G_PER_KWH",
            help=f"Grid intensity, {GRID_INTENSITY_RANGE}; a bare number is g/kWh, or with a "
            "unit, e.g. '0.35 kg/kWh' (overrides the policy and --country).",
        ),
        click.option(
            "--quiet", "-q", is_flag=True, envvar="GREENGATE_QUIET", help="No console summary."
        ),
        click.option(
            "--violation-exit-code",
            type=AsciiIntRange(1, 255),
            default=1,
            show_default=True,
            envvar="GREENGATE_VIOLATION_EXIT_CODE",
            help="Exit code when over budget in enforce mode.",
        ),
        click.option(
            "--policy-from",
            envvar="GREENGATE_POLICY_FROM",
            metavar="REF",
            help="Read the policy from git ref REF (git show REF:PATH), e.g. the PR's base.",
        ),
        click.option(
            "--unit",
            callback=parse_unit,
            envvar="GREENGATE_UNIT",
            metavar="NAME=COUNT",
            help="SCI functional unit, e.g. tests=412: the verdict adds emissions per unit.",
        ),
        click.option(
            "--report",
            "reports",
            multiple=True,
            envvar="GREENGATE_REPORT",
            help="Extra reporter NAME or NAME=PATH (repeatable); CI ones switch on by themselves.",
        ),
        *GRID_OPTIONS,
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def build_gate_options(**kwargs: Any) -> GateOptions:
    """Collect the gate options out of click's keyword arguments."""
    settings = GateSettings(
        policy=kwargs.pop("policy"),
        job=kwargs.pop("job"),
        branch=kwargs.pop("branch"),
        country=kwargs.pop("country"),
        intensity=kwargs.pop("intensity"),
        policy_from=kwargs.pop("policy_from"),
        violation_exit_code=kwargs.pop("violation_exit_code"),
        unit=kwargs.pop("unit"),
        job_key=kwargs.pop("job_key"),
        grid=pop_grid_override(kwargs),
    )
    return GateOptions(
        settings=settings,
        verdict=kwargs.pop("verdict"),
        quiet=kwargs.pop("quiet"),
        reports=tuple(kwargs.pop("reports")),
    )
