"""The files GitLab reads through ``artifacts:reports``: Code Quality, metrics and dotenv.

Formats: GitLab's ``doc/ci/yaml/artifacts_reports.md``. Code Quality issues need
``description``, ``check_name``, ``fingerprint``, ``severity`` and ``location.path`` /
``location.lines.begin``; metrics are OpenMetrics text ending in ``# EOF``; dotenv is
``KEY=value`` lines with ``[A-Za-z0-9_]`` keys and single-line values.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from collections.abc import Mapping
from typing import Any

from greengate.files.json_text import dump_json
from greengate.policy.model import Mode
from greengate.reporters import figures
from greengate.reporters.policy_change_text import policy_file
from greengate.reporters.variables import verdict_variables
from greengate.verdict import LimitCheck, Status, Verdict

_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f]")
CODE_QUALITY_FILE = "gl-code-quality-report.json"
METRICS_FILE = "metrics.txt"
DOTENV_FILE = "greengate.env"


def code_quality(v: Verdict, env: Mapping[str, str]) -> list[dict[str, Any]]:
    """One Code Quality issue per limit that is near or over budget, or for a failed run."""
    if v.status is Status.ERROR:
        reason = v.reasons[0] if v.reasons else "greengate could not judge the run"
        text = f"greengate could not judge the run: {reason}"
        return [_issue(v, env, "judgement", text, "critical")]
    if v.mode is Mode.OFF or v.rule is None:
        return []
    return [
        _issue(v, env, f"{c.quantity.value}-budget", _describe(v, c), _severity(v, c))
        for c in v.checks
        if c.status is not Status.PASS
    ]


def code_quality_json(v: Verdict, env: Mapping[str, str]) -> str:
    """The Code Quality report file's text (a JSON array, possibly empty)."""
    return dump_json(code_quality(v, env), indent=2, ensure_ascii=False) + "\n"


def _severity(v: Verdict, check: LimitCheck) -> str:
    if check.status is Status.FAIL:
        return "critical" if check.enforced else "major"  # enforced, or warn mode
    return "minor"  # near the limit


def _describe(v: Verdict, check: LimitCheck) -> str:
    return f"Job {v.context.job or '?'}: {figures.limit_sentence(v, check)}"


def _issue(
    v: Verdict, env: Mapping[str, str], check: str, description: str, severity: str
) -> dict[str, Any]:
    path = _policy_path(v, env)
    # Stable across runs (no measured figures in it), so GitLab can tell new issues from old.
    key = "\x1f".join(
        ("greengate", v.context.job or "", path, v.rule.label if v.rule else "", check)
    )
    return {
        "description": description,
        "check_name": f"greengate/{check}",
        "fingerprint": hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32],
        "severity": severity,
        "location": {"path": path, "lines": {"begin": v.rule.line if v.rule else 1}},
    }


def _policy_path(v: Verdict, env: Mapping[str, str]) -> str:
    """The policy as a path relative to the project, as Code Quality locations must be."""
    path = policy_file(v) or "greengate.yml"
    project = env.get("CI_PROJECT_DIR")
    if os.path.isabs(path) and project:
        relative = os.path.relpath(path, project)
        if not relative.startswith(os.pardir):
            path = relative
    return path.replace(os.sep, "/")


def open_metrics(v: Verdict) -> str:
    """The run's figures in OpenMetrics text, labelled with the job."""
    job = {"job": v.context.job or ""}
    families: list[tuple[str, str, list[tuple[dict[str, str], float]]]] = []
    m = v.measurement
    if m is not None:
        families += [
            (
                "greengate_energy_kwh",
                "Energy of the run in kWh, PUE included.",
                [(job, m.energy_kwh)],
            ),
            ("greengate_emissions_kg", "Emissions of the run in kg CO2e.", [(job, m.emissions_kg)]),
            (
                "greengate_grid_intensity_g_per_kwh",
                "Grid carbon intensity used, in g CO2e per kWh.",
                [(job, m.intensity.g_per_kwh)],
            ),
        ]
    if v.checks:
        ratios = [({**job, "quantity": c.quantity.value}, c.ratio) for c in v.checks]
        families.append(("greengate_budget_usage_ratio", "Measured / limit per limit.", ratios))
    if v.command is not None:
        families.append(
            (
                "greengate_duration_seconds",
                "Wall time of the command.",
                [(job, v.command.duration_seconds)],
            )
        )
    lines: list[str] = []
    for name, help_text, samples in families:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f"{name}{_labels(labels)} {_number(value)}" for labels, value in samples]
    return "\n".join([*lines, "# EOF"]) + "\n"


def _labels(labels: dict[str, str]) -> str:
    def escape(value: str) -> str:
        value = _CONTROL.sub("", value)  # OpenMetrics escapes only \\, " and newline
        # GitLab drops every line's text from "#" to its end before reading it
        # (``line.gsub(/#.*$/, '').shellsplit``): one "#" in a job name would cut the
        # label's quotes in half and fail the whole report. OpenMetrics has no escape for it.
        value = value.replace("#", "%23")
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(val)}"' for k, val in labels.items()) + "}"


def _number(x: float) -> str:
    # Four significant digits: GitLab compares metric values as strings, so noise past
    # what the measurement can tell would show every run as a change. (Kept by hand, not
    # prometheus-client's exposition, audited for issue 11: that writes every float at full
    # precision, so the rounding would stay here anyway, and the GitLab reporter, on by
    # itself in GitLab CI, would need the optional 'prometheus' extra in every install.)
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    return f"{x:.4g}"


def dotenv(v: Verdict) -> str:
    """Variables for later jobs (``artifacts:reports:dotenv``): status and figures."""
    return "".join(f"{key}={value}\n" for key, value in verdict_variables(v).items())
