"""Options of ``start``, ``lap`` and ``stop``: the state directory and durations."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from greengate.durations import DurationError, parse_duration
from greengate.job.location import default_state_dir
from greengate.job.state import JobState

F = TypeVar("F", bound=Callable[..., Any])


def duration_option(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """``3s``, ``45m``, ``6h``, ``1h30m`` (a bare number is seconds) -> seconds."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except DurationError as e:
        raise click.BadParameter(str(e)) from None


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
