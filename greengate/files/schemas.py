"""The JSON Schemas greengate ships (greengate/schemas/), read as text."""

from __future__ import annotations

from pathlib import Path

_DIRECTORY = Path(__file__).parent.parent / "schemas"


def schema_text(name: str) -> str:
    """The shipped schema ``name`` (``policy.schema.json`` or ``verdict.schema.json``).

    Read beside this module, not through importlib.resources: its file reader imports
    zipfile, a few milliseconds of every start, and greengate is installed as files.
    """
    return (_DIRECTORY / name).read_text(encoding="utf-8")
