"""Text as both databases can store it, applied to every parameter a ledger binds.

POSIX names are bytes: a branch ``feat/\\xff`` reaches Python as text with a lone surrogate
(PEP 383), which neither SQLite nor PostgreSQL (both UTF-8) can take: the insert raised
UnicodeEncodeError and the run lost its verdict. Each backend wraps its connection in
``StorableText``, so no query, old or new, can bind such a string: each undecodable byte is
stored as ``\\xNN``, readable and distinct from every other name (git forbids backslashes in
ref names). The verdict keeps the exact bytes (verdict_file/undecodable.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def storable(value: Any) -> Any:
    """``value``, with a string that is not valid UTF-8 made so (``\\xNN`` per bad byte)."""
    if not isinstance(value, str):
        return value
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        raw = value.encode("utf-8", "surrogateescape")
        return raw.decode("utf-8", "backslashreplace")


class StorableText:
    """A DB-API connection whose ``execute`` stores every text parameter as valid UTF-8."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def execute(self, sql: Any, params: Any = (), *args: Any, **kwargs: Any) -> Any:
        """The connection's ``execute``, its parameters made storable."""
        if isinstance(params, Mapping):
            params = {k: storable(v) for k, v in params.items()}
        elif isinstance(params, Sequence) and not isinstance(params, str):
            params = tuple(storable(v) for v in params)
        return self._connection.execute(sql, params, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)
