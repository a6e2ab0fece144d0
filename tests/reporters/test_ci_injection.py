"""No text a pull request controls can become a CI command, on any channel (issue 10).

Real ``greengate`` processes in GitHub and Azure mode, fed hostile branch and job names,
argv, rule names, policy paths and option values. Every line of stdout and stderr is read
as the runner reads it (a port of actions/runner ``ActionCommand.TryParseV2``/``TryParse``
and azure-pipelines-agent ``Command.TryParse``, with .NET's culture-sensitive comparison
approximated by skipping control and format characters), and the only commands allowed are
greengate's own. Step outputs are read back as the runner reads GITHUB_OUTPUT.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import CliResult, Greengate

from greengate.reporters.ci_commands import NeutralisingStream, neutralise, write_commands

PY = sys.executable
# actions/runner's registered command names (ActionCommandManager's extensions).
GITHUB_COMMANDS = frozenset(
    {
        "add-mask", "add-path", "set-env", "set-output", "save-state", "add-matcher",
        "remove-matcher", "warning", "error", "notice", "debug", "group", "endgroup", "echo",
        "stop-commands", "internal-set-repo-path",
    }
)  # fmt: skip
HOSTILE = "x\n::error::injected ##[warning]legacy ##vso[task.complete result=Failed;]az"
POLICY = """version: 1
defaults: {{intensity: 300}}
budgets:
  - name: {name}
    max_emissions: 1 kg
"""


def runner_lines(data: bytes) -> list[str]:
    """Lines as .NET's StreamReader.ReadLine splits them: at CR, LF or CRLF."""
    return re.split(r"\r\n|\r|\n", data.decode("utf-8", "replace"))


def _fold(line: str) -> str:
    # .NET compares culture-sensitively: zero-width and control characters are skipped.
    return "".join(c for c in line if unicodedata.category(c) not in ("Cf", "Cc"))


def github_command(line: str) -> str | None:
    """The command the runner would execute for ``line``, or None."""
    text = _fold(line).lstrip()
    if text.startswith("::"):
        end = text.find("::", 2)
        if end >= 0 and (name := text[2:end].split(" ")[0]) in GITHUB_COMMANDS:
            return name
    start = _fold(line).find("##[")
    if start >= 0:
        text = _fold(line)
        end = text.find("]", start)
        if end >= 0 and (name := text[start + 3 : end].split(" ")[0]) in GITHUB_COMMANDS:
            return name
    return None


def azure_command(line: str) -> str | None:
    """The ``area.action`` the agent would execute for ``line``, or None."""
    text = _fold(line)
    start = text.lower().find("##vso[")
    if start < 0:
        return None
    end = text.find("]", start)
    return text[start + 6 : end].split(" ")[0] if end >= 0 else None


def all_lines(result: CliResult) -> list[str]:
    return runner_lines(result.stdout) + runner_lines(result.stderr.encode())


def github_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        **extra,
    }


def azure_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(tmp_path), **extra}


def outputs(path: Path) -> dict[str, str]:
    """GITHUB_OUTPUT as the runner reads it (``name=value`` and ``name<<DELIM`` blocks)."""
    found: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for more in lines:
                if more == delimiter:
                    break
                value.append(more)
            found[name] = "\n".join(value)
        else:
            name, _, value = line.partition("=")
            found[name] = value
    return found


# Each case: extra environment, extra options before --, and the command's argv.
CASES = {
    "branch": ({"GITHUB_HEAD_REF": HOSTILE, "BUILD_SOURCEBRANCH": HOSTILE}, [], ["pass"]),
    "job": ({"GITHUB_JOB": "m ##[warning]x", "SYSTEM_JOBNAME": "m ##vso[task.complete]x"}, [], []),
    "job option": ({}, ["--job", HOSTILE, "--branch", HOSTILE], []),
    "argv": ({}, [], ["pass", HOSTILE, "\n::set-output name=status::pass", "  ::add-mask::x"]),
    "zero-width": ({}, ["--job", "a\n\u200b::error::zw #\u200b#[error]y"], []),
}


@pytest.mark.parametrize("case", CASES)
def test_hostile_names_run_no_github_command(
    greengate: Greengate, tmp_path: Path, case: str
) -> None:
    env, options, argv = CASES[case]
    (tmp_path / "greengate.yml").write_text(POLICY.format(name="tests"))
    result = greengate(
        "run", *options, "--", PY, "-c", *(argv or ["pass"]), env=github_env(tmp_path, **env)
    )
    assert result.returncode == 0, result.stderr
    commands = [c for line in all_lines(result) if (c := github_command(line))]
    assert commands == ["notice"], all_lines(result)  # greengate's own annotation, only
    assert set(outputs(tmp_path / "output")) == {"status", "emissions-kg", "energy-kwh", "verdict"}
    assert outputs(tmp_path / "output")["status"] == "pass"


@pytest.mark.parametrize("case", CASES)
def test_hostile_names_run_no_azure_command(
    greengate: Greengate, tmp_path: Path, case: str
) -> None:
    env, options, argv = CASES[case]
    (tmp_path / "greengate.yml").write_text(POLICY.format(name="tests"))
    result = greengate(
        "run", *options, "--", PY, "-c", *(argv or ["pass"]), env=azure_env(tmp_path, **env)
    )
    assert result.returncode == 0, result.stderr
    commands = [c for line in all_lines(result) if (c := azure_command(line))]
    # greengate's own: the variables (plain and output) and the summary; nothing completes.
    assert set(commands) == {"task.setvariable", "task.uploadsummary"}, all_lines(result)
    for line in all_lines(result):
        if azure_command(line) == "task.setvariable":
            assert re.search(r"variable=GREENGATE_[A-Z_]+;", line), line


def test_a_hostile_rule_name_and_policy_path(greengate: Greengate, tmp_path: Path) -> None:
    name = '"r ::error::a ##[error]b ##vso[task.complete result=Failed;]c"'
    policy = tmp_path / "p\n::warning::path ##[error]p.yml"
    policy.write_text(POLICY.format(name=name))
    for env, parse, own in (
        (github_env(tmp_path), github_command, ["notice"]),
        (azure_env(tmp_path), azure_command, None),
    ):
        result = greengate("run", "--policy", str(policy), "--", PY, "-c", "pass", env=env)
        assert result.returncode == 0, result.stderr
        commands = [c for line in all_lines(result) if (c := parse(line))]
        if own is not None:
            assert commands == own, all_lines(result)
        else:
            assert "task.complete" not in commands, all_lines(result)
            assert set(commands) <= {"task.setvariable", "task.uploadsummary"}


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--policy", "missing\n::error::m ##[error]n.yml", "--", "true"],  # our error
        ["validate", "--nope\n::error::click ##[error]c"],  # click's own usage error
        ["run", "--report", "x\n::error::r ##vso[task.complete result=Failed;]", "--", "true"],
        ["validate", "missing\n::error::v.yml"],
        ["check", "--measurement", "m\n::error::c ##[error]x.json"],
    ],
)
def test_error_messages_run_no_command(
    greengate: Greengate, tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY.format(name="tests"))
    for env in (github_env(tmp_path), azure_env(tmp_path)):
        result = greengate(*args, env=env)
        assert result.returncode == 2, result.stderr
        lines = all_lines(result)
        assert any("::error::" in line or "##" in line for line in lines)  # the text is shown
        assert not [line for line in lines if github_command(line) or azure_command(line)], lines


def test_an_annotation_after_output_without_a_newline_starts_its_own_line(
    greengate: Greengate, tmp_path: Path
) -> None:
    (tmp_path / "greengate.yml").write_text(POLICY.format(name="tests"))
    result = greengate("run", "--", "printf", "x", env=github_env(tmp_path))
    assert result.returncode == 0, result.stderr
    lines = runner_lines(result.stdout)
    assert lines[0] == "x"  # the command's own output, untouched
    assert [github_command(line) for line in lines] == [None, "notice", None]


def test_the_command_own_output_is_not_touched(greengate: Greengate, tmp_path: Path) -> None:
    # The wrapped command shares the streams; what it prints is its own business.
    (tmp_path / "greengate.yml").write_text(POLICY.format(name="tests"))
    code = "print('::notice::from the command')"
    result = greengate("run", "--", PY, "-c", code, env=github_env(tmp_path))
    assert result.stdout.startswith(b"::notice::from the command\n")


# --- the neutraliser itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "::error::x",
        " \t ::error::x",
        "\u00a0::error::x",
        "\u200b::error::x",
        "\ufeff::error::x",
        "a ##[warning]x",
        "a #\u00ad#[warning]x",
        "a ##vso[task.complete]x",
        "a ##VSO[task.complete]x",
        "ok\r::error::x",
        "ok\r\n##[error]x",
        "ok\u2028::error::x",
    ],
)
def test_neutralised_text_holds_no_command(text: str) -> None:
    out = neutralise(text)
    for line in runner_lines(out.encode()):
        assert github_command(line) is None and azure_command(line) is None, out
    assert out.replace("\\", "") == text  # nothing dropped: a backslash inserted


def test_a_command_split_across_writes_is_still_caught() -> None:
    import io

    inner = io.StringIO()
    stream = NeutralisingStream(inner)
    for piece in ["line\n", " ", ":", ":error::x\n", "a #", "#", "[error]x\n", "##v", "so[t]"]:
        stream.write(piece)
    for line in runner_lines(inner.getvalue().encode()):
        assert github_command(line) is None and azure_command(line) is None, inner.getvalue()


def test_own_commands_bypass_the_guard_and_start_a_line() -> None:
    import io

    inner = io.StringIO()
    stream = NeutralisingStream(inner)
    stream.write("no newline ::error::x")
    write_commands(stream, ["::notice::greengate"])  # type: ignore[arg-type]
    stream.write("::error::after")
    lines = runner_lines(inner.getvalue().encode())
    assert [github_command(line) for line in lines] == [None, "notice", None]


def test_the_guard_has_no_buffer_to_go_around_it() -> None:
    import io

    with pytest.raises(AttributeError):
        NeutralisingStream(io.StringIO()).buffer  # noqa: B018


def test_own_commands_find_the_guard_through_a_wrapper() -> None:
    import io

    from greengate.cli.streams import TolerantStream

    inner = io.StringIO()
    stream = TolerantStream(NeutralisingStream(inner), 1)  # type: ignore[arg-type]
    write_commands(stream, ["::notice::greengate"])  # type: ignore[arg-type]
    assert [github_command(line) for line in runner_lines(inner.getvalue().encode())] == [
        None,
        "notice",
        None,
    ]
