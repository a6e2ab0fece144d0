"""Provider answers kept per provider, zone, signal and slot under the cache directory.

So a hundred jobs in an hour make one call per slot: a measured value never changes and
is kept; a forecast or estimated one is trusted for one slot length (at least 30 minutes)
after it was fetched. A cache that cannot be read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from greengate.files.cache import store_text
from greengate.files.json_text import dump_json, load_json
from greengate.intensity.grid_api import MAPPING_ERRORS, checked, intensity
from greengate.intensity.slots import CoverageError, Slot, covering
from greengate.iso_time import parse_iso
from greengate.policy.model import LiveGrid

KEEP = timedelta(days=3)  # older slots are dropped when the file is written
MIN_TRUST = timedelta(minutes=30)


class SlotCache:
    """One file per provider, zone and signal: ``{start: {end, g, forecast, estimated, at}}``."""

    def __init__(self, root: Path, grid: LiveGrid) -> None:
        zone = re.sub(r"[^A-Za-z0-9_.-]", "_", grid.zone)
        name = f"{grid.provider.value}-{zone}-{grid.signal.value}"
        if grid.url:  # a self-hosted SDK or a proxy is its own source
            name += "-" + hashlib.sha256(grid.url.encode()).hexdigest()[:8]
        self.path = root / "grid" / f"{name}.json"

    def _entries(self) -> dict[str, dict[str, object]]:
        try:
            data = load_json(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        return data if isinstance(data, dict) else {}

    def fresh(self, now: datetime) -> list[Slot]:
        """The cached slots still worth using at ``now``.

        Each entry is checked as a provider's answer is (grid_api.checked): the file is
        anyone's to edit or corrupt, and an intensity of -1e300 or NaN read back from it
        would be charged as is. An entry that fails is skipped, so it is fetched again.
        """
        slots = []
        for start, entry in self._entries().items():
            try:
                slot = checked(
                    Slot(
                        _aware(start),
                        _aware(entry["end"]),
                        intensity(entry["g"]),
                        _flag(entry["forecast"]),
                        _flag(entry["estimated"]),
                    )
                )
                fetched = _aware(entry["at"])
                trust = max(timedelta(seconds=slot.seconds), MIN_TRUST)
                if not (slot.forecast or slot.estimated) or now - fetched < trust:
                    slots.append(slot)
            except MAPPING_ERRORS:
                continue
        return slots

    def cover(self, start: datetime, end: datetime, now: datetime) -> tuple[Slot, ...] | None:
        """Fresh cached slots covering [start, end], or None."""
        try:
            return covering(self.fresh(now), start, end)
        except CoverageError:
            return None

    def store(self, slots: Iterable[Slot], now: datetime) -> None:
        """Add ``slots`` fetched at ``now``; slots older than three days are dropped."""
        entries = self._entries()
        for slot in slots:
            entries[slot.start.isoformat()] = {
                "end": slot.end.isoformat(),
                "g": slot.g_per_kwh,
                "forecast": slot.forecast,
                "estimated": slot.estimated,
                "at": now.isoformat(),
            }
        kept = {}
        for start, entry in entries.items():
            try:
                if now - parse_iso(start) < KEEP:
                    kept[start] = entry
            except (TypeError, ValueError):
                continue
        store_text(self.path, dump_json(kept, sort_keys=True))


def _aware(value: object) -> datetime:
    if not isinstance(value, str):
        raise TypeError("a time is not a string")
    parsed = parse_iso(value)
    if parsed.tzinfo is None:
        raise ValueError("a time without its UTC offset")
    return parsed


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError("a flag is not true or false")
    return value


def utc_now() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(timezone.utc)
