"""The verdict file's JSON values: numbers that may be undefined, times with an offset."""

from __future__ import annotations

import math
from datetime import datetime

from greengate.iso_time import parse_iso


def finite(x: float | None) -> float | None:
    """The number, or None where JSON cannot hold it (RFC 8259 has no NaN or Infinity)."""
    return x if x is not None and math.isfinite(x) else None


def opt_float(x: float | None) -> float | None:
    """A number read back, or None."""
    return float(x) if x is not None else None


def iso(t: datetime) -> str:
    """A time with its offset; a naive time is taken as local time."""
    return (t if t.tzinfo is not None else t.astimezone()).isoformat()


def parse_time(s: str) -> datetime:
    """A time as ``iso`` writes it (or with a trailing ``Z``, which 3.10 does not parse)."""
    return parse_iso(s)
