"""A run's history, end to end: ask the ledger, judge with its answers, store the verdict.

All in the one transaction that charges the run (``Ledger.charging``), so two jobs charging
the same window cannot both squeeze under its last kilogram. The ledger failing never loses
the verdict: the judge decides it without history, and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from greengate.gate.history import HistoryFacts, HistoryQuestions, LedgerUnavailable
from greengate.ledger.disclosure_fields import disclosure_fields
from greengate.ledger.history import shown_location
from greengate.ledger.interface import Ledger, LedgerError
from greengate.ledger.records import BaselineQuery, LedgerRecord
from greengate.verdict import Verdict

TREND_DAYS = 30  # the step summary's trend: this job on this branch per day, a month back

#: The judge with everything but the ledger's answers already given.
Decide = Callable[[HistoryFacts | LedgerUnavailable | None], Verdict]


def record_of(verdict: Verdict, now: datetime) -> LedgerRecord:
    """The verdict's essentials, as the ledger keeps them."""
    m, c = verdict.measurement, verdict.context
    assert m is not None, "the judge always has a measurement"
    return LedgerRecord(
        recorded_at=now,
        repository=c.repository,
        workflow=c.workflow,
        job=c.job_identity,
        branch=c.branch,
        base_branch=c.base_branch,
        commit=c.commit,
        run_id=c.run_id,
        run_attempt=c.run_attempt,
        energy_kwh=m.energy_kwh,
        emissions_kg=m.emissions_kg,
        intensity_g_per_kwh=m.intensity.g_per_kwh,
        status=verdict.status,
        source=m.source,
        **disclosure_fields(m),
    )


def judge_and_record(
    decide: Decide,
    asked: HistoryQuestions,
    location: str | None,
    open_ledger: Callable[[str], Ledger],
    now: datetime,
) -> Verdict:
    """The verdict, judged with the ledger's answers and stored in the same transaction."""
    if location is None:
        return decide(None)  # no ledger: the run alone is judged
    try:
        with open_ledger(location) as ledger, ledger.charging(asked.key) as charge:
            facts = HistoryFacts(
                ledger.location, asked, charge.spends, charge.rerun, charge.baseline
            )
            verdict = decide(facts)
            stored = charge.append(record_of(verdict, now))
            # Not part of the decision: the step summary's trend, this run included.
            context = verdict.context
            trend = ledger.trend(
                BaselineQuery(context.repository, context.job_identity, context.branch or "", 0),
                now - timedelta(days=TREND_DAYS),
            )
    except LedgerError as e:
        # Nothing was stored (the transaction rolled back): the verdict is judged without
        # history, and the problem is one of its reasons.
        return decide(LedgerUnavailable(shown_location(location), e.message))
    assert verdict.history is not None
    return replace(verdict, history=replace(verdict.history, record_id=stored.id, trend=trend))
