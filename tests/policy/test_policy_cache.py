"""What start-up skips on a second run of an unchanged policy, and that skipping changes nothing.

A parsed policy document is cached by its exact text (no PyYAML on the next run) and a
document found valid is remembered (no jsonschema). Both must give exactly what a fresh
parse and validation give, errors and their locations included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import seed_hardware_cache

from greengate.errors import PolicyError
from greengate.policy import document, schema, yaml_reader
from greengate.policy.document import parse_document
from greengate.policy.loader import load_policy_text

RICH = """\
version: 1
defaults:
  country: FRA
  pue: 1.2
  mode: off
budgets:
  - name: main
    branch: [main, "release/*", 7]
    max_emissions: 250 g
    flags: {a: true, b: null, c: 0x1F, d: -0.0, e: 1e3}
  -   max_energy: 3 kWh
"""


VALID = """\
version: 1
defaults:
  country: FRA
budgets:
  - branch: [main, "release/*"]
    max_emissions: 250 g
  - max_energy: 3 kWh
"""


@pytest.fixture(autouse=True)
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    seed_hardware_cache(cache)  # no codecarbon detection in the background
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(cache))
    return cache


def _no_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str, name: str) -> document.Document:
        raise AssertionError("parsed again: the cache was not used")

    monkeypatch.setattr(yaml_reader, "compose_document", refuse)


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "policy-documents").glob("*.json"))


def test_a_cached_parse_is_the_same_document(
    fresh_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = parse_document(RICH, "a.yml")
    assert len(_cache_files(fresh_cache)) == 1
    _no_yaml(monkeypatch)
    cached = parse_document(RICH, "b.yml")
    assert cached.name == "b.yml"  # the name is this read's, not the cached one's
    assert cached.data == fresh.data
    assert json.dumps(cached.data) == json.dumps(fresh.data)  # -0.0, 1000.0 and 31 as they were
    assert cached.values == fresh.values
    assert cached.keys == fresh.keys
    assert cached.locate(("budgets", 1)) == fresh.locate(("budgets", 1))


@pytest.mark.parametrize("value", [".nan", "-.inf", ".Inf"])
def test_infinity_and_nan_are_refused_at_the_parse(value: str) -> None:
    # Refused where YAML is read, so no cached entry ever holds one.
    with pytest.raises(PolicyError, match=r"p.yml:2:4: x: .* is not a finite number"):
        parse_document(f"version: 1\nx: {value}\n", "p.yml")


def test_an_edited_policy_is_parsed_again(fresh_cache: Path) -> None:
    first = parse_document(RICH, "p.yml")
    edited = parse_document(RICH.replace("250 g", "260 g"), "p.yml")
    assert edited.data["budgets"][0]["max_emissions"] == "260 g"
    assert first.data["budgets"][0]["max_emissions"] == "250 g"
    assert len(_cache_files(fresh_cache)) == 2


def test_a_changed_parser_is_a_miss(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    parse_document(RICH, "p.yml")
    parser = tmp_path / "yaml_reader.py"
    parser.write_text("# another parser version\n")
    monkeypatch.setattr(document, "_PARSER", str(parser))
    calls: list[str] = []
    real = yaml_reader.compose_document

    def counting(text: str, name: str) -> document.Document:
        calls.append(name)
        return real(text, name)

    monkeypatch.setattr(yaml_reader, "compose_document", counting)
    parse_document(RICH, "p.yml")
    assert calls == ["p.yml"]


@pytest.mark.parametrize("garbage", ["", "{", '{"data": 1}', '{"data": 1, "values": [[1]]}'])
def test_a_damaged_cache_file_is_ignored_and_replaced(fresh_cache: Path, garbage: str) -> None:
    fresh = parse_document(RICH, "p.yml")
    (path,) = _cache_files(fresh_cache)
    path.write_text(garbage)
    again = parse_document(RICH, "p.yml")
    assert (again.data, again.values, again.keys) == (fresh.data, fresh.values, fresh.keys)
    assert json.loads(path.read_text())["data"] == fresh.data


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setenv("GREENGATE_CACHE_DIR", str(blocker))
    assert parse_document(RICH, "p.yml").data["version"] == 1
    assert parse_document(RICH, "p.yml").data["version"] == 1


def test_a_syntax_error_is_not_cached_and_stays_located(fresh_cache: Path) -> None:
    bad = "version: 1\nbudgets:\n  - max_emissions: [1\n"
    errors = []
    for _ in range(2):
        with pytest.raises(PolicyError) as caught:
            parse_document(bad, "p.yml")
        errors.append(str(caught.value))
    assert errors[0] == errors[1]
    assert "p.yml:4" in errors[0] or "p.yml:3" in errors[0]
    assert _cache_files(fresh_cache) == []


def test_a_mistake_read_from_the_cache_is_reported_at_the_same_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = textwrap.dedent(
        """\
        version: 1
        budgets:
          - max_emissions: 50 g
            brnach: main
        """
    )
    messages = []
    for attempt in range(2):
        if attempt:
            _no_yaml(monkeypatch)
        with pytest.raises(PolicyError) as caught:
            load_policy_text(text, "p.yml")
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "p.yml:4:5" in messages[0] and "did you mean 'branch'" in messages[0]


def test_a_valid_document_is_not_validated_again(monkeypatch: pytest.MonkeyPatch) -> None:
    policy = load_policy_text(VALID, "p.yml")

    def refuse(data: object) -> list[object]:
        raise AssertionError("validated again: the marker was not used")

    monkeypatch.setattr(schema, "_validate", refuse)
    assert load_policy_text(VALID, "p.yml") == policy


HOSTED = {"GITHUB_ACTIONS": "true", "RUNNER_ENVIRONMENT": "github-hosted", "RUNNER_OS": "Linux"}


@pytest.mark.parametrize("runner", [{}, HOSTED], ids=["local", "github-hosted"])
def test_a_second_run_imports_neither_yaml_jsonschema_nor_psutil(
    tmp_path: Path, runner: dict[str, str]
) -> None:
    """The start-up design end to end: run the real CLI twice in fresh interpreters."""
    (tmp_path / "greengate.yml").write_text(VALID)
    probe = textwrap.dedent(
        """\
        import sys
        sys.argv = ["greengate", "run", "--quiet", "--", "true"]
        from greengate.cli import main
        code = main()
        loaded = sorted(m for m in ("yaml", "jsonschema", "psutil") if m in sys.modules)
        print("LOADED", ",".join(loaded), "CODE", code)
        """
    )
    env = {**os.environ, "GREENGATE_LEDGER": "off", **runner}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.strip().splitlines()[-1])
    assert outputs[0] == "LOADED jsonschema,yaml CODE 0"  # the first run parses and validates
    assert outputs[1] == "LOADED  CODE 0"
