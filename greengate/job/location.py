"""Where a job's state lives: small enough for every ``greengate run`` to ask (no sampler code)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

JOB_FILE = "job.json"


def default_state_dir(env: Mapping[str, str], cwd: str | None = None) -> Path:
    """``$RUNNER_TEMP/greengate-job`` on GitHub (one per runner and job), else .greengate/job."""
    runner_temp = env.get("RUNNER_TEMP", "").strip()
    if runner_temp:
        return Path(runner_temp) / "greengate-job"
    return Path(cwd) / ".greengate" / "job" if cwd else Path(".greengate", "job")
