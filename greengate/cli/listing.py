"""Plain lists that fit the width: what ``profiles`` and ``report`` print instead of tables.

A table squeezed to 80 columns cuts its cells to one letter, and a CI log (no terminal,
80 columns) is where these commands are read most; a list wraps whole words instead.
"""

from __future__ import annotations

import shutil
import textwrap

#: the width when there is no terminal and no COLUMNS: what a CI log is read at
DEFAULT_WIDTH = 80
_NARROWEST = 40  # below this a hanging indent leaves no room for words


def output_width() -> int:
    """$COLUMNS, else the terminal's width, else 80."""
    return max(shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns, _NARROWEST)


def wrapped(text: str, width: int, *, first: str = "", rest: str | None = None) -> list[str]:
    """``text`` in lines of at most ``width``: ``first`` before the first, ``rest`` (default
    spaces as wide as ``first``) before the others; words are never split."""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=first,
        subsequent_indent=" " * len(first) if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [first.rstrip()]


def labelled(rows: list[tuple[str, str]], width: int, *, indent: str = "  ") -> list[str]:
    """``label  value`` lines, the values aligned after the longest label and wrapped."""
    column = max((len(label) for label, _ in rows), default=0) + 2
    lines: list[str] = []
    for label, value in rows:
        lines += wrapped(value, width, first=f"{indent}{label:<{column}}")
    return lines
