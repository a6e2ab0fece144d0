"""JSON as greengate reads and writes it: nesting bounded on the way in, finite numbers both ways.

Every JSON greengate reads (a verdict given to ``check``, job state, caches, a matrix key)
comes through ``load_json``: Python's decoder recurses once per level, so a file nested a few
thousand deep is a RecursionError in whatever walks it next (issue 20), and it reads
``NaN``, ``Infinity`` and ``1e400`` as numbers no figure can be. Every JSON greengate writes
comes through ``dump_json``: ``allow_nan=False``, because ``NaN`` and ``Infinity`` are not
JSON (RFC 8259, section 6) and a strict reader (jq, JavaScript's JSON.parse) refuses the file.
"""

from __future__ import annotations

import json
import math
from typing import Any

from greengate import exit_codes
from greengate.errors import GreengateError
from greengate.files.markup import valid_unicode

#: Deeper than anything greengate writes (a verdict is 6 levels) by a wide margin, and far
#: below what Python's recursion (json, jsonschema) survives.
MAX_JSON_DEPTH = 64


class JsonInputError(ValueError):
    """JSON that parses but that greengate refuses: too deep, or a number that is not finite."""


class JsonOutputError(GreengateError):
    """A figure that JSON cannot carry reached a writer: refused rather than written invalid."""

    exit_code = exit_codes.NOT_MEASURED


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        raise JsonInputError(f"the number {text[:40]} is too large to be a figure")
    return value


def _no_constant(name: str) -> float:
    raise JsonInputError(f"{name} is not a JSON number")


def load_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The value in ``text``; ValueError (JSONDecodeError or JsonInputError) when refused."""
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_no_constant)
    except RecursionError:
        raise JsonInputError(f"nested deeper than {max_depth} levels") from None
    if _deeper_than(value, max_depth):
        raise JsonInputError(f"nested deeper than {max_depth} levels")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than ``limit`` levels; iterative, so any depth is safe."""
    level: list[Any] = [value]
    for _ in range(limit):
        level = [
            child
            for node in level
            if isinstance(node, (dict, list))
            for child in (node.values() if isinstance(node, dict) else node)
            if isinstance(child, (dict, list))
        ]
        if not level:
            return False
    return True


def _valid_text(value: Any) -> Any:
    """``value`` with each lone surrogate (an undecodable byte, PEP 383) in its strings as U+FFFD.

    JSON text is Unicode (RFC 8259, section 8.1): a lone surrogate cannot be encoded as UTF-8
    at all, and written as an escape strict readers refuse it. The verdict keeps the exact
    bytes beside (verdict_file/undecodable.py); other outputs show the replacement character.
    """
    if isinstance(value, str):
        return valid_unicode(value)
    if isinstance(value, dict):
        return {_valid_text(k): _valid_text(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_valid_text(v) for v in value]
    return value


def dump_json(value: Any, **options: Any) -> str:
    """``json.dumps(value, **options)`` that refuses NaN and the infinities (JsonOutputError),
    with any undecodable byte in a string shown as U+FFFD."""
    try:
        return json.dumps(_valid_text(value), allow_nan=False, **options)
    except ValueError as e:
        raise JsonOutputError(
            f"refused to write JSON holding a figure that is not finite ({e})",
            hint="a stored or imported figure is NaN or infinite; find the record "
            "(greengate ledger list) and delete or re-import it",
        ) from None
