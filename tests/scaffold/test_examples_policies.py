"""The shipped policies (examples/*.yml and init's starter) validate and match as documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from greengate.policy.loader import load_policy, load_policy_text
from greengate.policy.matching import select_budget
from greengate.policy.model import Mode
from greengate.policy.schema import policy_schema
from greengate.scaffold.starter import template

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_LINE = re.compile(r"# yaml-language-server: \$schema=(\S+)\n")
# examples/ also holds CI pipeline files; a policy is known by its schema line.
EXAMPLES = sorted(p for p in (ROOT / "examples").glob("*.yml") if SCHEMA_LINE.match(p.read_text()))


def test_there_are_examples() -> None:
    assert {p.name for p in EXAMPLES} >= {"greengate.yml", "per-branch.yml"}


def test_no_policy_example_goes_untested() -> None:
    untested = [
        p.name
        for p in (ROOT / "examples").glob("*.yml")
        if p not in EXAMPLES and re.search(r"^budgets:", p.read_text(), re.M)
    ]
    assert untested == [], "policy examples need the schema line on their first line"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_validates_and_points_at_the_schema(path: Path) -> None:
    assert load_policy(str(path)).budgets
    match = SCHEMA_LINE.match(path.read_text())
    assert match, "first line should give editors the schema"
    assert (path.parent / match[1]).resolve() == ROOT / "greengate/schemas/policy.schema.json"


def test_the_starter_template_validates() -> None:
    policy = load_policy_text(template("greengate.yml"), "greengate.yml")
    assert policy.defaults.mode is Mode.WARN  # a new gate warns first; docs/policy.md says why
    assert select_budget(policy, "test", "main") is policy.budgets[0]
    assert select_budget(policy, "test", None) is policy.budgets[-1]


def test_the_published_schema_is_the_shipped_one() -> None:
    published = json.loads((ROOT / "greengate/schemas/policy.schema.json").read_text())
    Draft202012Validator.check_schema(published)
    assert published == policy_schema()


def _every_property(schema: object) -> list[tuple[str, dict[str, object]]]:
    found: list[tuple[str, dict[str, object]]] = []
    if isinstance(schema, dict):
        for name, sub in schema.get("properties", {}).items():
            found.append((name, sub))
        for value in schema.values():
            found.extend(_every_property(value))
    return found


def _described(sub: dict[str, object], schema: dict[str, Any]) -> bool:
    # Editors show the description of a $ref's target when the property has none.
    ref = sub.get("$ref")
    if sub.get("description") or not isinstance(ref, str):
        return bool(sub.get("description"))
    target = schema["$defs"][ref.removeprefix("#/$defs/")]
    return bool(target.get("description"))


def test_every_schema_property_has_a_description_for_editors() -> None:
    schema = policy_schema()
    properties = _every_property(schema)
    assert len(properties) >= 16
    assert [name for name, sub in properties if not _described(sub, schema)] == []


def test_the_policy_in_the_reference_validates() -> None:
    text = (ROOT / "docs/policy.md").read_text()
    block = re.search(r"```yaml\n(# yaml-language-server.*?\nversion: 1\n.*?)```", text, re.S)
    assert block is not None
    policy = load_policy_text(block[1], "docs/policy.md")
    assert [b.name for b in policy.budgets] == ["training on main", None]


def _example(name: str) -> str:
    return str(ROOT / "examples" / name)


@pytest.mark.parametrize(
    ("job", "branch", "rule"),
    [
        ("train", "main", "train on main"),
        ("train", "feature/bigger-model", "train on other branches"),
        ("train", None, "train on other branches"),
        ("lint", "main", "any other job"),
    ],
)
def test_the_example_policy_matches_as_its_comments_say(
    job: str, branch: str | None, rule: str
) -> None:
    selected = select_budget(load_policy(_example("greengate.yml")), job, branch)
    assert selected is not None and selected.name == rule


def test_the_example_budget_fits_the_example_workload_comfortably() -> None:
    # examples/train.py used about 1.3 mWh (1.3e-6 kWh) when measured; budgets on main
    # should leave a wide margin and still be within two orders of magnitude of it.
    rule = select_budget(load_policy(_example("greengate.yml")), "train", "main")
    assert rule is not None and rule.max_energy_kwh is not None
    assert 10 * 1.3e-6 < rule.max_energy_kwh < 100 * 1.3e-6


@pytest.mark.parametrize(
    ("job", "branch", "rule", "mode"),
    [
        ("test", "main", "main", None),
        ("test", "release/2.1", "release branches", None),
        ("test", "feature/login", "feature branches", Mode.WARN),
        ("test", "dependabot/pip/click-8.2", "feature branches", Mode.WARN),
        ("test", "experiment", "default", Mode.WARN),
        ("test", None, "default", Mode.WARN),
        ("bench-cpu", "main", "nightly benchmarks", Mode.WARN),
    ],
)
def test_the_per_branch_example_matches_as_its_comments_say(
    job: str, branch: str | None, rule: str, mode: Mode | None
) -> None:
    selected = select_budget(load_policy(_example("per-branch.yml")), job, branch)
    assert selected is not None
    assert (selected.name, selected.mode) == (rule, mode)
