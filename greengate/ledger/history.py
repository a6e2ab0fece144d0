"""Which ledger a run is recorded in, and how its location is shown.

Judging a run with its history is the gate's (``gate.judge``, ``gate.recording``); the
ledger only answers and stores.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from greengate.ledger.conninfo import is_postgres, shown
from greengate.policy.model import Policy

# Here rather than in ledger.interface: the gate asks where the ledger is before the
# command runs, and opens it (importing the backends' interface) only at the end.
DEFAULT_LOCATION = ".greengate/ledger.db"
DISABLED = ("off", "none", "false")


def ledger_location(
    env: Mapping[str, str], policy: Policy | None, cwd: str | None = None
) -> str | None:
    """GREENGATE_LEDGER, else the policy's ``ledger:``, else the default; None if off.

    The environment wins so that CI can point every job at a shared server (a secret URL)
    without the URL, or its password, being written in the policy.
    """
    chosen = env.get("GREENGATE_LEDGER", "").strip() or (policy.ledger if policy else None)
    # GREENGATE_LEDGER_DEFAULT moves the default alone, below the policy's choice: the
    # GitHub Action keeps a job's ledger in RUNNER_TEMP rather than in the user's checkout.
    location = chosen or env.get("GREENGATE_LEDGER_DEFAULT", "").strip() or DEFAULT_LOCATION
    if location.lower() in DISABLED:
        return None
    if "://" not in location and not is_postgres(location) and cwd is not None:
        location = os.path.join(cwd, location)  # a relative path is the checkout's
    return location


def shown_location(location: str) -> str:
    """A ledger location as a person may see it: PostgreSQL's without any password."""
    return shown(location)
