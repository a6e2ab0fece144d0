"""``python -m greengate.energy.detect PATH``: run codecarbon's hardware detection, cache it.

Runs detached beside the command (see ``hardware.HardwareDetector``). Writes PATH atomically
with either the hardware or ``{"error": ...}`` so the waiting greengate never hangs.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

from greengate.energy.hardware import (
    Hardware,
    cpuinfo_fields,
    hardware_to_json,
    quick_identity,
)
from greengate.files.cache import store_text
from greengate.files.json_text import dump_json


def detect() -> Hardware:
    """Ask codecarbon what this machine is: CPU model, TDP from its table, RAM, RAPL."""
    logging.getLogger("codecarbon").setLevel(logging.ERROR)
    import psutil
    from codecarbon.core.cpu import TDP, is_rapl_available
    from codecarbon.core.util import detect_cpu_model

    model = detect_cpu_model() or "unknown"
    tdp = TDP.__new__(TDP)  # skip __init__: it re-detects and logs; we need the matcher only
    match: str | None = None
    watts: float | None = None
    try:
        from codecarbon.input import DataSource

        table = DataSource().get_cpu_power_data()  # type: ignore[no-untyped-call]
        match = tdp._get_matching_cpu(model, table)
        if match:
            watts = float(table[table["Name"] == match]["TDP"].values[0])
    except (AttributeError, KeyError, IndexError, ValueError, OSError):
        match, watts = None, None
    info = cpuinfo_fields()
    threads = os.cpu_count() or 1
    siblings = int(info.get("siblings", threads) or threads)
    try:
        rapl = bool(is_rapl_available())
    except Exception:  # codecarbon probes sysfs; any failure just means "no RAPL"
        rapl = False
    return Hardware(
        cpu_model=model,
        threads=threads,
        socket_threads=siblings,
        tdp_watts=watts,
        tdp_match=match,
        virtualised="hypervisor" in info.get("flags", "").split(),
        ram_total_bytes=int(psutil.virtual_memory().total),
        rapl=rapl,
    )


def main(path: str, hardware: Callable[[], Hardware] = detect) -> int:
    """Detect (``hardware``: codecarbon's detection) and write the cache file atomically;
    on failure write the error instead."""
    target = Path(path)
    # The result goes to greengate through stdout (a pipe) as well as to the cache file:
    # a print from codecarbon must not get into it, so stdout is /dev/null meanwhile.
    result = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    os.close(quiet)
    identity = quick_identity()
    try:
        text = hardware_to_json(hardware(), identity)
    except Exception as e:  # anything codecarbon raises must reach the waiting greengate
        text = dump_json({"identity": identity, "error": f"{type(e).__name__}: {e}"})
    store_text(target, text)  # a cache that cannot be written is not used: there is the pipe
    try:
        os.write(result, text.encode("utf-8"))
    except OSError:  # greengate has gone (it no longer waits): the cache file is enough
        pass
    finally:
        os.close(result)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
