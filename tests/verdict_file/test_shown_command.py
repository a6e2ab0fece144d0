"""``--shown-as``: the command as written, kept beside the argv that wrapped it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Greengate
from factories import assert_valid_verdict, make_command, make_verdict

from greengate.reporters.markdown import verdict_markdown
from greengate.verdict_file.verdict_json import verdict_from_dict, verdict_to_dict

WRAPPED = ("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "trap ... INT\npytest -q")


def test_the_shown_command_is_written_read_back_and_what_reports_show() -> None:
    verdict = make_verdict(command=make_command(argv=WRAPPED, shown="pytest -q"))
    data = verdict_to_dict(verdict)
    assert_valid_verdict(data)
    assert data["command"]["argv"] == list(WRAPPED) and data["command"]["shown"] == "pytest -q"
    assert verdict_from_dict(data) == verdict
    table = verdict_markdown(verdict)
    assert "`pytest -q`" in table and "--noprofile" not in table


def test_without_it_the_verdict_has_no_shown_key_and_reports_show_argv() -> None:
    verdict = make_verdict(command=make_command(argv=("make", "all")))
    data = verdict_to_dict(verdict)
    assert "shown" not in data["command"]
    assert "`make all`" in verdict_markdown(verdict)


def test_run_shown_as_reaches_the_verdict_and_the_console(
    tmp_path: Path, greengate: Greengate
) -> None:
    (tmp_path / "greengate.yml").write_text("version: 1\nbudgets:\n  - max_emissions: 1 kg\n")
    done = greengate(
        "run", "--shown-as", "say hi", "--", "echo", "hi", env={"GREENGATE_LEDGER": "off"}
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads((tmp_path / "greengate-verdict.json").read_text())
    assert verdict["command"]["argv"] == ["echo", "hi"]
    assert verdict["command"]["shown"] == "say hi"
    assert "say hi: exit 0" in done.stderr
