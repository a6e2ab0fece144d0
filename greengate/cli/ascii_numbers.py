"""Numbers on the command line read as in a policy: ASCII digits only.

click's FLOAT and INT types call float() and int(), which also read ``1_000``, Arabic-Indic
or full-width digits; a policy's numbers and codecarbon's CSV refuse those (issue 20: one
reading everywhere). These types check the text first, then convert as click does.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # generic in click's own types from 8.2; a plain class in 8.1 at run time
    _FloatType = click.ParamType[float, Any]
else:
    _FloatType = click.ParamType

_INT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)
_FLOAT = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*", re.ASCII)


class AsciiFloat(_FloatType):
    """A float written with ASCII digits (``300``, ``0.5``, ``1e2``); not ``nan`` or ``inf``."""

    name = "float"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        if not _FLOAT.fullmatch(str(value)):
            self.fail(f"{value!r} is not a number written with ASCII digits (e.g. 300)", param, ctx)
        return float(value)


class AsciiIntRange(click.IntRange):
    """click.IntRange, written with ASCII digits only."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not _INT.fullmatch(value):
            self.fail(f"{value!r} is not a whole number written with ASCII digits", param, ctx)
        return super().convert(value, param, ctx)
