"""The judge: thresholds, both limits, modes, no rule, an unusable ledger, and exit codes.

Figures are chosen to be exact in binary (0.5 kWh, 500 g/kWh) so the boundaries
(measured == limit, measured == warn_at x limit) are tested exactly, not approximately.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest
from factories import assert_valid_verdict, make_command, make_context, make_rule

from greengate.gate.history import HistoryFacts, LedgerUnavailable
from greengate.gate.judge import exit_code, judge, worst
from greengate.measurement import Component, ComponentEnergy, GridIntensity, Measurement
from greengate.policy.model import Budget, Defaults, GridSetting, LedgerFailure, Mode, Policy
from greengate.verdict import Quantity, Status, Verdict
from greengate.verdict_file.verdict_json import verdict_to_dict

MEASUREMENT = Measurement(
    components=(
        ComponentEnergy(Component.CPU, 0.375, "cpu-seconds-x-thread-power", "cpu"),
        ComponentEnergy(Component.MEMORY, 0.125, "rss-x-watts-per-gb", "memory"),
    ),
    pue=1.0,
    intensity=GridIntensity(500.0, "fixed figure from the configuration"),
)
ENERGY = MEASUREMENT.energy_kwh  # 0.5 kWh
EMISSIONS = MEASUREMENT.emissions_kg  # 0.25 kg


def policy(*rules: Budget, mode: Mode = Mode.ENFORCE, warn_at: float = 0.5) -> Policy:
    defaults = Defaults(grid=GridSetting(g_per_kwh=500.0), warn_at=warn_at, mode=mode)
    return Policy(path="greengate.yml", version=1, defaults=defaults, budgets=rules)


def rule(**overrides: Any) -> Budget:
    fields: dict[str, Any] = {"max_emissions_kg": None, "max_energy_kwh": None, **overrides}
    return make_rule(**fields)


def decide(
    the_rule: Budget | None,
    *,
    mode: Mode = Mode.ENFORCE,
    warn_at: float = 0.5,
    measurement: Measurement = MEASUREMENT,
    history: HistoryFacts | LedgerUnavailable | None = None,
    ledger_failure: LedgerFailure = LedgerFailure.WARN,
) -> Verdict:
    the_policy = policy(*((the_rule,) if the_rule else ()), mode=mode, warn_at=warn_at)
    the_policy = dataclasses.replace(the_policy, ledger_failure=ledger_failure)
    verdict = judge(
        policy=the_policy,
        rule=the_rule,
        context=make_context(),
        measurement=measurement,
        command=make_command(),
        history=history,
    )
    assert_valid_verdict(verdict_to_dict(verdict))
    return verdict


def above(x: float) -> float:
    return math.nextafter(x, math.inf)


def below(x: float) -> float:
    return math.nextafter(x, -math.inf)


def test_the_figures_are_exact() -> None:
    assert (ENERGY, EMISSIONS) == (0.5, 0.25)


# --- thresholds ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "status"),
    [
        (ENERGY / 0.5 * 4, Status.PASS),  # far below warn_at
        (above(ENERGY / 0.5), Status.PASS),  # just below warn_at x limit
        (ENERGY / 0.5, Status.WARN),  # exactly at warn_at x limit
        (above(ENERGY), Status.WARN),
        (ENERGY, Status.WARN),  # measured == limit is not over
        (below(ENERGY), Status.FAIL),  # just over
        (ENERGY / 10, Status.FAIL),
    ],
)
def test_energy_thresholds(limit: float, status: Status) -> None:
    verdict = decide(rule(max_energy_kwh=limit))
    assert verdict.status is status
    (check,) = verdict.checks
    assert (check.quantity, check.measured, check.limit, check.status) == (
        Quantity.ENERGY,
        ENERGY,
        limit,
        status,
    )


@pytest.mark.parametrize(
    ("limit", "status"),
    [
        (above(EMISSIONS / 0.5), Status.PASS),
        (EMISSIONS, Status.WARN),
        (below(EMISSIONS), Status.FAIL),
    ],
)
def test_emissions_thresholds(limit: float, status: Status) -> None:
    verdict = decide(rule(max_emissions_kg=limit))
    assert verdict.status is status
    assert [(c.quantity, c.measured) for c in verdict.checks] == [(Quantity.EMISSIONS, EMISSIONS)]


def test_the_rules_warn_at_overrides_the_defaults() -> None:
    limit = ENERGY / 0.9  # 90 % used: WARN at the default 0.5, PASS at the rule's 0.95
    assert decide(rule(max_energy_kwh=limit)).status is Status.WARN
    verdict = decide(rule(max_energy_kwh=limit, warn_at=0.95))
    assert verdict.status is Status.PASS
    assert verdict.checks[0].warn_at == 0.95


def test_warn_at_one_warns_only_at_the_limit_itself() -> None:
    assert decide(rule(max_energy_kwh=above(ENERGY)), warn_at=1.0).status is Status.PASS
    assert decide(rule(max_energy_kwh=ENERGY), warn_at=1.0).status is Status.WARN


# --- both limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("emissions_limit", "energy_limit", "status"),
    [
        (EMISSIONS * 10, ENERGY * 10, Status.PASS),
        (EMISSIONS * 10, ENERGY, Status.WARN),
        (EMISSIONS, ENERGY * 10, Status.WARN),
        (EMISSIONS * 10, ENERGY / 2, Status.FAIL),
        (EMISSIONS / 2, ENERGY * 10, Status.FAIL),
        (EMISSIONS / 2, ENERGY, Status.FAIL),
    ],
)
def test_the_worst_of_both_limits_decides(
    emissions_limit: float, energy_limit: float, status: Status
) -> None:
    verdict = decide(rule(max_emissions_kg=emissions_limit, max_energy_kwh=energy_limit))
    assert verdict.status is status
    assert {c.quantity for c in verdict.checks} == {Quantity.EMISSIONS, Quantity.ENERGY}
    assert verdict.usage_ratio == max(EMISSIONS / emissions_limit, ENERGY / energy_limit)


def test_the_reasons_put_the_overrun_first() -> None:
    verdict = decide(
        rule(name="nightly", max_emissions_kg=EMISSIONS * 10, max_energy_kwh=ENERGY / 2)
    )
    assert verdict.reasons[0].startswith("energy") and "over the limit" in verdict.reasons[0]
    assert "within the limit" in verdict.reasons[1]
    assert all("'nightly'" in r for r in verdict.reasons)


# --- modes --------------------------------------------------------------------------------

OVER = {"max_energy_kwh": ENERGY / 2}
NEAR = {"max_energy_kwh": ENERGY}
WITHIN = {"max_energy_kwh": ENERGY * 10}


@pytest.mark.parametrize(
    ("mode", "limits", "status", "note"),
    [
        (Mode.ENFORCE, OVER, Status.FAIL, None),
        (Mode.WARN, OVER, Status.WARN, "mode is warn"),
        (Mode.WARN, NEAR, Status.WARN, None),
        (Mode.OFF, OVER, Status.PASS, "mode is off"),
        (Mode.OFF, NEAR, Status.PASS, "mode is off"),
    ],
)
def test_mode_from_the_defaults(
    mode: Mode, limits: dict[str, float], status: Status, note: str | None
) -> None:
    verdict = decide(rule(**limits), mode=mode)
    assert (verdict.status, verdict.mode) == (status, mode)
    assert verdict.checks, "measured and checked even when not enforced"
    if note:
        assert note in verdict.reasons[-1]


@pytest.mark.parametrize(
    ("defaults", "rule_mode", "status"),
    [
        (Mode.ENFORCE, Mode.WARN, Status.WARN),
        (Mode.ENFORCE, Mode.OFF, Status.PASS),
        (Mode.WARN, Mode.ENFORCE, Status.FAIL),
        (Mode.OFF, Mode.ENFORCE, Status.FAIL),
    ],
)
def test_the_rules_mode_overrides_the_defaults(
    defaults: Mode, rule_mode: Mode, status: Status
) -> None:
    verdict = decide(rule(**OVER, mode=rule_mode), mode=defaults)
    assert (verdict.status, verdict.mode) == (status, rule_mode)


# --- no rule, enforcement, an unusable ledger, exit codes -----------------------------


def test_no_rule_matched_passes_with_nothing_gated() -> None:
    verdict = decide(None)
    assert (verdict.status, verdict.rule, verdict.checks) == (Status.PASS, None, ())
    assert "no budget rule matches" in verdict.reasons[0]
    assert "'unit-tests'" in verdict.reasons[0]  # names the job it looked for
    assert exit_code(verdict) == 0


@pytest.mark.parametrize(
    ("mode", "enforced"), [(Mode.ENFORCE, True), (Mode.WARN, False), (Mode.OFF, False)]
)
def test_each_check_says_whether_it_is_enforced(mode: Mode, enforced: bool) -> None:
    verdict = decide(rule(**OVER), mode=mode)
    assert [c.enforced for c in verdict.checks] == [enforced]


LOCKED = LedgerUnavailable("/ci/ledger.db", "ledger /ci/ledger.db: append: database is locked")


@pytest.mark.parametrize(
    ("limits", "mode", "ledger_failure", "status"),
    [
        # A measured, enforced overrun is a FAIL whatever else went wrong.
        (OVER, Mode.ENFORCE, LedgerFailure.FAIL, Status.FAIL),
        (OVER, Mode.ENFORCE, LedgerFailure.WARN, Status.FAIL),
        # Otherwise ledger_failure decides: an ERROR, or at least a WARN.
        (WITHIN, Mode.ENFORCE, LedgerFailure.FAIL, Status.ERROR),
        (NEAR, Mode.ENFORCE, LedgerFailure.FAIL, Status.ERROR),
        (OVER, Mode.WARN, LedgerFailure.FAIL, Status.ERROR),
        (WITHIN, Mode.ENFORCE, LedgerFailure.WARN, Status.WARN),
        (OVER, Mode.OFF, LedgerFailure.WARN, Status.WARN),
    ],
)
def test_an_unusable_ledger(
    limits: dict[str, float], mode: Mode, ledger_failure: LedgerFailure, status: Status
) -> None:
    verdict = decide(rule(**limits), mode=mode, history=LOCKED, ledger_failure=ledger_failure)
    assert verdict.status is status
    problem = "the ledger could not be used, so no history was checked: " + LOCKED.problem
    assert problem in verdict.reasons
    # The reason that decided the status comes first.
    changed = status is not decide(rule(**limits), mode=mode).status
    assert (verdict.reasons[0] == problem) is changed
    assert verdict.history is not None and verdict.history.problem == LOCKED.problem
    assert verdict.history.ledger == "/ci/ledger.db"


def test_an_unusable_ledger_on_an_overrun_exits_with_the_violation_code() -> None:
    verdict = decide(rule(**OVER), history=LOCKED, ledger_failure=LedgerFailure.FAIL)
    assert exit_code(verdict, violation_exit_code=42) == 42
    (check,) = verdict.checks
    assert check.status is Status.FAIL and check.enforced


def test_an_error_verdict_exits_3() -> None:
    verdict = decide(rule(**WITHIN), history=LOCKED, ledger_failure=LedgerFailure.FAIL)
    assert exit_code(verdict) == exit_code(verdict, violation_exit_code=42) == 3


@pytest.mark.parametrize(
    ("limits", "mode", "code"),
    [
        ({"max_energy_kwh": ENERGY * 10}, Mode.ENFORCE, 0),
        (NEAR, Mode.ENFORCE, 0),  # warn does not fail the job
        (OVER, Mode.ENFORCE, 42),
        (OVER, Mode.WARN, 0),
        (OVER, Mode.OFF, 0),
    ],
)
def test_exit_code(limits: dict[str, float], mode: Mode, code: int) -> None:
    verdict = decide(rule(**limits), mode=mode)
    assert exit_code(verdict, violation_exit_code=42) == code


def test_fail_exits_1_by_default() -> None:
    assert exit_code(decide(rule(**OVER))) == 1


def test_worst() -> None:
    assert worst([]) is Status.PASS
    assert worst([Status.WARN, Status.PASS]) is Status.WARN
    assert worst([Status.FAIL, Status.ERROR, Status.WARN]) is Status.ERROR


DIED = "the sampler stopped at 09:28:28 UTC (it was killed): measured until then"


@pytest.mark.parametrize(
    ("limits", "mode", "status"),
    [
        (WITHIN, Mode.ENFORCE, Status.ERROR),  # incomplete figures never pass
        (NEAR, Mode.ENFORCE, Status.ERROR),
        (OVER, Mode.WARN, Status.ERROR),
        (OVER, Mode.ENFORCE, Status.FAIL),  # already over with what was measured: a FAIL
    ],
)
def test_an_incomplete_measurement_keeps_its_figures(
    limits: dict[str, float], mode: Mode, status: Status
) -> None:
    the_rule = rule(**limits)
    the_policy = policy(the_rule, mode=mode)
    verdict = judge(
        policy=the_policy,
        rule=the_rule,
        context=make_context(),
        measurement=MEASUREMENT,
        command=None,
        failure=DIED,
    )
    assert verdict.status is status
    assert verdict.measurement is MEASUREMENT and len(verdict.checks) == 1
    assert (verdict.reasons[0] == DIED) is (status is Status.ERROR)
    assert DIED in verdict.reasons


def test_a_run_stopped_at_its_limit_fails_with_the_stop_first() -> None:
    from greengate.process.outcome import LimitStop

    stop = LimitStop("energy", 0.52, 0.5, 0.45, "rule 'r'", 15, 12.0)
    # The final figures (0.5 kWh) are at the limit, not over it: the stop still decides.
    command = make_command(exit_code=143, signal=15, stop=stop)
    the_rule = rule(max_energy_kwh=0.5)
    verdict = judge(
        policy=policy(the_rule, warn_at=0.99),
        rule=the_rule,
        context=make_context(),
        measurement=MEASUREMENT,
        command=command,
    )
    assert verdict.checks[0].status is Status.WARN  # 100 % of the limit: not over it
    assert verdict.status is Status.FAIL
    assert verdict.reasons[0].startswith(
        "stopped at its limit after 12.0 s: energy 520 Wh crossed 500 Wh (rule 'r'); "
        "SIGTERM sent to the command's tree (overshoot 20 Wh, at most one sample's 70 Wh)"
    )
    assert exit_code(verdict, 7) == 7


def test_a_stop_a_hair_past_the_limit_does_not_read_as_equal_to_it() -> None:
    from greengate.gate.limit_watch import stop_sentence
    from greengate.process.outcome import LimitStop

    stop = LimitStop("emissions", 50.02e-6, 50e-6, 48e-6, "rule 'r'", 2, 1.0)
    assert "emissions 50.02 mg CO2e crossed 50 mg CO2e (rule 'r'); SIGINT sent" in (
        stop_sentence(stop)
    )
