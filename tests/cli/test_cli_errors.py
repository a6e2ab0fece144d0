"""The one error handler: every command's exit code, --debug and GREENGATE_DEBUG everywhere,
no traceback for a user's mistake, always a way to greengate's own bug's traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from greengate import exit_codes
from greengate.cli import cli
from greengate.reporters.interface import Reporter
from greengate.reporters.registry import REPORTERS
from greengate.verdict import Verdict

POLICY = textwrap.dedent(
    """\
    version: 1
    defaults:
      intensity: 350 g/kWh
    budgets:
      - name: ci
        max_emissions: 250 g
    """
)


@pytest.fixture
def buggy_commands() -> Iterator[None]:
    """A command and a nested group's command that fail as greengate's own bugs would."""

    @click.command("buggy")
    def buggy() -> int:
        raise RuntimeError("a bug in the command")

    @click.command("interrupted")
    def interrupted() -> int:
        raise KeyboardInterrupt

    @click.group("nested")
    def nested() -> None:
        """A group, as ``greengate ledger`` is one."""

    @nested.command("list")
    def nested_list() -> int:
        return {"no": "such key"}["key"]  # type: ignore[return-value]

    for command in (buggy, interrupted, nested):
        cli.add_command(command)
    yield
    for command in (buggy, interrupted, nested):
        cli.commands.pop(str(command.name))


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env)


@pytest.mark.usefixtures("buggy_commands")
@pytest.mark.parametrize("args", [("buggy",), ("nested", "list")])
def test_a_bug_says_where_it_broke_and_how_to_see_the_traceback(args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == exit_codes.NOT_MEASURED
    assert "greengate: internal error (a bug in greengate):" in result.output
    assert "test_cli_errors.py:" in result.output  # the innermost frame
    assert "rerun with --debug or GREENGATE_DEBUG=1" in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("buggy_commands")
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--debug", "buggy"), {}),
        (("--debug", "nested", "list"), {}),  # `greengate --debug ledger list` said "rerun"
        (("nested", "list"), {"GREENGATE_DEBUG": "1"}),
        (("buggy",), {"GREENGATE_DEBUG": "yes"}),
    ],
)
def test_debug_shows_the_traceback_for_every_command(
    args: tuple[str, ...], env: dict[str, str]
) -> None:
    result = invoke(*args, env=env)
    assert result.exit_code == exit_codes.NOT_MEASURED
    assert "Traceback (most recent call last)" in result.output
    assert "rerun with --debug" not in result.output


@pytest.mark.usefixtures("buggy_commands")
@pytest.mark.parametrize("value", ["0", "false", "off", ""])
def test_debug_off_values_keep_the_traceback_away(value: str) -> None:
    result = invoke("buggy", env={"GREENGATE_DEBUG": value})
    assert "Traceback" not in result.output
    assert "rerun with --debug" in result.output


@pytest.mark.usefixtures("buggy_commands")
def test_ctrl_c_is_130_without_a_traceback() -> None:
    result = invoke("--debug", "interrupted")
    assert result.exit_code == exit_codes.INTERRUPTED == 130
    # click ends the ^C line first; then the one line, and nothing else.
    assert result.output.strip() == "greengate: interrupted"


@pytest.mark.parametrize(
    "args",
    [
        ("--debug", "ledger", "list", "--since", "someday"),
        ("--debug", "ledger", "prune", "--older-than", "a year"),
        ("--debug", "report", "--period", "2026-Q5"),
        ("--debug", "validate", "missing.yml"),
        ("--debug", "check", "--measurement", "missing.json"),
    ],
)
def test_a_users_mistake_is_one_line_even_under_debug(
    args: tuple[str, ...], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "greengate.yml").write_text(POLICY, encoding="utf-8")
    result = (
        invoke(*args, "--ledger", str(tmp_path / "l.db"))
        if "ledger" in args or ("report" in args)
        else invoke(*args)
    )
    assert result.exit_code == exit_codes.USAGE, result.output
    assert result.output.startswith("greengate: error: "), result.output
    assert "Traceback" not in result.output


def test_a_bad_option_is_clicks_usage_message_and_2() -> None:
    result = invoke("--debug", "ledger", "list", "--no-such-option")
    assert result.exit_code == exit_codes.USAGE
    assert "Error: No such option '--no-such-option'" in result.output
    assert "Usage: " in result.output
    assert "Traceback" not in result.output


def test_an_unwritable_export_file_is_a_users_mistake(tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "runs.csv"
    result = invoke("ledger", "export", "--ledger", str(tmp_path / "l.db"), "-o", str(target))
    assert result.exit_code == exit_codes.USAGE, result.output
    assert f"greengate: error: cannot write the export to {target}: " in result.output
    assert not target.parent.exists()


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--help",), 0),
        (("--version",), 0),
        (("validate",), 0),
        (("validate", "missing.yml"), exit_codes.USAGE),
        (("init", "new.yml"), 0),
        (("init", "greengate.yml"), exit_codes.USAGE),  # never over an existing file
        (("profiles", "--json"), 0),
        (("ledger", "list", "--ledger", "l.db"), 0),
        (("ledger", "export", "--ledger", "l.db", "-o", "runs.csv"), 0),
        (("ledger", "prune", "--older-than", "400d", "--ledger", "l.db"), 0),
        (("report", "--ledger", "l.db"), 0),
        (("report", "--ledger", "l.db", "--html", "report.html"), 0),
        (("badge", "--ledger", "l.db", "-o", "badge.svg"), 0),
        (("run", "--intensity", "350", "--", sys.executable, "-c", "raise SystemExit(5)"), 5),
        (("ledger", "list", "--limit", "0"), exit_codes.USAGE),
        (("lap", "build", "--state", "no-job"), exit_codes.USAGE),  # no 'greengate start'
        (("stop", "--state", "no-job"), exit_codes.USAGE),
    ],
)
def test_every_command_returns_its_exit_code(
    args: tuple[str, ...], code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENGATE_LEDGER", "off")
    (tmp_path / "greengate.yml").write_text(POLICY, encoding="utf-8")
    # Not standalone: the command line gives its code back instead of exiting with it.
    assert cli.main(list(args), standalone_mode=False) == code


def test_the_console_script_exits_with_the_code(tmp_path: Path) -> None:
    bad = subprocess.run(
        [sys.executable, "-m", "greengate", "--debug", "validate", "missing.yml"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "GREENGATE_DEBUG": ""},
    )
    assert bad.returncode == exit_codes.USAGE
    assert bad.stderr.startswith("greengate: error: missing.yml")
    assert "Traceback" not in bad.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "greengate", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (ok.returncode, ok.stdout.startswith("greengate, version ")) == (0, True)


class BuggyReporter(Reporter):
    """A reporter with a bug of greengate's own in it."""

    name = "buggy"

    def report(self, verdict: Verdict) -> None:
        raise RuntimeError("a bug in a reporter")


@pytest.mark.parametrize("debug", [False, True])
def test_a_reporters_bug_keeps_the_exit_code_and_a_way_to_its_traceback(
    debug: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GREENGATE_LEDGER", "off")
    (tmp_path / "greengate.yml").write_text(POLICY, encoding="utf-8")
    # One more line in the registry, as adding a reporter is.
    monkeypatch.setitem(REPORTERS, "buggy", f"{__name__}:BuggyReporter")
    args = ["--report", "buggy", "--quiet", "--", sys.executable, "-c", "pass"]
    result = invoke(*(["--debug"] if debug else []), "run", "--intensity", "350", *args)
    assert result.exit_code == 0, result.output  # the run passed; the verdict was written
    assert "the buggy report failed (a bug in greengate): RuntimeError" in result.output
    assert ("Traceback (most recent call last)" in result.output) is debug
    assert ("rerun with --debug or GREENGATE_DEBUG=1" in result.output) is not debug


@pytest.mark.parametrize(
    "args",
    [
        ("where", "--energy", "10 kWh"),
        ("where", "--energy", "10 kWh", "--json"),
        ("--help",),
        ("ledger", "export", "--ledger", "l.db"),
    ],
    ids=["where", "where-json", "help", "ledger-export"],
)
def test_a_closed_output_pipe_is_141_not_the_over_budget_code(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """Issue 20: ``greengate where | head -c1`` exited 1, as if over budget, silently."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before greengate writes a byte: every write EPIPEs
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "greengate", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    stderr = proc.stderr.decode()
    assert proc.returncode == exit_codes.OUTPUT_CLOSED == 141, stderr
    assert "standard output was closed" in stderr
    assert "internal error" not in stderr and "Traceback" not in stderr


def test_an_epipe_that_is_not_the_output_stays_a_bug(buggy_commands: None) -> None:
    """Only a closed standard output is 141: an EPIPE from a socket or a child is a bug, 3."""

    @click.command("pipe")
    def pipe() -> int:
        raise BrokenPipeError(32, "Broken pipe")

    cli.add_command(pipe)
    try:
        result = CliRunner().invoke(cli, ["pipe"])
    finally:
        cli.commands.pop("pipe")
    assert result.exit_code == exit_codes.NOT_MEASURED
    assert "internal error (a bug in greengate): BrokenPipeError" in result.output
