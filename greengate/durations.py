"""Durations as people write them: ``45m``, ``8h``, ``3 s``, ``1h30m``, ``90 min``.

Strict like greengate.units: a timeout or a scheduling window that silently reads
``5 mins`` or ``1,5h`` as something else would wait for a time nobody wrote.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNIT_SECONDS = {
    "ms": 0.001,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)\s*", re.ASCII)
DURATION_EXPECTED = "a duration such as '45m', '8h', '3 s' or '1h30m'"
#: The longest duration or age greengate takes: a century. Longer ones are typos, and would
#: not fit a datetime or timedelta (years 1 to 9999) or a thread's wait (issue 20).
MAX_DAYS = 36_500
MAX_SECONDS = MAX_DAYS * 86400.0
_AGE = re.compile(r"\s*(\d+)\s*d\s*", re.ASCII)


class DurationError(ValueError):
    """A duration could not be read; the message says what was expected instead."""


def parse_duration(value: object, *, bare: str = "s") -> float:
    """Seconds in ``value``; a bare number is in the unit ``bare`` (``s`` or ``m``)."""
    got = f"expected {DURATION_EXPECTED}, got {value!r}"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise DurationError(got)
    if isinstance(value, (int, float)):
        seconds = float(value) * _UNIT_SECONDS[bare]
    else:
        text = value.strip().lower()
        if re.fullmatch(r"\d+(?:\.\d*)?|\.\d+", text, re.ASCII):
            seconds = float(text) * _UNIT_SECONDS[bare]
        else:
            seconds, position = 0.0, 0
            for match in _PART.finditer(text):
                if match.start() != position or match[2] not in _UNIT_SECONDS:
                    raise DurationError(got)
                seconds += float(match[1]) * _UNIT_SECONDS[match[2]]
                position = match.end()
            if position != len(text) or not text:
                raise DurationError(got)
    if not math.isfinite(seconds) or seconds <= 0:
        raise DurationError(f"{got} (a duration must be positive)")
    if seconds > MAX_SECONDS:
        raise DurationError(f"{got} (a duration is at most {MAX_DAYS} days)")
    return seconds


def parse_age(text: str) -> timedelta:
    """An age in whole days, ``30d``: from 0d to MAX_DAYS, else DurationError with the range."""
    found = _AGE.fullmatch(text)
    if found is None:
        raise DurationError(f"expected an age in days such as '30d', got {text!r}")
    # Compared as the digits' int: 99999999999d never reaches timedelta's OverflowError.
    if int(found[1]) > MAX_DAYS:
        raise DurationError(f"{text.strip()!r} is too long: an age is 0d to {MAX_DAYS}d")
    return timedelta(days=int(found[1]))
