"""The live-provider extension point: a provider turns a zone and a time range into slots.

A provider file holds only its URL, its parameters and its JSON mapping; the HTTP helper
(intensity/http.py) does the rest. Any shape a mapping does not expect is a "malformed"
failure, never a traceback.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
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
        except MAPPING_ERRORS as error:
            raise ProviderError("malformed", unexpected(self.name, what, error)) from None


# What a JSON mapping raises on a shape it does not expect: a missing key, a string where a
# number belongs, a date out of range, a period of 1e308 seconds, nesting past the stack.
MAPPING_ERRORS = (
    KeyError,
    TypeError,
    ValueError,
    IndexError,
    AttributeError,
    ArithmeticError,
    RecursionError,
)
MAX_SLOT = timedelta(days=31)  # no provider publishes a value for longer than a month


def unexpected(provider: str, what: str, error: BaseException) -> str:
    """What was wrong with an answer, in words: ``unexpected latest answer (KeyError: ...)``."""
    detail = str(error)[:120] if not isinstance(error, RecursionError) else "nested too deep"
    return f"{provider}: unexpected {what} answer ({type(error).__name__}: {detail})"


def number(value: Any, what: str) -> float:
    """A finite JSON number (not a string holding one, not a boolean)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} is not a number: {str(value)[:40]!r}")
    figure = float(value)
    if not math.isfinite(figure):
        raise ValueError(f"{what} {figure!r} is not finite")
    return figure


def checked(slot: Slot) -> Slot:
    """``slot`` if it is plausible (a real intensity, a span of a second to a month)."""
    intensity(slot.g_per_kwh)
    if not timedelta(seconds=1) <= slot.end - slot.start <= MAX_SLOT:
        raise ValueError(f"a slot of {slot.seconds:g} s ({slot.start} to {slot.end})")
    return slot


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
