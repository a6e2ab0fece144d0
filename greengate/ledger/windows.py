"""Cumulative windows: which windows a run charges, and from when (whole UTC days)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase

from greengate.ledger.records import WindowQuery
from greengate.ledger.rows import utc
from greengate.policy.model import Period, Window


def period_start(window: Window, now: datetime) -> datetime:
    """Midnight UTC of the first day the window counts (windows are whole UTC days)."""
    today = utc(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if window.period is Period.DAY:
        return today
    if window.period is Period.WEEK:
        return today - timedelta(days=today.weekday())
    if window.period is Period.MONTH:
        return today.replace(day=1)
    if window.period is Period.QUARTER:
        return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1)
    return today - timedelta(days=(window.days or 1) - 1)


def matching(windows: tuple[Window, ...], branch: str | None) -> tuple[Window, ...]:
    """Every window whose globs match the branch; a run with no known branch charges none."""
    if branch is None:
        return ()
    return tuple(w for w in windows if any(fnmatchcase(branch, g) for g in w.branches))


def queries(
    windows: tuple[Window, ...], repository: str | None, branch: str, now: datetime
) -> tuple[WindowQuery, ...]:
    """What to ask the ledger for each window (keyed by position, labels may repeat)."""
    return tuple(
        WindowQuery(str(i), repository, branch, period_start(w, now)) for i, w in enumerate(windows)
    )


def named_period(text: str) -> tuple[datetime, datetime]:
    """A reporting period by name: ``2026``, ``2026-Q3`` or ``2026-07``; [start, end) in UTC."""
    # ASCII digits: Unicode's \d would read Arabic-Indic 2026 as the year (issue 20).
    found = re.fullmatch(
        r"(\d{4})(?:-(?:Q([1-4])|(\d{2})))?", text.strip(), re.IGNORECASE | re.ASCII
    )
    if not found or (found.group(3) and not 1 <= int(found.group(3)) <= 12):
        raise ValueError(f"expected a period like 2026, 2026-Q3 or 2026-07, got {text!r}")
    year = int(found.group(1))
    if found.group(2):
        first, months = (int(found.group(2)) - 1) * 3 + 1, 3
    elif found.group(3):
        first, months = int(found.group(3)), 1
    else:
        first, months = 1, 12
    start = datetime(year, first, 1, tzinfo=timezone.utc)
    after = first - 1 + months
    return start, datetime(year + after // 12, after % 12 + 1, 1, tzinfo=timezone.utc)
