"""What start-up skips on a second run of an unchanged policy, and that skipping changes nothing.

A parsed policy document is cached by its exact text (no PyYAML on the next run) and a
document found valid is remembered (no jsonschema). Both must give exactly what a fresh
parse and validation give, errors and their locations included.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import seed_hardware_cache

import greengate
from greengate.errors import PolicyError
from greengate.policy import schema
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


# Run in a fresh interpreter, as each ``greengate run`` is: whether PyYAML was imported there
# is whether the text was parsed again or taken from the cache.
PARSE = textwrap.dedent(
    """\
    import json, sys
    import greengate
    from greengate.errors import PolicyError
    from greengate.policy.document import parse_document
    from greengate.policy.loader import load_policy_text

    kind, name = sys.argv[1:]
    text = sys.stdin.read()
    seen = {"package": greengate.__file__}
    try:
        if kind == "load":
            load_policy_text(text, name)
        else:
            d = parse_document(text, name)
            at = d.locate(("budgets", 1))
            seen.update(name=d.name, data=repr(d.data), values=repr(dict(d.values)))
            seen.update(keys=repr(dict(d.keys)), located=repr(at))
    except PolicyError as e:
        seen["error"] = str(e)
    seen["yaml"] = "yaml" in sys.modules
    print(json.dumps(seen))
    """
)


def fresh_read(
    text: str, name: str, *, kind: str = "parse", package: Path | None = None
) -> dict[str, object]:
    """parse_document (or, ``kind="load"``, load_policy_text) in a fresh interpreter:
    what it gave, and whether it imported PyYAML; ``package``: a copy of greengate to run."""
    env = dict(os.environ)
    if package is not None:
        env["PYTHONPATH"] = str(package)
    done = subprocess.run(
        [sys.executable, "-c", PARSE, kind, name],
        input=text,
        cwd=package,  # not a checkout, whose greengate/ would come first on sys.path
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, object] = json.loads(done.stdout)
    return seen


def _cache_files(cache: Path) -> list[Path]:
    return sorted((cache / "policy-documents").glob("*.json"))


def test_a_cached_parse_is_the_same_document(fresh_cache: Path) -> None:
    fresh = fresh_read(RICH, "a.yml")
    assert fresh["yaml"] is True  # parsed
    assert len(_cache_files(fresh_cache)) == 1
    cached = fresh_read(RICH, "b.yml")
    assert cached["yaml"] is False  # from the cache: PyYAML not even imported
    assert cached["name"] == "b.yml"  # the name is this read's, not the cached one's
    # repr: -0.0, 1000.0 and 31 as they were, each location and the order of every key.
    for part in ("data", "values", "keys", "located"):
        assert cached[part] == fresh[part], part
    assert "-0.0" in str(cached["data"]) and "1000.0" in str(cached["data"])


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


def test_a_changed_parser_is_a_miss(fresh_cache: Path, tmp_path: Path) -> None:
    # A copy of the installed package, whose parser is then changed as an upgrade would.
    copy = tmp_path / "site"
    source = Path(greengate.__file__).parent
    shutil.copytree(source, copy / "greengate", ignore=shutil.ignore_patterns("__pycache__"))
    first = fresh_read(RICH, "p.yml", package=copy)
    assert first["package"] == str(copy / "greengate" / "__init__.py")
    assert first["yaml"] is True
    assert fresh_read(RICH, "p.yml", package=copy)["yaml"] is False  # the same parser: a hit
    with open(copy / "greengate" / "policy" / "yaml_reader.py", "a") as parser:
        parser.write("# another parser version\n")
    again = fresh_read(RICH, "p.yml", package=copy)
    assert again["yaml"] is True  # parsed again
    assert again["data"] == first["data"]
    assert len(_cache_files(fresh_cache)) == 2


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


def test_a_mistake_read_from_the_cache_is_reported_at_the_same_place() -> None:
    text = textwrap.dedent(
        """\
        version: 1
        budgets:
          - max_emissions: 50 g
            brnach: main
        """
    )
    parsed, cached = (fresh_read(text, "p.yml", kind="load") for _ in range(2))
    assert (parsed["yaml"], cached["yaml"]) == (True, False)
    assert cached["error"] == parsed["error"]
    message = str(parsed["error"])
    assert "p.yml:4:5" in message and "did you mean 'branch'" in message


def test_a_valid_document_is_not_validated_again() -> None:
    policy = load_policy_text(VALID, "p.yml")
    # The first load found the document valid and left the marker for exactly its data ...
    assert schema.valid_marker(parse_document(VALID, "p.yml").data).exists()
    assert load_policy_text(VALID, "p.yml") == policy
    # ... and a marker skips the schema: were a misspelt key's document marked, it would pass.
    typo = VALID.replace("    max_emissions: 250 g\n", "    max_emissions: 250 g\n    moed: warn\n")
    with pytest.raises(PolicyError, match="unknown key 'moed'"):
        load_policy_text(typo, "p.yml")
    marker = schema.valid_marker(parse_document(typo, "p.yml").data)
    marker.touch()
    assert load_policy_text(typo, "p.yml").budgets[0].mode is None


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
