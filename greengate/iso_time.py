"""ISO 8601 times read the same way on every Python greengate supports.

``datetime.fromisoformat`` grew on 3.11: before, it refuses a trailing ``Z``, a fraction of
seconds that is not 3 or 6 digits (``.9``, nanoseconds) and the basic format. Providers,
codecarbon and other tools write all of these, so a time read on 3.10 failed where 3.12
read it. Every time greengate reads goes through here.
"""

from __future__ import annotations

import re
from datetime import datetime

# The seconds' fraction, then an offset (Z, +HH:MM, -HHMM) or the end.
_FRACTION = re.compile(r"(?<=:\d\d)[.,](\d+)(?=(?:[Zz]|[+-]\d\d(?::?\d\d)?)?$)", re.ASCII)


def parse_iso(text: str) -> datetime:
    """An ISO 8601 date or date-time (extended format), as ``fromisoformat`` on 3.11 reads it.

    Raises ValueError for what is not one.
    """
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    # At most microseconds: pad a short fraction, cut a long one (as 3.11 does).
    s = _FRACTION.sub(lambda m: "." + (m.group(1) + "000000")[:6], s, count=1)
    return datetime.fromisoformat(s)
