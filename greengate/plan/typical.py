"""A job's typical energy: the median of its recent runs in the ledger (``--job NAME``)."""

from __future__ import annotations

import statistics
from collections.abc import Mapping

from greengate.errors import UsageError
from greengate.files.working_directory import working_directory
from greengate.ledger.history import ledger_location
from greengate.ledger.interface import open_ledger
from greengate.ledger.records import RecordFilter
from greengate.policy.model import Policy

RECENT_RUNS = 20


def typical_energy_kwh(job: str, env: Mapping[str, str], policy: Policy | None) -> float:
    """Median energy (kWh) of the job's last runs; UsageError when the ledger has none."""
    location = ledger_location(env, policy, working_directory())
    if location is None:
        raise UsageError("the ledger is off, so no job has a typical energy", hint="use --energy")
    with open_ledger(location) as ledger:
        records = ledger.records(RecordFilter(job=job, limit=RECENT_RUNS))
    energies = [r.energy_kwh for r in records if r.energy_kwh > 0 and not r.rerun]
    if not energies:
        raise UsageError(f"the ledger has no runs of job {job!r}", hint="use --energy instead")
    return statistics.median(energies)
