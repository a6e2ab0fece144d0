"""The live-provider extension point: a provider turns a zone and a time range into slots.

A provider file holds only its URL, its parameters and its JSON mapping; the HTTP helper
(intensity/http.py) does the rest. Any shape a mapping does not expect is a "malformed"
failure, never a traceback.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, TypeVar

from greengate.errors import UsageError
from greengate.intensity.http import Http, ProviderError
from greengate.intensity.slots import Slot
from greengate.iso_time import parse_iso
from greengate.policy.model import LiveGrid

T = TypeVar("T")
MAX_G_PER_KWH = 5000.0  # no grid is near it; a bigger figure is a unit or mapping mistake


class GridApi(ABC):
    """One live service. ``actual`` serves a run, ``forecast`` serves ``greengate when``."""

    name: str
    default_url: str | None = None

    def __init__(self, grid: LiveGrid, env: Mapping[str, str]) -> None:
        self.grid = grid
        self.env = env
        url = grid.url or self.default_url
        if url is None:
            raise UsageError(f"{self.name} needs grid.url", hint="e.g. url: http://localhost:8080")
        self.base = url.rstrip("/")

    def secrets(self) -> tuple[str, ...]:
        """Credentials this provider sends, so the HTTP helper can redact them."""
        return ()

    @abstractmethod
    def actual(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        """The values for [start, end]: measured where published, else the forecast."""

    @abstractmethod
    def forecast(self, http: Http, start: datetime, end: datetime) -> list[Slot]:
        """The forecast for [start, end] (may begin a little before ``start``)."""

    def mapped(self, what: str, mapping: Callable[[], T]) -> T:
        """Run a JSON mapping; a shape it does not expect is a 'malformed' ProviderError."""
        try:
            return mapping()
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
            raise ProviderError(
                "malformed", f"{self.name}: unexpected {what} answer ({type(error).__name__})"
            ) from None


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time from a provider, as UTC; a naive one is taken as UTC."""
    if not isinstance(value, str):
        raise TypeError("time is not a string")
    parsed = parse_iso(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def iso_z(t: datetime) -> str:
    """``2026-12-01T21:00:00Z``: how providers want a UTC time in a query."""
    return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def intensity(value: Any) -> float:
    """A g/kWh figure from a provider, checked to be a real, plausible number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("intensity is not a number")
    g = float(value)
    if not math.isfinite(g) or not 0 <= g < MAX_G_PER_KWH:
        raise ValueError(f"intensity {g!r} out of range")
    return g


def required_env(env: Mapping[str, str], *names: str) -> tuple[str, ...]:
    """The values of credential variables; UsageError naming the first one missing."""
    values = tuple(env.get(name, "") for name in names)
    for name, value in zip(names, values, strict=True):
        if not value:
            raise ProviderError(
                "no credentials",
                f"{name} is not set",
                hint="credentials come only from the environment; see docs/grid.md",
            )
    return values
