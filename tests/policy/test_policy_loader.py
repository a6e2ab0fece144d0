"""Loading greengate.yml: the model it builds, and a located, worded error for each mistake."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from greengate.errors import PolicyError
from greengate.policy.document import MAX_BYTES, MAX_DEPTH, MAX_NODES
from greengate.policy.loader import load_policy, load_policy_text
from greengate.policy.matching import select_budget, select_step_budget
from greengate.policy.model import Budget, Defaults, GridSetting, Mode, Policy

FULL = """\
# yaml-language-server: $schema=greengate/schemas/policy.schema.json
version: 1
defaults:
  country: USA
  region: california
  intensity: 350 g/kWh
  pue: 1.2
  warn_at: 0.7
  mode: off
budgets:
  - name: training on main
    job: train
    branch: [main, "release/*"]
    max_emissions: 250 g
    max_energy: 1 kWh
    warn_at: 0.9
    mode: warn
  - job: [lint, "test-*"]
    max_energy: 2 kWh
  - max_emissions: 2
"""

MINIMAL = "version: 1\nbudgets:\n  - max_emissions: 50 g\n"


def write(tmp_path: Path, text: str | bytes, name: str = "greengate.yml") -> str:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return str(path)


def error_of(text: str) -> PolicyError:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(textwrap.dedent(text), "p.yml")
    return caught.value


def test_a_full_policy_becomes_the_model(tmp_path: Path) -> None:
    path = write(tmp_path, FULL)
    assert load_policy(path) == Policy(
        path=path,
        version=1,
        defaults=Defaults(
            grid=GridSetting(country="USA", region="california", g_per_kwh=350.0),
            pue=1.2,
            warn_at=0.7,
            mode=Mode.OFF,  # `off` stays a string: the loader reads YAML 1.2, not 1.1
        ),
        budgets=(
            Budget(
                0,
                11,
                "training on main",
                ("train",),
                ("main", "release/*"),
                0.25,
                1.0,
                0.9,
                Mode.WARN,
            ),
            Budget(1, 18, None, ("lint", "test-*"), (), None, 2.0),
            Budget(2, 20, None, (), (), 2.0, None),
        ),
    )


def test_a_minimal_policy_gets_the_model_defaults() -> None:
    policy = load_policy_text(MINIMAL, "p.yml")
    assert policy.defaults == Defaults()
    assert policy.budgets == (Budget(0, 3, None, (), (), 0.05, None),)
    assert policy.path == "p.yml"


def test_defaults_may_be_left_empty() -> None:
    policy = load_policy_text("version: 1\ndefaults:\nbudgets:\n  - max_energy: 1\n", "p.yml")
    assert policy.defaults == Defaults()


def test_version_one_point_zero_is_version_one() -> None:
    policy = load_policy_text("version: 1.0\nbudgets:\n  - max_energy: 1\n", "p.yml")
    assert policy.version == 1
    assert isinstance(policy.version, int)


def test_a_rule_starts_at_its_dash() -> None:
    text = "version: 1\nbudgets:\n  -\n    job: a\n    max_energy: 1\n  - max_energy: 2\n"
    assert [b.line for b in load_policy_text(text, "p.yml").budgets] == [3, 6]
    e = error_of("version: 1\nbudgets:\n  -\n    name: a\n")
    assert (e.line, e.column, e.key_path) == (3, 3, "budgets[0]")


def test_yaml_1_1_words_stay_strings() -> None:
    policy = load_policy_text("version: 1\nbudgets:\n  - branch: no\n    max_energy: 1\n", "p")
    assert policy.budgets[0].branches == ("no",)


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_policy(path).budgets[0].max_emissions_kg == 0.05


# --- the file itself -----------------------------------------------------------------------


def test_missing_file_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy(str(tmp_path / "nope.yml"))
    assert caught.value.file == str(tmp_path / "nope.yml")
    assert "no such policy file" in str(caught.value)
    assert "greengate init" in str(caught.value)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="is a directory"):
        load_policy(str(tmp_path))


def test_an_unreadable_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = write(tmp_path, MINIMAL)
    # The kernel's refusal, simulated at os.open (the standard library's boundary, for the
    # duration of this read): chmod 0 would not stop a root test run.
    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(PolicyError, match="cannot open: Permission denied"):
        load_policy(path)


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = write(tmp_path, b"version: 1\nbudgets:\n  - name: caf\xe9\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    e = caught.value
    assert (e.line, e.column) == (3, 14)
    assert "not UTF-8" in str(e)
    assert "byte 0xe9 at byte offset 33" in str(e)


def test_a_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, b"#" * (MAX_BYTES + 1))
    with pytest.raises(PolicyError, match="larger than 1024 KiB"):
        load_policy(path)
    with pytest.raises(PolicyError, match="larger than 1024 KiB"):
        load_policy_text("a: '" + "x" * MAX_BYTES + "'\n", "p.yml")


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n# and another\n", "---\n", "~\n"])
def test_an_empty_policy_is_refused(text: str) -> None:
    e = error_of(text)
    assert "the policy file is empty" in str(e)
    assert "greengate init" in str(e)


# --- YAML --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        ("version: 1\nbudgets: [\n", 3, 1, "invalid YAML: expected the node content"),
        ("version: 1\nbudgets:\n\t- max_energy: 1\n", 3, 1, "found character '\\t'"),
        ("version: 1\nbudgets: : :\n", 2, 10, "invalid YAML"),
        ("version: 1\n---\nversion: 1\n", 2, 1, "more than one YAML document"),
        ("version: 1\nname: \x07\n", 2, 7, "character U+0007 is not allowed"),
        ("a: 1\n  b: 2\n", 2, 4, "mapping values are not allowed here"),
    ],
)
def test_invalid_yaml_is_located(text: str, line: int, column: int, words: str) -> None:
    e = error_of(text)
    assert (e.file, e.line, e.column) == ("p.yml", line, column)
    assert str(e).startswith(f"p.yml:{line}:{column}: ")
    assert words in str(e)


def test_tabs_get_a_hint() -> None:
    assert "indent with spaces" in str(error_of("version: 1\nbudgets:\n\t- max_energy: 1\n"))


def test_duplicate_keys_are_errors() -> None:
    e = error_of(
        """\
        version: 1
        budgets:
          - max_emissions: 50 g
            max_emissions: 5 kg
        """
    )
    assert (e.line, e.column, e.key_path) == (4, 5, "budgets[0]")
    assert "duplicate key 'max_emissions' (first at line 3)" in str(e)


def test_aliases_are_refused() -> None:
    e = error_of(
        """\
        version: 1
        budgets:
          - &rule {max_emissions: 5 g}
          - *rule
        """
    )
    assert (e.line, e.column) == (4, 5)
    assert "aliases (*name) are not allowed" in str(e)


def test_an_alias_bomb_is_refused_without_expanding() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    assert "aliases" in str(error_of("\n".join(lines) + "\n"))


def test_deep_nesting_is_refused() -> None:
    e = error_of("version: 1\nbudgets: " + "[" * 10_000 + "]" * 10_000 + "\n")
    assert e.line == 2
    assert f"nested deeper than {MAX_DEPTH} levels" in str(e)


def test_too_many_values_are_refused_early() -> None:
    rules = "".join(f"  - {{job: j{i}, max_energy: 1}}\n" for i in range(MAX_NODES // 5 + 1))
    e = error_of("version: 1\nbudgets:\n" + rules)
    assert f"more than {MAX_NODES} values" in str(e)
    assert e.line is not None and e.line < MAX_NODES // 5 + 3


def test_python_tags_are_refused() -> None:
    e = error_of("version: 1\nbudgets: !!python/object/apply:os.system [echo]\n")
    assert (e.line, e.column, e.key_path) == (2, 10, "budgets")
    assert "unsupported YAML tag" in str(e)


def test_a_non_scalar_key_is_refused() -> None:
    assert "a key must be a plain name" in str(error_of("? [a, b]\n: 1\n"))


# --- shape and values ------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "got"), [("- a\n- b\n", "a list"), ("hello\n", "'hello'")])
def test_the_top_level_must_be_a_mapping(text: str, got: str) -> None:
    e = error_of(text)
    assert (e.line, e.column) == (1, 1)
    assert (
        f"expected a mapping with version, defaults and budgets at the top level, got {got}"
        in str(e)
    )


def test_an_unknown_key_suggests_the_closest_known_one() -> None:
    e = error_of(
        """\
        version: 1
        budgets:
          - job: train
            max_emmisions: 250 g
        """
    )
    assert (e.line, e.column, e.key_path) == (4, 5, "budgets[0].max_emmisions")
    assert "unknown key 'max_emmisions' (did you mean 'max_emissions'?)" in str(e)
    assert "needs a limit" not in str(e)  # the misspelt key is the one problem


def test_an_unknown_top_level_key_suggests_and_is_not_also_missing() -> None:
    e = error_of("version: 1\nbudget:\n  - max_emissions: 5 g\n")
    assert (e.line, e.column, e.key_path) == (2, 1, "budget")
    assert "did you mean 'budgets'?" in str(e)
    assert "missing" not in str(e)


def test_an_unknown_key_far_from_any_lists_the_known_ones() -> None:
    e = error_of("version: 1\ndefaults:\n  zzz: 1\nbudgets:\n  - max_energy: 1\n")
    assert "unknown key 'zzz' (known keys: country, intensity, mode, pue, region, warn_at)" in str(
        e
    )


@pytest.mark.parametrize(
    ("yaml_text", "line", "column", "key_path", "words"),
    [
        ("budgets:\n  - max_energy: 1\n", 1, 1, None, "missing required key 'version'"),
        ("version: 1\n", 1, 1, None, "missing required key 'budgets'"),
        (
            "version: '1'\nbudgets:\n  - max_energy: 1\n",
            1,
            10,
            "version",
            "expected the policy format version: 1, got '1'",
        ),
        ("version: 1\nbudgets: []\n", 2, 10, "budgets", "expected a non-empty list of rules"),
        ("version: 1\nbudgets:\n", 2, 9, "budgets", "got null"),
        (
            "version: 1\nbudgets:\n  - job: x\n",
            3,
            3,
            "budgets[0]",
            "a rule needs a limit: max_emissions, max_energy or both",
        ),
        (
            "version: 1\nbudgets:\n  - 5 g\n",
            3,
            3,
            "budgets[0]",
            "expected a rule: a mapping with max_emissions and/or max_energy",
        ),
        (
            "version: 1\nbudgets:\n  - job: 123\n    max_energy: 1\n",
            3,
            10,
            "budgets[0].job",
            "got 123 (quote it if you mean the text)",
        ),
        (
            "version: 1\nbudgets:\n  - branch: []\n    max_energy: 1\n",
            3,
            13,
            "budgets[0].branch",
            "expected a branch glob or a non-empty list of globs",
        ),
        (
            "version: 1\nbudgets:\n  - job: [a, '']\n    max_energy: 1\n",
            3,
            14,
            "budgets[0].job[1]",
            "expected a job name glob",
        ),
        (
            "version: 1\nbudgets:\n  - name: ''\n    max_energy: 1\n",
            3,
            11,
            "budgets[0].name",
            "expected a non-empty string, got ''",
        ),
        (
            "version: 1\nbudgets:\n  - mode: enforcing\n    max_energy: 1\n",
            3,
            11,
            "budgets[0].mode",
            "expected one of enforce, warn, off, got 'enforcing' (did you mean 'enforce'?)",
        ),
        (
            "version: 1\nbudgets:\n  - warn_at: 1.5\n    max_energy: 1\n",
            3,
            14,
            "budgets[0].warn_at",
            "0 < warn_at <= 1",
        ),
        (
            "version: 1\ndefaults:\n  warn_at: 0\nbudgets:\n  - max_energy: 1\n",
            3,
            12,
            "defaults.warn_at",
            "got 0",
        ),
        (
            "version: 1\ndefaults:\n  pue: 0.5\nbudgets:\n  - max_energy: 1\n",
            3,
            8,
            "defaults.pue",
            "expected a power usage effectiveness from 1.0 to 3.0",
        ),
        (
            "version: 1\ndefaults:\n  pue: 12\nbudgets:\n  - max_energy: 1\n",
            3,
            8,
            "defaults.pue",
            "got 12",
        ),
        (
            "version: 1\ndefaults:\n  pue: .nan\nbudgets:\n  - max_energy: 1\n",
            3,
            8,
            "defaults.pue",
            "not a finite number",
        ),
        (
            "version: 1\ndefaults:\n  country: fra\nbudgets:\n  - max_energy: 1\n",
            3,
            12,
            "defaults.country",
            "country code in upper case, e.g. FRA, or null, got 'fra' (did you mean 'FRA'?)",
        ),
        (
            "version: 1\ndefaults:\n  country: FR\nbudgets:\n  - max_energy: 1\n",
            3,
            12,
            "defaults.country",
            "use the 3-letter one",
        ),
        (
            "version: 1\ndefaults:\n  region: 3rd zone\n  country: USA\nbudgets: [max_energy: 1]\n",
            3,
            11,
            "defaults.region",
            "a region name codecarbon has data for",
        ),
        (
            "version: 1\ndefaults:\n  region: california\nbudgets:\n  - max_energy: 1\n",
            3,
            11,
            "defaults.region",
            "a region needs a country",
        ),
        (
            "version: 1\ndefaults: [1]\nbudgets:\n  - max_energy: 1\n",
            2,
            11,
            "defaults",
            "expected a mapping of settings",
        ),
    ],
)
def test_wrong_values_are_located_and_say_what_was_expected(
    yaml_text: str, line: int, column: int, key_path: str | None, words: str
) -> None:
    e = error_of(yaml_text)
    assert (e.file, e.line, e.column, e.key_path) == ("p.yml", line, column, key_path)
    assert words in str(e)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (
            "5 kgs",
            "expected a positive amount with a unit: ng, µg, mg, g, kg or t (bare number = kg), "
            "got '5 kgs'",
        ),
        ("0 kg", "use mode: off to measure without gating"),
        ("-1 kg", "got '-1 kg'"),
        ("1,5 kg", "write decimals with a dot"),
        (".inf", "not a finite number"),
        ("[1]", "got [1]"),
        ("true", "got true"),
    ],
)
def test_unit_errors_are_located(value: str, words: str) -> None:
    e = error_of(f"version: 1\nbudgets:\n  - job: x\n    max_emissions: {value}\n")
    assert (e.line, e.column, e.key_path) == (4, 20, "budgets[0].max_emissions")
    assert words in str(e)


def test_energy_and_intensity_units_are_checked_too() -> None:
    e = error_of("version: 1\nbudgets:\n  - max_energy: 3 kW\n")
    assert (e.line, e.column, e.key_path) == (3, 17, "budgets[0].max_energy")
    assert "nWh, µWh, mWh, Wh, kWh, MWh or GWh" in str(e)
    e = error_of("version: 1\ndefaults:\n  intensity: 350 g\nbudgets:\n  - max_energy: 1\n")
    assert (e.line, e.column, e.key_path) == (3, 14, "defaults.intensity")
    assert "expected a grid intensity from 0 to 2000 g CO2e/kWh such as '350 g/kWh'" in str(e)


def test_an_absurd_intensity_is_refused() -> None:
    e = error_of("version: 1\ndefaults:\n  intensity: 5 kg/kWh\nbudgets:\n  - max_energy: 1\n")
    assert e.key_path == "defaults.intensity"
    assert "from 0 to 2000 g CO2e/kWh" in str(e)


def test_the_units_greengate_prints_are_limits_a_policy_takes() -> None:
    # The demo prints "10 mg CO2e" and ledger list "63.8 nWh": a policy takes them back.
    policy = load_policy_text(
        "version: 1\ndefaults:\n  intensity: 0 g/kWh\nbudgets:\n"
        "  - max_emissions: 10 mg CO2e\n    max_energy: 63.8 nWh\n",
        "p.yml",
    )
    rule = policy.budgets[0]
    assert rule.max_emissions_kg == pytest.approx(1e-5)
    assert rule.max_energy_kwh == pytest.approx(6.38e-11)
    assert policy.defaults.grid.g_per_kwh == 0.0


def test_an_unsupported_version_is_reported_alone() -> None:
    e = error_of("version: 2\nbudgets:\n  - future_key: 1\n")
    assert (e.line, e.column, e.key_path) == (1, 10, "version")
    assert "unsupported policy version 2; this greengate reads version 1" in str(e)
    assert "future_key" not in str(e)
    assert e.hint and "upgrade greengate" in e.hint


def test_rules_after_a_catch_all_are_dead() -> None:
    e = error_of("version: 1\nbudgets:\n  - max_energy: 1\n  - job: train\n    max_energy: 2\n")
    assert (e.line, e.column, e.key_path) == (4, 3, "budgets[1]")
    assert "can never match: budgets[0] (line 3) has no job or branch" in str(e)


def test_several_problems_are_listed_in_line_order() -> None:
    e = error_of(
        """\
        version: 1
        defaults:
          mode: nope
          pue: 0
        budgets:
          - max_emissions: 5 kgs
            colour: green
            job: train
          - max_energy: 0
            warn_at: 2
        """
    )
    assert (e.line, e.column, e.key_path) == (3, 9, "defaults.mode")
    lines = str(e).splitlines()
    assert lines[1].startswith("  also p.yml:4:8: defaults.pue: expected a power usage")
    assert lines[2].startswith("  also p.yml:6:20: budgets[0].max_emissions: expected")
    assert lines[3].startswith("  also p.yml:7:5: budgets[0].colour: unknown key 'colour'")
    assert lines[4].startswith("  also p.yml:9:17: budgets[1].max_energy: expected a positive")
    assert lines[5] == "  and 1 more"


def test_an_error_message_names_the_source_given() -> None:
    with pytest.raises(PolicyError, match=r"^origin/main:ci/greengate.yml:1:1: missing"):
        load_policy_text("budgets:\n  - max_energy: 1\n", "origin/main:ci/greengate.yml")


# --- stop_at_limit --------------------------------------------------------------------------


def test_stop_at_limit_is_read_and_off_by_default() -> None:
    policy = load_policy_text(
        "version: 1\nbudgets:\n  - {job: a, max_energy: 1, stop_at_limit: true}\n"
        "  - {max_energy: 1}\n",
        "p.yml",
    )
    assert [b.stop_at_limit for b in policy.budgets] == [True, False]


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("{max_energy: 1, stop_at_limit: yes please}", "true or false"),
        ("{step: test*, max_energy: 1, stop_at_limit: true}", "stop_at_limit applies to"),
    ],
)
def test_a_bad_stop_at_limit_is_named_where_it_is(rule: str, expected: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(f"version: 1\nbudgets:\n  - {rule}\n", "p.yml")
    assert "stop_at_limit" in str(caught.value) and expected in str(caught.value)


def test_a_step_rule_after_the_default_rule_is_taken_and_used(tmp_path: Path) -> None:
    """docs/policy.md: a rule with only ``step`` may come anywhere, the default rule never takes
    a lap (issue 20: validate refused it)."""
    path = tmp_path / "greengate.yml"
    path.write_text(
        "version: 1\nbudgets:\n"
        "  - max_energy: 1 kWh\n"
        "  - step: test*\n    max_energy: 2 kWh\n"
        "  - step: '*'\n    job: build\n    max_energy: 3 kWh\n"
    )
    policy = load_policy(str(path))
    assert select_budget(policy, "build", "main") is policy.budgets[0]
    assert select_step_budget(policy, "build", "main", "test-unit") is policy.budgets[1]
    assert select_step_budget(policy, "build", "main", "lint") is policy.budgets[2]


def test_a_run_rule_after_step_rules_after_the_default_is_still_dead() -> None:
    e = error_of(
        "version: 1\nbudgets:\n  - max_energy: 1\n  - step: x\n    max_energy: 2\n"
        "  - job: train\n    max_energy: 2\n"
    )
    assert (e.line, e.key_path) == (6, "budgets[2]")
    assert "can never match: budgets[0] (line 3) has no job or branch" in str(e)
