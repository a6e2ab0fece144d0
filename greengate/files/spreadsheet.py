"""The one CSV writer of every export: cells a spreadsheet reads as text, rows it reads whole.

Job names, branches, zones and sources come from pull requests and policies, so a text cell
may hold anything (issue 20):

- a line break splits the row unless the cell is quoted, and Python's csv.writer quotes a
  lone carriage return only on some versions (3.11 does not, with ``\\n`` line endings);
  here a cell holding ``,``, ``"``, CR or LF is always quoted (RFC 4180, section 2);
- a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
  formula by spreadsheets (OWASP "CSV injection"), so such a text cell gets a leading ``'``.
  A reader that wants the text back drops that one ``'`` (``text_of``).

Numbers are written as Python writes them (``repr`` of a float: it reads back exactly) and
never get the ``'``: ``-0.5`` stays a number. Lines end with ``\\n``, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_QUOTED = (",", '"', "\r", "\n")


def cell(value: Any) -> str:
    """One cell's text: None empty, text defused and quoted where needed, a number as is."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)  # int, float (repr), bool: what csv.writer writes
    text: str = value
    if text.lstrip("'").startswith(FORMULA_STARTS):  # "'=x" too: text_of must undo one
        text = "'" + text
    if any(c in text for c in _QUOTED):
        return '"' + text.replace('"', '""') + '"'
    return text


def line(row: Iterable[Any]) -> str:
    """One CSV line, ``\\n`` included."""
    return ",".join(map(cell, row)) + "\n"


def lines(rows: Iterable[Iterable[Any]]) -> str:
    """CSV lines for ``rows``."""
    return "".join(map(line, rows))


def text_of(read: str) -> str:
    """A text cell as csv.reader gives it back, without the ``'`` that defused a formula."""
    if read.startswith("'") and read.lstrip("'").startswith(FORMULA_STARTS):
        return read[1:]
    return read
