"""Reads a ``greengate.yml`` into a Policy, or raises one PolicyError naming file, line and key.

Stages: read bytes safely (document.py), check the version, check the JSON Schema
(schema.py), read quantities with their units (greengate.units), check what a schema
cannot say (a region needs a country, rules after a catch-all are dead, a profile name must
be a built-in one), then build the frozen model. Raw dicts stop here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from greengate.errors import PolicyError
from greengate.policy.document import Document, Path, format_path, parse_document, read_policy_file
from greengate.policy.energy_settings import energy_problems, energy_settings
from greengate.policy.history import history_fields, history_quantities
from greengate.policy.model import (
    Budget,
    CarbonAware,
    Defaults,
    GridSetting,
    LiveGrid,
    Mode,
    Policy,
)
from greengate.policy.problems import Problem, raise_problems, shown
from greengate.policy.schema import schema_problems
from greengate.policy.window_text import compact_window_problems, dropped
from greengate.units import UnitError, parse_emissions, parse_energy, parse_grid_intensity

if TYPE_CHECKING:
    from greengate.policy.scope2 import Scope2

SUPPORTED_VERSION = 1


def load_policy(path: str) -> Policy:
    """Read and validate the policy file at ``path``."""
    return load_policy_text(read_policy_file(path), path)


def load_policy_text(text: str, name: str, *, trusted: bool = False) -> Policy:
    """Validate policy ``text``; ``name`` says where it came from (a path, ``REF:PATH``).

    ``trusted``: the policy read from a git ref with ``--policy-from``. It is parsed and
    validated afresh, never taken from the per-machine caches: code of the pull request that
    ran earlier in the job can write those (issue 10; the cost is in BENCHMARKS.md).
    """
    document = parse_document(text, name, cache=not trusted)
    data = document.data
    if not isinstance(data, dict):
        expected = "a mapping with version, defaults and budgets at the top level"
        raise_problems(document, [Problem((), f"expected {expected}, got {shown(data)}")])
    _check_version(document, data)
    compact, replaced = compact_window_problems(data)
    problems = [*dropped(schema_problems(data, cache=not trusted), replaced), *compact]
    quantities: dict[Path, float] = {}
    for path, value, parse in _quantities(data):
        try:
            quantities[path] = parse(value)
        except UnitError as e:
            problems.append(Problem(path, str(e)))
    problems.extend(_grid_problems(data))
    problems.extend(_dead_rule_problems(document, data))
    problems.extend(_stop_problems(data))
    problems.extend(energy_problems(document, data))
    if "scope2" in data:
        from greengate.policy.scope2 import scope2_problems  # only where used (start-up)

        problems.extend(scope2_problems(data))
    if "grid" in data or "carbon_aware" in data:
        from greengate.policy.grid_settings import grid_problems  # only where used (start-up)

        problems.extend(grid_problems(data))
    raise_problems(document, problems)
    return _build(document, data, quantities)


def _check_version(document: Document, data: dict[str, Any]) -> None:
    # Checked before the schema: a future format would otherwise show as a pile of key errors.
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version != 1:
        where = document.locate(("version",))
        raise PolicyError(
            f"unsupported policy version {version}; this greengate reads version "
            f"{SUPPORTED_VERSION}",
            file=document.name,
            line=where.line,
            column=where.column,
            key_path="version",
            hint=f"upgrade greengate, or write the policy in format version {SUPPORTED_VERSION}",
        )


def _quantities(data: dict[str, Any]) -> Iterator[tuple[Path, object, Callable[[object], float]]]:
    """Every quantity in the data with its parser; tolerant of shapes the schema refuses."""
    defaults = data.get("defaults")
    if isinstance(defaults, dict) and defaults.get("intensity") is not None:
        yield ("defaults", "intensity"), defaults["intensity"], parse_grid_intensity
    budgets = data.get("budgets")
    for index, rule in enumerate(budgets if isinstance(budgets, list) else []):
        if isinstance(rule, dict):
            if "max_emissions" in rule:
                yield ("budgets", index, "max_emissions"), rule["max_emissions"], parse_emissions
            if "max_energy" in rule:
                yield ("budgets", index, "max_energy"), rule["max_energy"], parse_energy
    yield from history_quantities(data)
    if "scope2" in data:
        from greengate.policy.scope2 import scope2_quantities

        yield from scope2_quantities(data)


def _grid_problems(data: dict[str, Any]) -> Iterator[Problem]:
    defaults = data.get("defaults")
    if (
        isinstance(defaults, dict)
        and defaults.get("region") is not None
        and defaults.get("country") is None
    ):
        yield Problem(
            ("defaults", "region"),
            "a region needs a country to be looked up in, e.g. country: USA, region: california",
        )


def _dead_rule_problems(document: Document, data: dict[str, Any]) -> Iterator[Problem]:
    """A rule without ``step`` after the default rule (no job, branch or step) is dead.

    A step rule after it is not: laps are matched against step rules only, so the default
    rule never takes one (docs/policy.md: a rule with only ``step`` may come anywhere).
    """
    budgets = data.get("budgets")
    rules = [
        r if isinstance(r, dict) else {} for r in (budgets if isinstance(budgets, list) else [])
    ]
    default = next(
        (i for i, rule in enumerate(rules) if not {"job", "branch", "step"} & rule.keys()), None
    )
    if default is None:
        return
    dead = next((i for i in range(default + 1, len(rules)) if "step" not in rules[i]), None)
    if dead is not None:
        line = document.locate(("budgets", default)).line
        yield Problem(
            ("budgets", dead),
            f"this rule can never match: {format_path(('budgets', default))} (line {line}) "
            "has no job or branch, so it matches every run first; move that default "
            "rule to the end",
        )


def _stop_problems(data: dict[str, Any]) -> Iterator[Problem]:
    budgets = data.get("budgets")
    for index, rule in enumerate(budgets if isinstance(budgets, list) else []):
        if isinstance(rule, dict) and rule.get("stop_at_limit") is True and "step" in rule:
            # A lap is judged by greengate stop, after the step ran: there is nothing to stop.
            yield Problem(
                ("budgets", index, "stop_at_limit"),
                "a step rule budgets laps, which are judged at greengate stop once they "
                "ended; stop_at_limit applies to greengate run's command only",
            )


def _globs(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _grid_sections(data: dict[str, Any]) -> tuple[LiveGrid | None, CarbonAware]:
    if "grid" not in data and "carbon_aware" not in data:
        return None, CarbonAware()
    from greengate.policy.grid_settings import carbon_aware, live_grid

    return live_grid(data), carbon_aware(data)


def _scope2(data: dict[str, Any], quantities: dict[Path, float]) -> Scope2 | None:
    if "scope2" not in data:
        return None
    from greengate.policy.scope2 import scope2_settings

    return scope2_settings(data, quantities)


def _build(document: Document, data: dict[str, Any], quantities: dict[Path, float]) -> Policy:
    """The model from data that passed every check."""
    settings = data.get("defaults") or {}
    base = Defaults()
    grid = GridSetting(
        country=settings.get("country"),
        region=settings.get("region"),
        g_per_kwh=quantities.get(("defaults", "intensity")),
    )
    defaults = Defaults(
        grid=grid,
        pue=float(settings["pue"]) if settings.get("pue") is not None else base.pue,
        warn_at=float(settings.get("warn_at", base.warn_at)),
        mode=Mode(settings.get("mode", base.mode.value)),
    )
    budgets = []
    for index, rule in enumerate(data["budgets"]):
        warn_at, mode = rule.get("warn_at"), rule.get("mode")
        budgets.append(
            Budget(
                index=index,
                line=document.locate(("budgets", index)).line,
                name=rule.get("name"),
                jobs=_globs(rule.get("job")),
                branches=_globs(rule.get("branch")),
                steps=_globs(rule.get("step")),
                max_emissions_kg=quantities.get(("budgets", index, "max_emissions")),
                max_energy_kwh=quantities.get(("budgets", index, "max_energy")),
                warn_at=None if warn_at is None else float(warn_at),
                mode=None if mode is None else Mode(mode),
                stop_at_limit=bool(rule.get("stop_at_limit", False)),
            )
        )
    live, aware = _grid_sections(data)
    return Policy(
        path=document.name,
        version=int(data["version"]),
        defaults=defaults,
        budgets=tuple(budgets),
        energy=energy_settings(data),
        scope2=_scope2(data, quantities),
        grid=live,
        carbon_aware=aware,
        **history_fields(data, quantities),
    )
