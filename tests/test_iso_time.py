"""Times read the same on Python 3.10 and 3.13 (.ci/run runs this on each)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from greengate.iso_time import parse_iso

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01T00:01:39Z", datetime(2026, 12, 1, 0, 1, 39, tzinfo=UTC)),
        ("2026-12-01T00:01:39.9Z", datetime(2026, 12, 1, 0, 1, 39, 900000, tzinfo=UTC)),
        ("2026-12-01T00:01:39.9+00:00", datetime(2026, 12, 1, 0, 1, 39, 900000, tzinfo=UTC)),
        ("2026-12-01T00:01:39,25z", datetime(2026, 12, 1, 0, 1, 39, 250000, tzinfo=UTC)),
        (
            "2026-12-01T00:01:39.123456789-02:00",
            datetime(2026, 12, 1, 0, 1, 39, 123456, tzinfo=timezone(timedelta(hours=-2))),
        ),
        ("2026-12-01T00:01:39.123", datetime(2026, 12, 1, 0, 1, 39, 123000)),
        ("2026-12-01 00:01", datetime(2026, 12, 1, 0, 1)),
        ("2026-12-01", datetime(2026, 12, 1)),
    ],
)
def test_times_providers_and_tools_write(text: str, expected: datetime) -> None:
    assert parse_iso(text) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-12-01T25:00", "1.5"])
def test_what_is_not_a_time_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)
