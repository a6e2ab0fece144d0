"""JSON in and out: nesting bounded where greengate reads, no NaN or Infinity where it writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import Greengate
from factories import passing_verdict

from greengate.files.json_text import (
    MAX_JSON_DEPTH,
    JsonInputError,
    JsonOutputError,
    dump_json,
    load_json,
)
from greengate.verdict_file.verdict_json import verdict_to_dict


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def test_nesting_up_to_the_bound_is_read() -> None:
    value = load_json(_nested(MAX_JSON_DEPTH))
    for _ in range(MAX_JSON_DEPTH - 1):
        value = value[0]
    assert value == []


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 5_000, 100_000])
def test_deeper_nesting_is_refused_whatever_the_depth(depth: int) -> None:
    with pytest.raises(JsonInputError, match=f"nested deeper than {MAX_JSON_DEPTH} levels"):
        load_json('{"a": ' + _nested(depth - 1) + "}")


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}', "1e400", "[-1e999]"])
def test_numbers_no_figure_can_be_are_refused(text: str) -> None:
    with pytest.raises(ValueError):  # JsonInputError: every reader already catches ValueError
        load_json(text)


@pytest.mark.parametrize("figure", [float("nan"), float("inf"), float("-inf")])
def test_a_writer_refuses_what_json_cannot_carry(figure: float) -> None:
    with pytest.raises(JsonOutputError, match="not finite"):
        dump_json({"emissions_kg": [1.0, figure]})
    assert json.loads(dump_json({"x": 1e308})) == {"x": 1e308}


def test_check_refuses_a_verdict_nested_5000_deep(greengate: Greengate, tmp_path: Path) -> None:
    """Issue 20: a verdict whose notes nest 5,000 deep was a RecursionError in ``check``."""
    (tmp_path / "greengate.yml").write_text(
        "version: 1\nbudgets:\n  - name: all\n    max_emissions: 1 kg\n"
    )
    data = verdict_to_dict(passing_verdict())
    text = json.dumps(data)
    at = text.index('"notes": [') + len('"notes": [')
    # Valid JSON but for its depth: a comma only before notes already there (3.13's parser
    # reports a trailing comma where 3.11's ran out of stack first).
    text = text[:at] + _nested(5_000) + ("" if text[at] == "]" else ",") + text[at:]
    path = tmp_path / "deep.json"
    path.write_text(text)
    out = greengate("check", "--measurement", str(path))
    assert out.returncode == 2, out.stderr
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in out.stderr
    assert "internal error" not in out.stderr and "RecursionError" not in out.stderr


def test_a_job_state_nested_deep_is_damaged_state_not_a_bug(
    greengate: Greengate, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "job.json").write_text('{"token": ' + _nested(5_000) + "}")
    out = greengate("stop", "--state", str(state))
    assert out.returncode == 2, out.stderr
    assert "is not greengate's job state" in out.stderr
    assert "internal error" not in out.stderr


@pytest.mark.parametrize("energy", ["1e308 kWh", "1e300", "2e15 kWh"])
def test_where_refuses_an_energy_whose_emissions_would_be_infinite(
    greengate: Greengate, energy: str
) -> None:
    out = greengate("where", "--energy", energy, "--json")
    assert out.returncode == 2, out.stderr
    assert "at most 1e15 kWh" in out.stderr
    assert "Infinity" not in out.out


def test_where_json_at_the_largest_energy_is_finite_json(greengate: Greengate) -> None:
    out = greengate("where", "--energy", "1e15 kWh", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.out, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    assert rows and all(r["emissions_kg"] >= 0 for r in rows)
