"""The run's intensity provider: live data where the policy has ``grid:``, else offline.

A live failure never changes the command's exit code: the run is charged the bundled yearly
figure (defaults.country's) with the reason recorded beside it, and with ``fallback: error``
the gate makes the verdict an error (exit 3), its figures kept (gate/flow.py).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from greengate.errors import GreengateError
from greengate.intensity.interface import IntensityProvider
from greengate.intensity.offline import OfflineIntensity
from greengate.measurement import GridIntensity, PowerTimeline
from greengate.policy.model import GridSetting


class GridIntensityProvider(IntensityProvider):
    """Offline figures, and live ones looked up beside the command (docs/grid.md)."""

    name = "grid"

    def __init__(
        self,
        env: Mapping[str, str],
        cache_root: Path | None,
        offline: OfflineIntensity | None = None,
    ) -> None:
        self.env = env
        self.cache_root = cache_root
        self.offline = offline or OfflineIntensity()
        self._starting: dict[GridSetting, threading.Thread] = {}
        self._lookups: dict[GridSetting, object] = {}

    def check(self, setting: GridSetting) -> None:
        """The bundled figure must exist: it is the fallback of a live grid too."""
        self.offline.check(replace(setting, live=None))

    def _lookup(self, setting: GridSetting, start: datetime) -> object:
        from greengate.intensity.live import LiveLookup  # only a live grid pays for it

        assert setting.live is not None
        lookup = LiveLookup(setting.live, self.env, self.cache_root)
        lookup.begin(start)
        self._lookups[setting] = lookup
        return lookup

    def _lookup_quietly(self, setting: GridSetting, start: datetime) -> None:
        # In the background thread: a failure here is met again, and reported, by intensity().
        try:
            self._lookup(setting, start)
        except Exception:
            self._lookups.pop(setting, None)

    def begin(self, setting: GridSetting, start: datetime) -> None:
        """Start the live look-up in the background; returns at once.

        Even the imports (urllib, http.client, ssl: tens of milliseconds) happen in the
        background thread, so the command starts as soon as it would offline.
        """
        if setting.live is not None:
            starter = threading.Thread(
                target=self._lookup_quietly,
                args=(setting, start),
                daemon=True,
                name="greengate-grid",
            )
            try:
                starter.start()
            except RuntimeError:  # no thread left (ulimit -u): look it up after the command
                return
            self._starting[setting] = starter

    def so_far(self, setting: GridSetting, start: datetime, now: datetime) -> GridIntensity | None:
        """The live slots at hand, the bundled figure where the provider failed (as the
        verdict would be charged under fallback: bundled), None while the look-up runs."""
        if setting.live is None:
            return self.offline.intensity(setting, start, now)
        from greengate.intensity.http import ProviderError
        from greengate.intensity.live import LiveLookup

        starter = self._starting.get(setting)
        lookup = self._lookups.get(setting)
        if (starter is not None and starter.is_alive()) or not isinstance(lookup, LiveLookup):
            return None
        try:
            figure = lookup.so_far(now)
        except ProviderError:
            return self.offline.intensity(replace(setting, live=None), start, now)
        if figure is None:
            return None
        source = f"{lookup.api.name} live data ({setting.live.signal.value})"
        return GridIntensity(figure, source, setting.live.zone, None)

    def intensity(
        self,
        setting: GridSetting,
        start: datetime,
        end: datetime,
        timeline: PowerTimeline | None = None,
    ) -> GridIntensity:
        """The run's figure; on a live failure the bundled one with the reason beside it (the
        gate makes the verdict an error when the policy says ``fallback: error``)."""
        live = setting.live
        if live is None:  # offline: never the HTTP code (urllib, http.client, ssl: ~25 ms)
            return self.offline.intensity(setting, start, end, timeline)
        from greengate.intensity.http import ProviderError
        from greengate.intensity.live import LiveLookup
        from greengate.live_intensity import LiveIntensity

        starter = self._starting.pop(setting, None)
        if starter is not None:
            starter.join()  # imports and a thread start: never the network, which is bounded
        try:
            lookup = self._lookups.pop(setting, None) or self._lookup(setting, start)
            self._lookups.pop(setting, None)
            assert isinstance(lookup, LiveLookup)
            return lookup.finish(end, timeline)
        except ProviderError as error:
            reason = f"{error.reason}: {error.message}"
        except GreengateError:  # the policy or environment is wrong: the user's to fix
            raise
        except Exception as error:  # a live figure is never worth the command's result
            reason = f"malformed: {live.provider.value}: {type(error).__name__}: {error}"
        bundled = self.offline.intensity(replace(setting, live=None), start, end, timeline)
        failed = LiveIntensity(
            live.provider.value, live.zone, live.signal.value, fallback_reason=reason[:300]
        )
        return replace(bundled, live=failed)
