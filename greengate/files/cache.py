"""greengate's per-machine cache directory (hardware detection, parsed and validated policies)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from greengate.files.atomic import write_text_atomic


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """$GREENGATE_CACHE_DIR, else $XDG_CACHE_HOME/greengate, else ~/.cache/greengate."""
    env = os.environ if env is None else env
    if env.get("GREENGATE_CACHE_DIR"):
        return Path(env["GREENGATE_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "greengate"


def touch_marker(path: Path) -> None:
    """Create an empty marker file; a cache that cannot be written is simply not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    except OSError:
        pass


def store_text(path: Path, text: str) -> None:
    """Write a cache entry atomically; a cache that cannot be written is simply not used."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, text)
    except OSError:
        pass
