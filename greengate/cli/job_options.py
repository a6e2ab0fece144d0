"""Options of ``start``, ``lap`` and ``stop``: the state directory and durations."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from greengate.job.state import JobState, default_state_dir

F = TypeVar("F", bound=Callable[..., Any])
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``3s``, ``45m``, ``6h``, ``1.5h`` (a bare number is seconds) -> seconds."""
    if value is None:
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([smhd]?)\s*", value)
    seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"] if match else math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise click.BadParameter(f"{value!r} is not a duration, e.g. 90s, 45m or 6h")
    return seconds


def state_option(f: F) -> F:
    """``--state DIR``: where the job's sampler keeps its record."""
    return click.option(
        "--state",
        "state_dir",
        envvar="GREENGATE_STATE",
        metavar="DIR",
        help="The job's state directory (default: $RUNNER_TEMP/greengate-job, else "
        ".greengate/job).",
    )(f)


def job_state(state_dir: str | None, env: Mapping[str, str] | None = None) -> JobState:
    """The state directory the options name, else the default for this environment."""
    where = os.environ if env is None else env
    return JobState(Path(state_dir) if state_dir else default_state_dir(where))
