"""Checks policy data against the shipped JSON Schema and words each error for a person."""

from __future__ import annotations

import functools
import hashlib
import json
import math
import pathlib
import re
from typing import TYPE_CHECKING, Any

from greengate.files.cache import cache_dir, touch_marker

if TYPE_CHECKING:
    from jsonschema import ValidationError


from greengate.files.schemas import schema_text
from greengate.policy.document import Path
from greengate.policy.problems import Problem, shown

# Quantities are checked by greengate.units (the tolerance by policy.history), whose
# messages name the units and the range expected.
QUANTITIES = frozenset({"max_emissions", "max_energy", "intensity", "tolerance"})

_EXPECTED = {
    "": "a mapping with version, defaults and budgets at the top level",
    "version": "the policy format version: 1",
    "defaults": "a mapping of settings: country, region, intensity, pue, warn_at, mode",
    "budgets": "a non-empty list of rules, each with max_emissions and/or max_energy",
    "budgets[]": "a rule: a mapping with max_emissions and/or max_energy "
    "and optional name, job, branch, warn_at, mode, stop_at_limit",
    "windows": "a list of windows",
    "windows[]": "a window: a mapping with branch, per and max_emissions and/or max_energy, "
    "or one line such as 'main: 50 kg per month'",
    "country": "an ISO 3166-1 alpha-3 country code in upper case, e.g. FRA, or null",
    "region": "a region name codecarbon has data for, e.g. california or SE3, or null",
    "pue": "a power usage effectiveness from 1.0 to 3.0, e.g. 1.2",
    "warn_at": "a fraction of the limit, 0 < warn_at <= 1, e.g. 0.8",
    "mode": "one of enforce, warn, off",
    "ledger_failure": "one of warn, fail",
    "name": "a non-empty string",
    "job": "a job name glob or a non-empty list of globs, e.g. train or [test-*, lint]",
    "step": "a lap name glob or a non-empty list of globs, e.g. test* or [build, 'test*']",
    "branch": "a branch glob or a non-empty list of globs, e.g. main or [main, 'release/*']",
    "energy": "a mapping of settings: profile, scope, include_embodied",
    "profile": "a built-in profile name such as github-linux-4vcpu (greengate profiles lists "
    "them) or a mapping of coefficients with idle_watts_per_vcpu and max_watts_per_vcpu",
    "scope": "one of process, machine",
    "include_embodied": "true or false",
    "stop_at_limit": "true or false",
    "idle_watts_per_vcpu": "the watts of one vCPU's share at 0 % load, from 0 to 50, e.g. 0.74",
    "max_watts_per_vcpu": "the watts of one vCPU's share at 100 % load, above 0 and up to 50, "
    "e.g. 3.5",
    "vcpus": "a whole number of vCPUs from 1 to 1024",
    "embodied_kg_per_vcpu": "the embodied kg CO2e of one vCPU's share over its lifetime, "
    "from 0 to 1000, e.g. 9",
    "lifetime_years": "the hardware's years of use, from 1 to 15, e.g. 4",
    "scope2": "a mapping with instruments and residual_mix",
    "instruments": "a list of instruments, each with kind and source",
    "residual_mix": "a list of residual mixes, each with zone, intensity and source",
    "kind": "one of supplier, ppa, certificate",
    "zone": "a grid as ISO 3166-1 alpha-3 in upper case (DEU) or a zone such as USA/california",
    "coverage": "the share of the grid's energy covered, 0 < coverage <= 1, e.g. 0.5",
    "source": "a non-empty string saying where the figure is documented",
    "grid": "a mapping with provider and zone, and optional signal, url, timeout, fallback",
    "provider": "one of electricitymaps, watttime, uk-carbon-intensity, carbon-aware-sdk, "
    "energy-charts",
    "grid.zone": "the provider's name for the grid, e.g. DE, CAISO_NORTH, national, OX1, "
    "eastus, de",
    "signal": "one of average, marginal",
    "url": "an http:// or https:// address with no query, e.g. http://localhost:8080",
    "timeout": "a duration such as '3 s' or '500 ms' (bare number = seconds)",
    "fallback": "one of bundled, error",
    "carbon_aware": "a mapping of settings: min_saving",
    "min_saving": "a saving such as '10 %' or a fraction from 0 to 1, e.g. 0.1",
}
_TEXT_FIELDS = frozenset(
    {
        "name",
        "job",
        "branch",
        "step",
        "country",
        "region",
        "mode",
        "profile",
        "zone",
        "url",
        "provider",
        "grid.zone",
    }
)
_LIMITS = ("max_emissions", "max_energy")


@functools.cache
def _schema_text() -> str:
    return schema_text("policy.schema.json")


@functools.cache
def policy_schema() -> dict[str, Any]:
    """The policy JSON Schema shipped in the package (greengate/schemas/policy.schema.json)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


def valid_marker(data: Any) -> pathlib.Path:
    """The cache file whose presence says ``data`` passed the schema on this machine."""
    # repr keeps YAML's types apart (a date is not its string), so equal keys mean equal data.
    digest = hashlib.sha256((_schema_text() + "\0" + repr(data)).encode()).hexdigest()[:32]
    return cache_dir() / "valid-policies" / digest


def schema_problems(data: Any, *, cache: bool = True) -> list[Problem]:
    """Every schema violation in ``data`` except those of quantities, worded for a person.

    A document already found valid on this machine is not validated again: importing
    jsonschema alone costs about 0.1 s, a third of greengate's start-up budget.
    ``cache=False`` (a trusted policy) neither reads nor writes the marker.
    """
    if not cache:
        return _validate(data)
    marker = valid_marker(data)
    if marker.exists():
        return []
    problems = _validate(data)
    if not problems:
        touch_marker(marker)
    return problems


def _validate(data: Any) -> list[Problem]:
    from jsonschema import Draft202012Validator

    problems: list[Problem] = []
    missing: dict[tuple[Path, str], Problem] = {}
    suggested: set[tuple[Path, str]] = set()
    for error in Draft202012Validator(policy_schema()).iter_errors(data):
        path = tuple(error.absolute_path)
        if path and path[-1] in QUANTITIES:
            continue
        if error.validator == "additionalProperties":
            for problem, suggestion in _unknown_keys(error, path):
                problems.append(problem)
                if suggestion:
                    suggested.add((path, suggestion))
        elif error.validator == "required":
            for key in error.validator_value:
                if key not in error.instance:
                    missing[(path, key)] = Problem(path, f"missing required key {key!r}")
        elif error.validator == "anyOf" and path[:1] == ("budgets",):
            message = "a rule needs a limit: max_emissions, max_energy or both"
            for key in _LIMITS:
                missing[(path, key)] = Problem(path, message)
        else:
            problems.append(Problem(path, _wrong_value(error, path)))
    # A misspelt key also shows up as a missing one; the spelling suggestion says it all.
    dropped = {problem for (path, key), problem in missing.items() if (path, key) in suggested}
    problems.extend(p for p in missing.values() if p not in dropped)
    problems.extend(_non_finite(data, ()))
    return list(dict.fromkeys(problems))  # e.g. a string version breaks both type and const


def _non_finite(value: Any, path: Path) -> list[Problem]:
    """NaN and infinity, which compare false with every bound the schema sets."""
    if isinstance(value, float) and not math.isfinite(value):
        if path and path[-1] in QUANTITIES:
            return []
        return [Problem(path, f"expected {_EXPECTED.get(_field(path), 'a number')}, got {value}")]
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    return [p for key, item in items for p in _non_finite(item, (*path, key))]


def _unknown_keys(error: ValidationError, path: Path) -> list[tuple[Problem, str | None]]:
    schema, instance = error.schema, error.instance
    known = sorted(schema.get("properties", {})) if isinstance(schema, dict) else []
    found = []
    for key in instance if isinstance(instance, dict) else {}:
        if key in known:
            continue
        import difflib  # only on a mistake: start-up time

        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        suggestion = close[0] if close else None
        hint = f"did you mean {suggestion!r}?" if suggestion else f"known keys: {', '.join(known)}"
        problem = Problem((*path, key), f"unknown key {key!r} ({hint})", at_key=True)
        found.append((problem, suggestion))
    return found


def _field(path: Path) -> str:
    """A path's name in the expectation table: its last key, ``budgets[]`` or ``windows[]``."""
    names = [part for part in path if isinstance(part, str)]
    if path and isinstance(path[-1], int) and names in (["budgets"], ["windows"]):
        return f"{names[0]}[]"
    if names[:1] == ["grid"] and f"grid.{names[-1]}" in _EXPECTED:
        return f"grid.{names[-1]}"  # grid.zone is a provider's name, scope2's zone is not
    return names[-1] if names else ""


def _wrong_value(error: ValidationError, path: Path) -> str:
    field, value = _field(path), error.instance
    message = f"expected {_EXPECTED.get(field, 'a different value')}, got {shown(value)}"
    if field in _TEXT_FIELDS and isinstance(value, (bool, int, float)):
        return message + " (quote it if you mean the text)"
    if error.validator == "enum" and isinstance(value, str):
        allowed = error.validator_value if isinstance(error.validator_value, list) else []
        choices = [str(choice) for choice in allowed if choice is not None]
        import difflib  # only on a mistake: start-up time

        close = difflib.get_close_matches(value.lower(), choices, n=1)
        return message + (f" (did you mean {close[0]!r}?)" if close else "")
    if field == "country" and isinstance(value, str):
        if re.fullmatch(r"[A-Za-z]{3}", value.strip()):
            return message + f" (did you mean {value.strip().upper()!r}?)"
        if re.fullmatch(r"[A-Za-z]{2}", value.strip()):
            return message + " (that looks like a 2-letter code; use the 3-letter one)"
    return message
