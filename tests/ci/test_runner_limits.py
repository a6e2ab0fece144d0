"""What act does not show as GitHub would, checked without act.

act runs steps on a pseudo-terminal (GitHub gives them pipes) and parses workflow commands
more loosely than the runner. Here greengate runs as the action runs it, on pipes, and its
annotation is read by the runner's own rules (workflow_commands.py).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_commands import ANNOTATIONS, parse

POLICY = """\
version: 1
budgets:
  - name: "rule, with: a comma and colon %"
    max_emissions: 1 kg
"""


def test_on_pipes_the_annotation_is_one_line_the_runner_reads_whole(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()  # a repository top, for the annotation's path
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "greengate.yml").write_text(POLICY, encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "GITHUB_ACTIONS": "true",
        "GITHUB_JOB": "a,b:c%0A",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GREENGATE_LEDGER": "off",
    }
    done = subprocess.run(
        [sys.executable, "-m", "greengate", "run", "--shown-as", "echo hi", "--", "echo", "hi"],
        cwd=tmp_path / "sub",
        env=env,
        capture_output=True,  # pipes, as on GitHub: no progress line, no terminal codes
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    commands = [c for c in map(parse, done.stdout.splitlines()) if c is not None]
    assert [c.name for c in commands] == ["notice"]
    notice = commands[0]
    assert notice.properties["file"] == "sub/greengate.yml"
    assert notice.properties["line"] == "3"
    assert notice.properties["title"] == "greengate: PASS"
    assert "rule, with: a comma and colon %" in notice.message
    assert "\r" not in done.stdout + done.stderr and "\x1b[" not in done.stdout + done.stderr
    assert "`echo hi`" in summary.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "::notice file=a%2Cb.yml,line=3::x%0Ay",
            ("notice", {"file": "a,b.yml", "line": "3"}, "x\ny"),
        ),
        ("  ::error::m%25", ("error", {}, "m%")),
        ("x ::error::m", None),
        ("::warning file=a::b::c", ("warning", {"file": "a"}, "b::c")),
        ("::error file::m", None),
    ],
)
def test_the_strict_parser_reads_as_the_runner_does(line: str, expected: object) -> None:
    got = parse(line)
    assert (None if got is None else (got.name, got.properties, got.message)) == expected
    assert got is None or got.name in ANNOTATIONS
