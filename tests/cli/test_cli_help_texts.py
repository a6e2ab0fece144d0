"""Every command's help as a user reads it (issue 19): plain text, and true of the command."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from greengate.cli import cli


def commands(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command's argv, nested groups included (loaded as the CLI loads them)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from commands(command, (*prefix, name))


ALL = [(), *commands()]


def help_of(argv: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*argv, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def test_every_command_is_walked() -> None:
    names = {" ".join(argv) for argv in ALL}
    assert {"run", "check", "when", "where", "badge", "ledger list", "validate"} <= names


@pytest.mark.parametrize("argv", ALL, ids=lambda argv: " ".join(argv) or "greengate")
def test_help_is_plain_text_without_restructuredtext_markup(argv: tuple[str, ...]) -> None:
    text = help_of(argv)
    assert "``" not in text  # badge said ``carbon | 1.2 kg / 30 days``
    assert ":func:" not in text and ":class:" not in text


def test_when_offers_no_fallback_and_no_command_to_end() -> None:
    # when looks a forecast up; there is no command, and no forecast to fall back on.
    text = " ".join(help_of(("when",)).split())
    assert "after the command ends" not in text
    assert "--grid-fallback" not in text
    assert "--grid-timeout DURATION Most the forecast lookup may take" in text
    result = CliRunner().invoke(
        cli, ["when", "--duration", "1h", "--within", "2h", "--grid-fallback", "bundled"]
    )
    assert result.exit_code == 2 and "No such option '--grid-fallback'" in result.output
    run = " ".join(help_of(("run",)).split())
    assert "--grid-fallback [bundled|error]" in run  # a run has the bundled figure to use
